// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace presence {

// An invitation travels with its frame, so that the invitee's connection (wherever it
// is) remembers who to answer when the invitee accepts or refuses.
struct Invitation {
    std::string inviter_id;
    std::string channel;
    bool wants_answer = false;  // the inviter understands the invitation-response extension
};

// What a frame is to a connection that asked for coalesced views of presence (the diffs
// extension): such a connection skips the announcements of other members' changes and
// takes the diffs and counts that sum them up instead; every other connection takes only
// the frames it always had.
enum class View : char {
    any,     // for whoever it is sent to
    change,  // a join, leave, subscription or unsubscription announced one by one
    diff,    // the changes of one channel over an interval
    count,   // one channel's member count
    user,    // a user's first join or last leave of a channel (the users extension)
    update,  // a member's new name or info, for connections that said hello with "updates"
};

// When a frame was made, for the transport to time its delivery; the default (the clock's
// epoch) for a frame nobody times.
using MadeAt = std::chrono::steady_clock::time_point;

// One encoded outgoing message, built once and shared by every recipient's queue.
struct Frame {
    std::string bytes;
    std::string ack_id;  // non-empty when the receiver must acknowledge it
    std::optional<Invitation> invitation;
    View view = View::any;
    std::string about;    // change, user: the member whose change it announces
    std::string channel;  // change, diff, count, user: the channel ("" for presence as a whole)
    // change: the member belongs to a user, whose first join and last leave a connection
    // with the users view takes instead (View::user).
    bool of_user = false;
    // A publish: when it was made (or, from another node, when it arrived), so that the
    // transport can measure how long it took to reach each recipient.
    MadeAt made_at{};
};

using FramePtr = std::shared_ptr<const Frame>;
using Bytes = std::shared_ptr<const std::string>;

// The bytes of `frame`, sharing its ownership: no copy, no allocation.
inline Bytes bytes_of(const FramePtr& frame) { return Bytes(frame, &frame->bytes); }

// Whatever carries frames to one peer: the transport implements it, the domain
// only calls it. Calls come from the owning thread only.
class Link {
public:
    virtual ~Link() = default;
    // `made_at`: when the frame was made, if its delivery is timed (see Frame::made_at).
    virtual void send(const Bytes& bytes, MadeAt made_at) = 0;
    virtual void close(unsigned short code, std::string_view reason) = 0;
    // Ends the connection at once, without a closing handshake.
    virtual void drop() = 0;
    // Who is at the other end, for log lines: opaque to the domain, "" when unknown.
    virtual std::string_view peer() const { return {}; }
};

// A recipient of fan-out, as the engine sees it.
class Peer {
public:
    virtual ~Peer() = default;
    virtual void deliver(const FramePtr& frame) = 0;
};

}  // namespace presence
