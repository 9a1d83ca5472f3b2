// SPDX-License-Identifier: Apache-2.0
#include "protocol/acknowledgment.h"

#include <algorithm>

namespace presence::protocol {

void AckQueue::track(std::string id, Bytes bytes, Clock::time_point now) {
    pending_.push_back(Pending{std::move(id), std::move(bytes), now, 0});
    bytes_ += cost(pending_.back());
}

bool AckQueue::acknowledge(std::string_view id) {
    const auto it = std::find_if(pending_.begin(), pending_.end(),
                                 [&](const Pending& p) { return p.id == id; });
    if (it == pending_.end()) return false;
    bytes_ -= cost(*it);
    pending_.erase(it);
    return true;
}

void AckQueue::resend_due(Clock::time_point now, const AckOptions& options,
                          const std::function<void(const Bytes&)>& resend,
                          const std::function<void(const std::string& id)>& give_up) {
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (now - it->sent < options.timeout) {
            ++it;
            continue;
        }
        if (options.max_retries != 0 && it->retries >= options.max_retries) {
            bytes_ -= cost(*it);
            const std::string id = std::move(it->id);
            it = pending_.erase(it);
            give_up(id);
            continue;
        }
        ++it->retries;
        it->sent = now;
        resend(it->bytes);
        ++it;
    }
}

bool SeenIds::first_time(const std::string& id) {
    if (ids_.contains(id)) return false;
    order_.push_back(id);
    ids_.insert(order_.back());
    bytes_ += cost(id);
    if (order_.size() > capacity_) {
        bytes_ -= cost(order_.front());
        ids_.erase(order_.front());
        order_.pop_front();
    }
    return true;
}

bool admit(const Decoded& decoded, AckQueue& sent, SeenIds& seen,
           const std::function<void(std::string acknowledgment)>& reply) {
    const std::string& id = decoded.ok() ? decoded.message.id : decoded.error->id;
    if (decoded.ok() && decoded.message.method == Method::acknowledgment) {
        sent.acknowledge(id);
        return false;
    }
    if (id.empty()) return true;
    reply(encode_acknowledgment(id));
    return seen.first_time(id);
}

}  // namespace presence::protocol
