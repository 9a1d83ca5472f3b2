// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string_view>

#include "domain/frame.h"

namespace presence {

// Delivers these bytes to this target: a channel's members, every member, or one member,
// wherever they are connected. The domain decides who the targets are and what the frame
// is to each recipient (Frame's Delivery part); a fan-out only carries it.
class Fanout {
public:
    virtual ~Fanout() = default;

    // Delivers to the channel's members, or to every member when `channel` is empty.
    virtual void publish(std::string_view channel, const FramePtr& frame) = 0;
    // The same, to this node's members only: for frames that every node makes for its own.
    virtual void publish_local(std::string_view channel, const FramePtr& frame) { publish(channel, frame); }
    // False when no such member exists.
    virtual bool send_to_member(std::string_view id, const FramePtr& frame) = 0;
    // Frames handed to this node's members by fan-out (publishes, announcements,
    // invitations), one per recipient, since the start.
    virtual std::uint64_t deliveries() const { return 0; }
};

}  // namespace presence
