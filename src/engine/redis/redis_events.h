// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "domain/frame.h"
#include "presence/member.h"

// What nodes tell one another on the events channel. A payload is a header line of
// space-separated fields, then a body; see docs/redis-engine.md. Parsing makes no copy:
// an Event points into its payload.
namespace presence::redis {

struct Event {
    enum class Type : char {
        join = 'J',
        leave = 'L',
        update = 'M',
        subscribe = 'S',
        unsubscribe = 'U',
        frame = 'F',
        registered = 'R',
        dead = 'D',
    };
    enum class Target : char { everyone = 'a', channel = 'c', member = 'm' };

    Type type = Type::registered;
    std::string_view node;        // the sender
    std::string_view member;      // join, update: the member as JSON
    std::string_view member_id;   // leave, subscribe, unsubscribe; frame to a member
    std::string_view channel;     // subscribe, unsubscribe; frame to a channel
    std::string_view ack_id;      // of the frame; empty when none
    Target target = Target::everyone;  // frame
    std::string_view reaper;      // dead: the node that found it dead
    // The frame's delivery tag (see delivery_tag()), checked but not read: what the frame
    // is to each recipient is the domain's to say.
    std::string_view delivery;
    std::string_view body;        // the frame's bytes (none for registered and dead)
};

std::optional<Event> parse_event(std::string_view payload);

// The frame an event carries, as its sender made it: one copy of the bytes, for every
// recipient on this node to share.
std::shared_ptr<Frame> frame_of(const Event& event);

// A change travels with the frame that announces it.
// `member`: as member_json() writes it.
std::string join_event(std::string_view node, std::string_view member, const Frame& frame);
std::string update_event(std::string_view node, std::string_view member, const Frame& frame);
std::string leave_event(std::string_view node, std::string_view id, const Frame& frame);
std::string subscription_event(Event::Type type, std::string_view node, std::string_view id,
                               std::string_view channel, const Frame& frame);
// `to` is the channel or member id; empty for everyone.
std::string frame_event(std::string_view node, Event::Target target, std::string_view to, const Frame& frame);
std::string registered_event(std::string_view node);
std::string dead_event(std::string_view node, std::string_view reaper);

// A member as stored in Redis and carried by join events.
std::string member_json(const Member& member);
std::optional<Member> member_from_json(std::string_view json);

// A subscription as stored in Redis: member ids never contain a space, channels may.
std::string subscription_entry(std::string_view id, std::string_view channel);

}  // namespace presence::redis
