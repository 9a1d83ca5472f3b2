// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string_view>

#include "domain/engine.h"
#include "domain/frame.h"
#include "presence/member.h"
#include "presence/server_options.h"
#include "protocol/message.h"

namespace presence {

// A message of `method` with nothing else set yet.
protocol::Message message_of(protocol::Method method);

// Every frame the domain sends is made here: encoded once, in the server's Base64 choice,
// with an acknowledgment id when the server asks for acknowledgments.
class Frames {
public:
    explicit Frames(const PresenceOptions& options) : options_(options) {}

    std::shared_ptr<Frame> make(protocol::Message message) const;
    // A frame outside acknowledgment and the resume numbering.
    Bytes aside(const protocol::Message& message) const;
    // The announcement of `change`, delivered as `view`.
    std::shared_ptr<Frame> change(Change change, const Member& member, std::string_view channel, View view) const;
    // A member's new name or info.
    std::shared_ptr<Frame> update(const Member& member) const;

private:
    const PresenceOptions& options_;
};

}  // namespace presence
