// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace presence::bench {

// Latencies in nanoseconds, log-linear: 16 buckets per power of two, so a percentile is
// within 1/16 (6%) of the true value. Fixed size, so recording never allocates.
class Histogram {
public:
    void record(std::uint64_t ns) {
        ++counts_[bucket_of(ns)];
        ++count_;
        if (ns > max_) max_ = ns;
    }

    void merge(const Histogram& other) {
        for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
        count_ += other.count_;
        if (other.max_ > max_) max_ = other.max_;
    }

    std::uint64_t count() const { return count_; }
    std::uint64_t max() const { return max_; }

    // The upper edge of the bucket holding the q-th quantile (0 < q <= 1); 0 when empty.
    std::uint64_t quantile(double q) const {
        if (count_ == 0) return 0;
        const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_) + 0.5);
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            seen += counts_[i];
            if (seen >= rank && seen > 0) return std::min(upper_edge(i), max_);
        }
        return max_;
    }

private:
    static constexpr unsigned sub_bits = 4;
    static constexpr std::size_t sub_buckets = std::size_t{1} << sub_bits;

    static std::size_t bucket_of(std::uint64_t ns) {
        if (ns < sub_buckets) return static_cast<std::size_t>(ns);
        const unsigned exponent = 63 - static_cast<unsigned>(std::countl_zero(ns));  // >= sub_bits
        const std::uint64_t mantissa = (ns >> (exponent - sub_bits)) & (sub_buckets - 1);
        return (exponent - sub_bits + 1) * sub_buckets + static_cast<std::size_t>(mantissa);
    }

    static std::uint64_t upper_edge(std::size_t bucket) {
        if (bucket < sub_buckets) return bucket;
        const std::size_t exponent = bucket / sub_buckets + sub_bits - 1;
        const std::uint64_t mantissa = bucket % sub_buckets;
        return ((sub_buckets + mantissa + 1) << (exponent - sub_bits)) - 1;
    }

    std::array<std::uint64_t, (64 - sub_bits + 1) * sub_buckets> counts_{};
    std::uint64_t count_ = 0;
    std::uint64_t max_ = 0;
};

}  // namespace presence::bench
