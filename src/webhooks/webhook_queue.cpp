// SPDX-License-Identifier: Apache-2.0
#include "webhooks/webhook_queue.h"

#include <algorithm>

namespace presence {

std::chrono::milliseconds retry_delay(const WebhookOptions& options, std::size_t failures) {
    std::chrono::milliseconds delay = options.retry_delay;
    for (std::size_t i = 1; i < failures && delay < options.max_retry_delay; ++i) delay *= 2;
    return std::min(delay, options.max_retry_delay);
}

WebhookQueue::WebhookQueue(const WebhookOptions& options) : options_(options) {}

void WebhookQueue::add(std::string event, Clock::time_point now) {
    ++counts_.events;
    if (waiting_.size() >= options_.max_queue_events) {
        waiting_.pop_front();
        ++counts_.dropped_queue_full;
    }
    waiting_.push_back({std::move(event), now});
}

std::optional<WebhookQueue::Clock::time_point> WebhookQueue::due() const {
    if (delivering() || waiting_.empty()) return std::nullopt;
    const Clock::time_point oldest = waiting_.front().since;
    if (waiting_.size() >= options_.max_batch_events) return oldest;
    return oldest + options_.batch_interval;
}

std::vector<std::string> WebhookQueue::take() {
    std::vector<std::string> batch;
    const std::size_t size = std::min(waiting_.size(), options_.max_batch_events);
    batch.reserve(size);
    for (std::size_t i = 0; i < size; ++i) {
        batch.push_back(std::move(waiting_.front().event));
        waiting_.pop_front();
    }
    batch_events_ = size;
    attempts_ = 0;
    return batch;
}

void WebhookQueue::delivered() {
    ++counts_.requests_ok;
    end_batch();
}

std::optional<std::chrono::milliseconds> WebhookQueue::failed(bool last) {
    ++counts_.requests_failed;
    ++attempts_;
    if (!last && attempts_ < options_.max_attempts) return retry_delay(options_, attempts_);
    counts_.dropped_attempts += batch_events_;
    end_batch();
    return std::nullopt;
}

std::size_t WebhookQueue::drop_waiting() {
    const std::size_t dropped = waiting_.size();
    counts_.dropped_attempts += dropped;
    waiting_.clear();
    return dropped;
}

void WebhookQueue::end_batch() {
    batch_events_ = 0;
    attempts_ = 0;
}

}  // namespace presence
