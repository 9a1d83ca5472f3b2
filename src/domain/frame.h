// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "domain/delivery.h"

namespace presence {

// When a frame was made, for the transport to time its delivery; the default (the clock's
// epoch) for a frame nobody times.
using MadeAt = std::chrono::steady_clock::time_point;

// One encoded outgoing message, built once and shared by every recipient's queue: its
// bytes and acknowledgment id, which engines carry, and its Delivery, which the domain
// alone reads (as frame.view, frame.about, ...).
struct Frame : Delivery {
    std::string bytes;
    std::string ack_id;  // non-empty when the receiver must acknowledge it
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

}  // namespace presence
