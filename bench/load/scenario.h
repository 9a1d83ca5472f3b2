// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <sys/types.h>
#include <vector>

#include "bench_options.h"
#include "histogram.h"
#include "pool.h"
#include "report.h"

namespace presence::bench {

// A counter with one writer (the thread it belongs to) and any readers: a plain store,
// no locked instruction on the hot path.
class Counter {
public:
    void add(std::uint64_t n = 1) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    void set(std::uint64_t v) { value_.store(v, std::memory_order_relaxed); }
    std::uint64_t get() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

// What one of the tool's threads counted. Aligned so that threads do not share a line.
struct alignas(64) Tally {
    Counter member_new;          // member@new announcements received
    Counter channel_member_new;  // channel@member@new announcements received
    Counter ready;               // connections ready (joined and subscribed, or upgraded)
    Counter deliveries;          // stamped messages received
    Counter published;
    Counter publishers_done;
    Counter last_delivery_ns;
    Counter done;                // scenario-defined: connections that are finished
    Counter settled;             // scenario-defined: connections that have received everything
    Counter greeted;             // hello answers received
    Counter diffs;               // diff frames received
    Counter frames_before;       // frames and bytes received before a phase began
    Counter bytes_before;
    Histogram latency;           // read only once the threads have stopped
};

// What every scenario works with: the server, the tool's threads, the figures.
struct Environment {
    const BenchOptions& options;
    Report& report;
    Target target;
    std::vector<boost::asio::ip::address> sources;
    pid_t server_pid = 0;
    std::chrono::steady_clock::time_point deadline;
};

// The base of the scenarios: connections that, in protocol mode, join as members on
// their session and subscribe to a channel; ready when their own subscription comes
// back (raw mode: when upgraded). Failures are counted and end the run.
class Scenario : public ConnectionHandler {
public:
    Scenario(Environment& env, std::size_t connections);
    // Each scenario's destructor stops the threads first: its state must outlive them.

protected:
    // The channel connection i subscribes to; empty = join only.
    virtual std::string channel_of(std::size_t i) const;
    // A protocol frame or a raw message that the base did not consume.
    virtual void on_frame(LoadConnection& c, std::string_view method, std::string_view frame) = 0;
    virtual void on_ready(LoadConnection&) {}

    // Waits (polling, bounded by the deadline) until done() or a failure; false then,
    // with the reason in the report.
    bool wait_for(const std::string& what, const std::function<bool()>& done);
    bool connect_all();         // opens every connection and waits for all to be ready
    bool settle_announcements(std::uint64_t member_new, std::uint64_t channel_member_new);
    std::uint64_t sum(Counter Tally::*field) const;
    Histogram merged_latency() const;

    Tally& tally_of(const LoadConnection& c) { return tallies_[c.thread()]; }
    void join(LoadConnection& c);

    Environment& env_;
    const BenchOptions& options_;
    Pool pool_;
    std::vector<Tally> tallies_;

private:
    void on_open(LoadConnection& c) override;
    void on_message(LoadConnection& c, std::string_view payload) override;
    void on_failure(LoadConnection& c, std::string_view what) override;

    std::vector<char> subscribed_;          // per connection: its own subscription came back
    std::atomic<std::uint64_t> failures_{0};
    std::mutex failure_mutex_;
    std::string first_failure_;  // under failure_mutex_
};

// Requests built once by the project's codec, before the clock starts.
std::string publish_frame(const std::string& channel, const std::string& text);
std::string get_members_frame(const std::string& channel);
std::string get_members_page_frame(const std::string& channel, const std::string& text);
std::string hello_frame(const std::string& features);

// Each scenario's entry; the figures go to env.report. Returns false when it did not
// complete.
bool run_broadcast(Environment& env);
bool run_fanout(Environment& env);
bool run_connections(Environment& env);
bool run_join_storm(Environment& env);

// A server's CPU and the tool's over one phase.
struct CpuWindow {
    explicit CpuWindow(pid_t server);
    void report(Report& r, const std::string& prefix) const;  // as % of one core
    pid_t server;
    double wall_start;
    double server_start;
    double tool_start;
};

}  // namespace presence::bench
