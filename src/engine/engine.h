#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "presence/frame.h"
#include "presence/member.h"

namespace presence {

// Who is where, and fan-out to them. The presence rules call only this interface, so
// a memory engine and a multi-node engine are interchangeable. Preconditions are the
// caller's: subscribe() is called for an existing member not yet subscribed, etc.
class Engine {
public:
    virtual ~Engine() = default;

    virtual bool add_member(const Member& member, Peer& peer) = 0;  // false: id taken
    virtual void remove_member(std::string_view id) = 0;
    virtual const Member* find_member(std::string_view id) const = 0;

    virtual bool channel_exists(std::string_view channel) const = 0;
    virtual bool is_subscribed(std::string_view channel, std::string_view id) const = 0;
    // Returns true when the channel was created by this subscription.
    virtual bool subscribe(std::string_view channel, std::string_view id) = 0;
    // Returns true when the channel became empty and was freed.
    virtual bool unsubscribe(std::string_view channel, std::string_view id) = 0;
    virtual std::vector<std::string> channels_of(std::string_view id) const = 0;

    virtual std::vector<Member> members(std::string_view channel) const = 0;
    virtual std::vector<Member> all_members() const = 0;
    virtual std::vector<ChannelSummary> channels() const = 0;

    // Delivers to the channel's members, or to every member when `channel` is empty.
    virtual void publish(std::string_view channel, const FramePtr& frame) = 0;
    virtual bool send_to_member(std::string_view id, const FramePtr& frame) = 0;
};

}  // namespace presence
