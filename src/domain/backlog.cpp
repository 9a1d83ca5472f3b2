// SPDX-License-Identifier: Apache-2.0
#include "domain/backlog.h"

namespace presence {

void Backlog::push(const Bytes& bytes) {
    if (slots_.empty()) {
        ++next_;
        return;
    }
    if (kept_ == slots_.size()) drop_oldest();
    slots_[next_ % slots_.size()] = bytes;
    ++next_;
    ++kept_;
    kept_bytes_ += bytes->size();
    while (kept_bytes_ > max_bytes_ && drop_oldest()) {
    }
}

void Backlog::restart() {
    while (drop_oldest()) {
    }
    next_ = 0;
}

bool Backlog::drop_oldest() {
    if (kept_ == 0) return false;
    Bytes& oldest = slots_[(next_ - kept_) % slots_.size()];
    kept_bytes_ -= oldest->size();
    oldest.reset();
    --kept_;
    return true;
}

}  // namespace presence
