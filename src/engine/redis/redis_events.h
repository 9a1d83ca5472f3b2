// SPDX-License-Identifier: Apache-2.0
#pragma once

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
        invitation = 'I',
        registered = 'R',
        dead = 'D',
    };
    enum class Target : char { everyone = 'a', channel = 'c', member = 'm' };

    Type type = Type::registered;
    std::string_view node;        // the sender
    std::string_view member;      // join, update: the member as JSON
    std::string_view member_id;   // leave, subscribe, unsubscribe; invitation: the invitee; frame to a member
    std::string_view channel;     // subscribe, unsubscribe, invitation; frame to a channel
    std::string_view ack_id;      // of the frame; empty when none
    Target target = Target::everyone;  // frame
    std::string_view inviter_id;  // invitation
    bool wants_answer = false;    // invitation
    std::string_view reaper;      // dead: the node that found it dead
    std::string_view body;        // the frame's bytes (none for registered and dead)
};

std::optional<Event> parse_event(std::string_view payload);

// A change travels with the frame that announces it.
// `member`: as member_json() writes it.
std::string join_event(std::string_view node, std::string_view member, const Frame& frame);
std::string update_event(std::string_view node, std::string_view member, const Frame& frame);
std::string leave_event(std::string_view node, std::string_view id, const Frame& frame);
std::string subscription_event(Event::Type type, std::string_view node, std::string_view id,
                               std::string_view channel, const Frame& frame);
// `to` is the channel or member id; empty for everyone.
std::string frame_event(std::string_view node, Event::Target target, std::string_view to, const Frame& frame);
// `frame` must carry an invitation.
std::string invitation_event(std::string_view node, std::string_view invitee, const Frame& frame);
std::string registered_event(std::string_view node);
std::string dead_event(std::string_view node, std::string_view reaper);

// A member as stored in Redis and carried by join events.
std::string member_json(const Member& member);
std::optional<Member> member_from_json(std::string_view json);

}  // namespace presence::redis
