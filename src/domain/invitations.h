// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/answers.h"
#include "domain/connection.h"
#include "domain/engine.h"
#include "domain/frames.h"
#include "domain/statistics.h"
#include "protocol/message.h"

namespace presence {

// Invitations to a channel: sent to the invitees wherever they are, remembered by each
// invitee's connection, and answered to an inviter that understands the
// invitation-response extension, once the invitee subscribes (accepted) or refuses.
class Invitations {
public:
    Invitations(Engine& engine, const PresenceOptions& options, const ServerHooks& hooks, const Frames& frames,
                const Answers& answers, Statistics& statistics)
        : engine_(engine), options_(options), hooks_(hooks), frames_(frames), answers_(answers),
          statistics_(statistics) {}

    void invite(Connection& c, const protocol::Message& request);
    // An invitee's invitation response: a refusal (an acceptance is a subscription).
    void respond(Connection& c, const protocol::Message& request);
    // The invitee's subscription to `channel` answers its invitations there: accepted, with
    // the subscription's error if it failed.
    void settle(Connection& invitee, const std::string& channel, std::optional<ErrorCode> error);

private:
    std::optional<ErrorCode> invite_one(Connection& c, const Member& self, const std::string& channel,
                                        const Member* invitee);
    void answer(const Invitation& invitation, const Member& invitee, std::string_view answer,
                std::optional<ErrorCode> error);

    Engine& engine_;
    const PresenceOptions& options_;
    const ServerHooks& hooks_;
    const Frames& frames_;
    const Answers& answers_;
    Statistics& statistics_;
};

}  // namespace presence
