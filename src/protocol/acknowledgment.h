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

private:
    struct Pending {
        std::string id;
        Bytes bytes;
        Clock::time_point sent;
        std::size_t retries = 0;
    };
    std::deque<Pending> pending_;
};

// The receiver's side: ids already handled, so a re-sent message has one effect only.
// Remembers the most recent `capacity` ids.
class SeenIds {
public:
    explicit SeenIds(std::size_t capacity = 1024) : capacity_(capacity) {}

    // true the first time `id` is seen.
    bool first_time(const std::string& id);

private:
    std::size_t capacity_;
    std::unordered_set<std::string> ids_;
    std::deque<std::string> order_;
};

// The receiver's side of acknowledgment, the same at both ends: an acknowledgment
// settles what we sent; any other frame with an id is acknowledged through `reply`
// (even a bad one: re-sending it cannot help) and is to be acted on the first time only.
// Returns true when the frame is still to be handled, or reported when it is bad.
bool admit(const Decoded& decoded, AckQueue& sent, SeenIds& seen,
           const std::function<void(std::string acknowledgment)>& reply);

}  // namespace presence::protocol
