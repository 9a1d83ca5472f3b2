// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace presence {

// Durations counted in fixed buckets, as a Prometheus histogram: integer counters, no
// allocation and no lock per observation. It belongs to one thread (the server's strand),
// which both observes and writes it out.
class LatencyHistogram {
public:
    static constexpr std::size_t bucket_count = 16;
    // Upper bounds of the buckets (a duration falls in the first whose bound it does not
    // exceed), from 100 µs to 10 s; a last bucket, +Inf, takes the rest.
    static constexpr std::array<std::int64_t, bucket_count> bounds_ns{
        100'000,     250'000,     500'000,       1'000'000,     2'500'000,     5'000'000,
        10'000'000,  25'000'000,  50'000'000,    100'000'000,   250'000'000,   500'000'000,
        1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};
    static constexpr std::array<std::string_view, bucket_count + 1> bound_labels{
        "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
        "0.1",    "0.25",    "0.5",    "1",     "2.5",    "5",     "10",   "+Inf"};

    void observe(std::chrono::steady_clock::duration duration) {
        const std::int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
        std::size_t bucket = 0;
        while (bucket < bucket_count && ns > bounds_ns[bucket]) ++bucket;
        ++counts_[bucket];
        if (ns > 0) sum_ns_ += static_cast<std::uint64_t>(ns);
    }

    std::uint64_t count() const {
        std::uint64_t total = 0;
        for (const std::uint64_t n : counts_) total += n;
        return total;
    }

    // The samples of the histogram family `name` (its HELP and TYPE lines are the caller's):
    // NAME_bucket{le=...} for each bound, cumulative, then NAME_sum in seconds and
    // NAME_count. `labels` are the series' other labels, written and escaped as they go
    // between the braces (`namespace="sales"`), or empty.
    void write(std::string& out, std::string_view name, std::string_view labels = {}) const {
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            cumulative += counts_[i];
            out.append(name).append("_bucket{").append(labels).append(labels.empty() ? "" : ",");
            out.append("le=\"").append(bound_labels[i]).append("\"} ").append(std::to_string(cumulative)) += '\n';
        }
        // Appended rather than "{" + labels + "}": GCC 12 warns falsely (-Wrestrict) on the latter.
        std::string braces;
        if (!labels.empty()) braces.append("{").append(labels).append("}");
        char sum[32];
        const auto written = std::to_chars(sum, sum + sizeof sum, static_cast<double>(sum_ns_) / 1e9);
        out.append(name).append("_sum").append(braces).append(" ").append(sum, written.ptr) += '\n';
        out.append(name).append("_count").append(braces).append(" ").append(std::to_string(cumulative)) += '\n';
    }

private:
    std::array<std::uint64_t, bucket_count + 1> counts_{};
    std::uint64_t sum_ns_ = 0;
};

}  // namespace presence
