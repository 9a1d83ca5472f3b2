// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "presence/server_options.h"

namespace presence {

// What the webhooks did since the start, for /metrics.
struct WebhookCounts {
    std::uint64_t events = 0;              // queued
    std::uint64_t dropped_queue_full = 0;  // the oldest, pushed out of a full queue
    std::uint64_t dropped_attempts = 0;    // in batches that failed max_attempts times, or at shutdown
    std::uint64_t requests_ok = 0;
    std::uint64_t requests_failed = 0;
};

// The wait before the attempt that follows `failures` failed ones: retry_delay, doubled
// after each failure, never above max_retry_delay.
std::chrono::milliseconds retry_delay(const WebhookOptions& options, std::size_t failures);

// The webhooks' bookkeeping, without I/O or clock of its own: events waiting in order,
// the one batch being delivered, when the next POST is due, and the counts. Events leave
// in the order they came, in batches of at most max_batch_events; a batch is delivered
// or dropped before the next is taken.
class WebhookQueue {
public:
    using Clock = std::chrono::steady_clock;

    explicit WebhookQueue(const WebhookOptions& options);

    // Past max_queue_events waiting, the oldest waiting event is dropped.
    void add(std::string event, Clock::time_point now);
    // When the next batch should be taken: batch_interval after its oldest event came,
    // or at once when a whole batch is waiting. None while a batch is being delivered,
    // or when nothing waits.
    std::optional<Clock::time_point> due() const;
    // The next batch, oldest first; it is being delivered until delivered() or failed().
    std::vector<std::string> take();
    void delivered();
    // A failed attempt: the wait before the next one, or none when the batch is dropped
    // (its last attempt, as counted by max_attempts, or as `last` says).
    std::optional<std::chrono::milliseconds> failed(bool last = false);
    // Drops every waiting event (a shutdown out of time), counted as out of attempts.
    std::size_t drop_waiting();

    bool delivering() const { return batch_events_ != 0; }
    std::size_t batch_events() const { return batch_events_; }
    std::size_t attempts() const { return attempts_; }  // failed ones, of the batch being delivered
    std::size_t waiting() const { return waiting_.size(); }
    const WebhookCounts& counts() const { return counts_; }

private:
    struct Waiting {
        std::string event;
        Clock::time_point since;
    };

    void end_batch();

    WebhookOptions options_;
    std::deque<Waiting> waiting_;
    std::size_t batch_events_ = 0;
    std::size_t attempts_ = 0;
    WebhookCounts counts_;
};

}  // namespace presence
