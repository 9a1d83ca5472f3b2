// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "presence/acknowledgment.h"
#include "protocol/codec.h"

namespace presence::protocol {

using Clock = std::chrono::steady_clock;

using AckOptions = presence::AckOptions;

// The sender's side: messages sent with an id and not yet acknowledged. Bytes are
// shared with whoever else holds them, so tracking a fanned-out frame copies nothing.
class AckQueue {
public:
    using Bytes = std::shared_ptr<const std::string>;

    void track(std::string id, Bytes bytes, Clock::time_point now);
    // false when `id` was not pending (late or duplicate acknowledgment).
    bool acknowledge(std::string_view id);

    // Re-sends (same bytes, same id) every message older than `timeout`; a message
    // already re-sent `max_retries` times is dropped and handed to `give_up` instead.
    // Neither callback may track or acknowledge on this queue while it runs.
    void resend_due(Clock::time_point now, const AckOptions& options,
                    const std::function<void(const Bytes&)>& resend,
                    const std::function<void(const std::string& id)>& give_up);

    std::size_t size() const { return pending_.size(); }
    // What the pending messages hold, each counted whole: a frame shared with other
    // queues stays in memory as long as this one holds it.
    std::size_t bytes() const { return bytes_; }

private:
    struct Pending {
        std::string id;
        Bytes bytes;
        Clock::time_point sent;
        std::size_t retries = 0;
    };
    static std::size_t cost(const Pending& p) { return sizeof(Pending) + p.id.size() + p.bytes->size(); }

    std::deque<Pending> pending_;
    std::size_t bytes_ = 0;
};

// The receiver's side: ids already handled, so a re-sent message has one effect only.
// Remembers the most recent `capacity` ids, each stored once.
class SeenIds {
public:
    explicit SeenIds(std::size_t capacity = 1024) : capacity_(capacity) {}

    // true the first time `id` is seen.
    bool first_time(const std::string& id);
    bool remembers(std::string_view id) const { return ids_.contains(id); }

    // What remembering `id` costs, its share of the index included.
    static std::size_t cost(std::string_view id) { return id.size() + entry_overhead; }
    std::size_t bytes() const { return bytes_; }

private:
    // The string in the order, its view and hash node in the index.
    static constexpr std::size_t entry_overhead = sizeof(std::string) + sizeof(std::string_view) + 4 * sizeof(void*);

    std::size_t capacity_;
    // Views of the strings of `order_`, whose elements never move: a deque keeps its
    // elements in place when it grows or shrinks at either end.
    std::unordered_set<std::string_view> ids_;
    std::deque<std::string> order_;
    std::size_t bytes_ = 0;
};

// The receiver's side of acknowledgment, the same at both ends: an acknowledgment
// settles what we sent; any other frame with an id is acknowledged through `reply`
// (even a bad one: re-sending it cannot help) and is to be acted on the first time only.
// Returns true when the frame is still to be handled, or reported when it is bad.
bool admit(const Decoded& decoded, AckQueue& sent, SeenIds& seen,
           const std::function<void(std::string acknowledgment)>& reply);

}  // namespace presence::protocol
