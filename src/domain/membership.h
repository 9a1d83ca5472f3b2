// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/answers.h"
#include "domain/connection.h"
#include "domain/engine.h"
#include "domain/frames.h"
#include "domain/invitations.h"
#include "domain/statistics.h"
#include "domain/views.h"
#include "protocol/message.h"

namespace presence {

// The member a join request declares: the requester's session id when it names none.
Member declared_member(const Connection& c, const protocol::Message& request);
// The fields a grant fixes (name, info, user) replace those declared.
void apply_grant(Member& member, const Grant& grant);

// The sgc rules of who may be where and say what: joining and leaving presence,
// subscribing to channels and leaving them, publishing, listing members, and a member's
// update of its name or info. Each change goes to the engine with the frame that
// announces it, and runs the application's hooks.
class Membership {
public:
    Membership(Engine& engine, const PresenceOptions& options, const ServerHooks& hooks, const Frames& frames,
               const Answers& answers, Views& views, Invitations& invitations, Statistics& statistics)
        : engine_(engine), options_(options), hooks_(hooks), frames_(frames), answers_(answers), views_(views),
          invitations_(invitations), statistics_(statistics) {}

    void join(Connection& c, const protocol::Message& request);
    void leave(Connection& c, const protocol::Message& request);
    void subscribe(Connection& c, const protocol::Message& request);
    void unsubscribe(Connection& c, const protocol::Message& request);
    void publish(Connection& c, const protocol::Message& request);
    void get_members(Connection& c, const protocol::Message& request);
    void get_members_page(Connection& c, const protocol::Message& request);
    void update_member(Connection& c, const protocol::Message& request);

    // The application's message, from nobody. False, and nothing sent, when `text` or
    // `channel` is not UTF-8: no client could read it.
    bool broadcast(std::string_view text, std::string_view channel);
    // The connection's member leaves presence, its channels first, announced.
    void remove_member(Connection& c);
    // Leaves, announced, the channels the connection's grant no longer allows.
    void keep_to_grant(Connection& c);
    // The member lists of the connection's channels, for a client starting again from them.
    void send_lists(Connection& c);
    // Another node died and this one removed its `member`: the departure hooks run here.
    void reaped(const Member& member, const std::vector<std::string>& channels);

private:
    std::optional<ErrorCode> try_subscribe(const Connection& c, const Member& self, const std::string& channel);
    void remove_from_channel(const Member& self, const std::string& channel);
    FramePtr members_frame(const Member& self, const std::string& channel) const;
    // Fans a published message out to `channel`, its frame timed from now.
    void publish_frame(std::string_view channel, protocol::Message message);

    Engine& engine_;
    const PresenceOptions& options_;
    const ServerHooks& hooks_;
    const Frames& frames_;
    const Answers& answers_;
    Views& views_;
    Invitations& invitations_;
    Statistics& statistics_;
};

}  // namespace presence
