// SPDX-License-Identifier: Apache-2.0
// The scenarios that publish: broadcast (every member publishes, in turn, to the room)
// and fanout (one publisher, N subscribers). Every received message carries its send
// time and sequence number; receivers record the latency in their thread's histogram.
#include <boost/asio/steady_timer.hpp>
#include <cmath>

#include "process_stats.h"
#include "scenario.h"
#include "wire.h"

namespace presence::bench {

namespace {

// A message ready to send, one per thread: the frame (or raw payload) and where its stamp
// goes. Stamping writes into it; no allocation.
struct StampedFrame {
    std::string frame;
    std::size_t stamp_at = 0;
};

constexpr std::uint64_t unlimited = ~std::uint64_t{0};

class Publishing : public Scenario {
public:
    Publishing(Environment& env, std::size_t connections) : Scenario(env, connections), outgoing_(env.options.threads) {
        const std::string text = stamped_text(options_.payload);
        for (StampedFrame& o : outgoing_) {
            o.frame = options_.raw ? text : publish_frame("room", text);
            o.stamp_at = o.frame.find("#T");
        }
        limit_ = options_.messages ? options_.messages : unlimited;
    }

protected:
    void publish(LoadConnection& c, std::uint64_t sequence) {
        StampedFrame& o = outgoing_[c.thread()];
        write_stamp(o.frame.data() + o.stamp_at, {now_ns(), sequence});
        c.send(o.frame);
        tally_of(c).published.add();
    }

    bool publishing_over(std::uint64_t sequence) const {
        return sequence >= limit_ || std::chrono::steady_clock::now() >= stop_publishing_;
    }

    // A stamped message arrived; returns its stamp (sequence unlimited when none).
    Stamp receive(LoadConnection& c, std::string_view method, std::string_view frame) {
        Stamp stamp{0, unlimited};
        if (!options_.raw && method != method_publish) return stamp;
        if (!read_stamp(frame, stamp)) return {0, unlimited};
        Tally& t = tally_of(c);
        const std::uint64_t now = now_ns();
        t.latency.record(now - stamp.sent_ns);
        t.deliveries.add();
        t.last_delivery_ns.set(now);
        return stamp;
    }

    // Publishing ends at the limit or the duration; then every message must reach every
    // receiver.
    bool deliver_all(std::size_t receivers, std::size_t publishers) {
        return wait_for("delivering", [this, receivers, publishers] {
            return sum(&Tally::publishers_done) == publishers &&
                   sum(&Tally::deliveries) == sum(&Tally::published) * receivers;
        });
    }

    void report_throughput(std::uint64_t start_ns) {
        std::uint64_t last = 0;
        for (const Tally& t : tallies_) last = std::max(last, t.last_delivery_ns.get());
        const double seconds = static_cast<double>(last - start_ns) / 1e9;
        const auto deliveries = static_cast<double>(sum(&Tally::deliveries));
        env_.report.add("published", static_cast<double>(sum(&Tally::published)), "messages");
        env_.report.add("deliveries", deliveries, "messages");
        env_.report.add("seconds", seconds, "s");
        env_.report.add("deliveries_per_second", seconds > 0 ? deliveries / seconds : 0, "1/s");
        env_.report.add("publishes_per_second",
                        seconds > 0 ? static_cast<double>(sum(&Tally::published)) / seconds : 0, "1/s");
    }

    std::vector<StampedFrame> outgoing_;
    std::uint64_t limit_ = unlimited;
    std::chrono::steady_clock::time_point stop_publishing_;
};

// N members in one channel. Member i publishes message i, then, each time its own
// message comes back to it, message i + N: every member has one message in flight, and
// the messages go round the members in turn.
class BroadcastRun : public Publishing {
public:
    explicit BroadcastRun(Environment& env) : Publishing(env, env.options.clients) {}
    ~BroadcastRun() override { pool_.stop(); }

    bool run() {
        const std::uint64_t n = pool_.size();
        if (!connect_all() || !settle_announcements(n * (n + 1) / 2, n * (n + 1) / 2)) return false;
        const CpuWindow cpu(env_.server_pid);
        const std::uint64_t start = now_ns();
        stop_publishing_ = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                                   std::chrono::duration<double>(options_.duration));
        pool_.for_each([this](LoadConnection& c) { next(c, c.index()); });
        const bool delivered = deliver_all(n, n);
        cpu.report(env_.report, "");
        pool_.stop();
        report_throughput(start);
        env_.report.add_latency("latency", merged_latency());
        return delivered;
    }

private:
    void next(LoadConnection& c, std::uint64_t sequence) {
        if (publishing_over(sequence)) return tally_of(c).publishers_done.add();
        publish(c, sequence);
    }

    void on_frame(LoadConnection& c, std::string_view method, std::string_view frame) override {
        const Stamp s = receive(c, method, frame);
        if (s.sequence != unlimited && s.sequence % pool_.size() == c.index()) next(c, s.sequence + pool_.size());
    }
};

// LoadConnection 0 publishes to the room, where N subscribers (and itself) are: at --rate
// messages per second, paced by a 1 ms timer, or at saturation, keeping --window messages
// in flight (one more each time one of its own comes back).
class FanoutRun : public Publishing {
public:
    explicit FanoutRun(Environment& env)
        : Publishing(env, env.options.clients + 1), timer_(pool_.io_of(pool_.at(0))) {}
    ~FanoutRun() override { pool_.stop(); }

    bool run() {
        const std::uint64_t n = pool_.size();
        if (!connect_all() || !settle_announcements(n * (n + 1) / 2, n * (n + 1) / 2)) return false;
        const CpuWindow cpu(env_.server_pid);
        const std::uint64_t start = now_ns();
        start_ = std::chrono::steady_clock::now();
        stop_publishing_ = start_ + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::duration<double>(options_.duration));
        boost::asio::post(pool_.io_of(pool_.at(0)), [this] {
            if (options_.rate > 0) return pace();
            for (std::size_t i = 0; i < options_.window; ++i) next();
        });
        const bool delivered = deliver_all(options_.clients, 1);
        cpu.report(env_.report, "");
        pool_.stop();
        report_throughput(start);
        env_.report.add("offered_rate", options_.rate, "publishes/s (0 = saturation)");
        env_.report.add_latency("latency", merged_latency());
        return delivered;
    }

private:
    void next() {
        if (done_) return;
        if (publishing_over(sent_)) {
            done_ = true;
            return tally_of(pool_.at(0)).publishers_done.add();
        }
        publish(pool_.at(0), sent_++);
    }

    void pace() {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        const auto due = static_cast<std::uint64_t>(std::floor(elapsed * options_.rate)) + 1;
        while (!done_ && sent_ < due) next();
        if (done_) return;
        timer_.expires_after(std::chrono::milliseconds(1));
        timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) pace();
        });
    }

    void on_frame(LoadConnection& c, std::string_view method, std::string_view frame) override {
        if (c.index() != 0) {
            receive(c, method, frame);
        } else if (options_.rate == 0 && (options_.raw || method == method_publish)) {
            next();  // one of its own came back: one more in flight
        }
    }

    boost::asio::steady_timer timer_;
    std::chrono::steady_clock::time_point start_;
    std::uint64_t sent_ = 0;
    bool done_ = false;
};

}  // namespace

bool run_broadcast(Environment& env) { return BroadcastRun(env).run(); }
bool run_fanout(Environment& env) { return FanoutRun(env).run(); }

}  // namespace presence::bench
