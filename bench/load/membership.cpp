// The scenarios about members rather than messages: many idle members held at once
// (connections), and many members joining one channel at once (join storm).
#include "process_stats.h"
#include "scenario.h"
#include "wire.h"

namespace presence::bench {

namespace {

double mib(std::uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// C connections, each joined and subscribed to channel i % K (with --no-join: at its
// session only; raw mode: upgraded only), then left idle: how long connecting all took, and what the server holds per connection.
class Connections : public Scenario {
public:
    explicit Connections(Environment& env) : Scenario(env, env.options.clients) {}
    ~Connections() override { pool_.stop(); }

    bool run() {
        const std::uint64_t c = pool_.size();
        const std::uint64_t k = std::max<std::size_t>(options_.channels, 1);
        const ProcessSample before = sample_process(env_.server_pid);
        const CpuWindow cpu(env_.server_pid);
        const auto start = std::chrono::steady_clock::now();
        if (!connect_all()) return false;
        env_.report.add("connect_seconds", seconds_since(start), "s");
        // Every join is announced to every member, every subscription to the channel's
        // members; the server is idle once all of that has arrived.
        std::uint64_t channel_announcements = 0;
        for (std::uint64_t i = 0; i < k && options_.join; ++i) {
            const std::uint64_t members = c / k + (i < c % k ? 1 : 0);
            channel_announcements += members * (members + 1) / 2;
        }
        if (!settle_announcements(options_.join ? c * (c + 1) / 2 : 0, channel_announcements)) return false;
        env_.report.add("settle_seconds", seconds_since(start), "s");
        cpu.report(env_.report, "");
        const ProcessSample after = sample_process(env_.server_pid);
        env_.report.add("connections", static_cast<double>(c), "");
        if (env_.server_pid > 0) {
            env_.report.add("server_rss_before_mib", mib(before.rss_bytes), "MiB");
            env_.report.add("server_rss_mib", mib(after.rss_bytes), "MiB");
            env_.report.add("server_peak_rss_mib", mib(after.peak_rss_bytes), "MiB");
            env_.report.add("server_rss_per_connection_kib",
                            static_cast<double>(after.rss_bytes - before.rss_bytes) / 1024.0 / static_cast<double>(c),
                            "KiB");
        }
        return true;
    }

private:
    std::string channel_of(std::size_t i) const override {
        if (!options_.join) return {};
        return "channel-" + std::to_string(i % std::max<std::size_t>(options_.channels, 1));
    }
    void on_frame(Connection&, std::string_view, std::string_view) override {}
};

// M connections get their sessions; then all at once each joins, subscribes to the
// storm channel and asks for its members. A member has seen every other when the answer
// plus the subscriptions announced after it count M: the server writes to a connection
// in order, so announcements before the answer are of members the answer lists.
class JoinStorm : public Scenario {
public:
    explicit JoinStorm(Environment& env) : Scenario(env, env.options.clients), members_(env.options.clients) {
        ask_members_ = get_members_frame("storm");
    }
    ~JoinStorm() override { pool_.stop(); }

    bool run() {
        const std::uint64_t m = pool_.size();
        if (!connect_all()) return false;
        const ProcessSample before = sample_process(env_.server_pid);
        const CpuWindow cpu(env_.server_pid);
        const auto start = std::chrono::steady_clock::now();
        storming_ = true;
        pool_.for_each([this](Connection& c) {
            Tally& t = tally_of(c);
            t.frames_before.add(c.frames());
            t.bytes_before.add(c.bytes());
            join(c);
            c.send(ask_members_);
        });
        if (!wait_for("waiting for every member to see every other", [&] { return sum(&Tally::done) == m; }))
            return false;
        env_.report.add("members", static_cast<double>(m), "");
        env_.report.add("all_seen_seconds", seconds_since(start), "s");
        if (!settle_announcements(m * (m + 1) / 2, m * (m + 1) / 2)) return false;
        env_.report.add("settle_seconds", seconds_since(start), "s");
        cpu.report(env_.report, "");
        const ProcessSample after = sample_process(env_.server_pid);
        pool_.stop();
        std::uint64_t frames = 0, bytes = 0;
        for (std::size_t i = 0; i < pool_.size(); ++i) {
            frames += pool_.at(i).frames();
            bytes += pool_.at(i).bytes();
        }
        env_.report.add("server_frames_sent", static_cast<double>(frames - sum(&Tally::frames_before)), "frames");
        env_.report.add("server_payload_bytes_sent", static_cast<double>(bytes - sum(&Tally::bytes_before)), "bytes");
        if (env_.server_pid > 0) {
            env_.report.add("server_rss_before_mib", mib(before.rss_bytes), "MiB");
            env_.report.add("server_rss_after_mib", mib(after.rss_bytes), "MiB");
            env_.report.add("server_peak_rss_mib", mib(after.peak_rss_bytes), "MiB");
        }
        return true;
    }

private:
    struct Seen {
        bool answered = false;
        std::uint32_t listed = 0;  // in the answer
        std::uint32_t after = 0;   // subscriptions announced after the answer
    };

    // Sessions first: the joins wait for the storm.
    std::string channel_of(std::size_t) const override { return storming_ ? "storm" : ""; }

    void on_frame(Connection& c, std::string_view method, std::string_view frame) override {
        Seen& seen = members_[c.index()];
        if (method == method_send_members) {
            seen.answered = true;
            seen.listed = static_cast<std::uint32_t>(count_members(frame));
        } else if (method == method_channel_member_new && seen.answered) {
            ++seen.after;
        } else {
            return;
        }
        if (seen.answered && seen.listed + seen.after == pool_.size()) tally_of(c).done.add();
    }

    std::vector<Seen> members_;
    std::string ask_members_;
    std::atomic<bool> storming_{false};
};

}  // namespace

bool run_connections(Environment& env) { return Connections(env).run(); }
bool run_join_storm(Environment& env) { return JoinStorm(env).run(); }

}  // namespace presence::bench
