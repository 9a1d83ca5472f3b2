// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <chrono>

namespace presence {

// A rate limit: `rate` actions per second on average, in bursts of up to `size`.
class TokenBucket {
public:
    using Clock = std::chrono::steady_clock;

    // A rate of 0 never limits.
    TokenBucket(double rate, double size) : rate_(rate), size_(size), tokens_(size) {}

    // Takes one token when there is one.
    bool take(Clock::time_point now) {
        if (rate_ <= 0) return true;
        const std::chrono::duration<double> elapsed = now - last_;
        tokens_ = std::min(size_, tokens_ + rate_ * std::max(elapsed.count(), 0.0));
        last_ = now;
        if (tokens_ < 1) return false;
        tokens_ -= 1;
        return true;
    }

private:
    double rate_;
    double size_;
    double tokens_;
    Clock::time_point last_{};
};

}  // namespace presence
