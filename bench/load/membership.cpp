// SPDX-License-Identifier: Apache-2.0
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
    void on_frame(LoadConnection&, std::string_view, std::string_view) override {}
};

// M connections get their sessions; then all at once each joins, subscribes to the
// storm channel and asks for its members. A member has seen every other when the answer
// plus the members who joined after it count M: the server writes to a connection in
// order, so what it announced before the answer is of members the answer lists. After
// the answer each subscription is announced one by one or, with --diffs (said in a hello
// before the storm), comes in the joined part of the channel's next diff: the server sends
// a channel's pending diff before a list of it, so no later diff names a member listed.
// With --page the list comes in pages, the next asked once the last has come: as pages
// follow the order of ids and nobody leaves, a diff between pages names members that a
// later page lists, save those whose ids the pages have passed.
class JoinStorm : public Scenario {
public:
    explicit JoinStorm(Environment& env) : Scenario(env, env.options.clients), members_(env.options.clients) {
        if (options_.page == 0) {
            ask_members_ = get_members_frame(std::string(storm));
            return;
        }
        // Encoded once; each page's text is spliced in where the marker was.
        const std::string marker = "PAGE";
        const std::string page = get_members_page_frame(std::string(storm), marker);
        const std::size_t at = page.find(marker);
        page_head_ = page.substr(0, at) + std::to_string(options_.page);
        page_tail_ = page.substr(at + marker.size());
        ask_members_ = page_head_ + page_tail_;
    }
    ~JoinStorm() override { pool_.stop(); }

    bool run() {
        const std::uint64_t m = pool_.size();
        if (!connect_all() || !say_hello()) return false;
        const ProcessSample before = sample_process(env_.server_pid);
        const CpuWindow cpu(env_.server_pid);
        const auto start = std::chrono::steady_clock::now();
        storming_ = true;
        pool_.for_each([this](LoadConnection& c) {
            Tally& t = tally_of(c);
            t.frames_before.add(c.frames());
            t.bytes_before.add(c.bytes());
            join(c);
            c.send(ask_members_);
        });
        if (!wait_for("waiting for every member to see every other",
                      [&] { return sum(&Tally::done) == m || refused_; }))
            return false;
        if (refused_) {
            const std::lock_guard lock(refusal_mutex_);
            env_.report.fail("the server refused a request: " + refusal_);
            return false;
        }
        env_.report.add("members", static_cast<double>(m), "");
        env_.report.add("all_seen_seconds", seconds_since(start), "s");
        if (!settle()) return false;
        env_.report.add("settle_seconds", seconds_since(start), "s");
        cpu.report(env_.report, "");
        const ProcessSample after = sample_process(env_.server_pid);
        pool_.stop();
        report_frames();
        if (env_.server_pid > 0) {
            env_.report.add("server_rss_before_mib", mib(before.rss_bytes), "MiB");
            env_.report.add("server_rss_after_mib", mib(after.rss_bytes), "MiB");
            env_.report.add("server_peak_rss_mib", mib(after.peak_rss_bytes), "MiB");
        }
        return true;
    }

private:
    static constexpr std::string_view storm = "storm";

    struct Seen {
        bool answered = false;
        bool complete = false;        // has seen all M
        bool channel_final = false;   // --diffs: a diff of the channel at M members came
        bool presence_final = false;  // --diffs: a diff of presence as a whole at M members came
        std::uint32_t listed = 0;     // in the answer
        std::uint32_t after = 0;      // joined after the answer
        bool paging = false;          // --page: a page with a cursor came, the next is asked
        std::string passed;           // --page: the last id listed so far
    };

    // Sessions first: the joins wait for the storm.
    std::string channel_of(std::size_t) const override { return storming_ ? std::string(storm) : ""; }

    bool say_hello() {
        if (!options_.diffs) return true;
        const std::string hello = hello_frame(options_.page > 0 ? "member-pages,diffs" : "diffs");
        pool_.for_each([hello](LoadConnection& c) { c.send(hello); });
        if (!wait_for("saying hello", [&] { return sum(&Tally::greeted) == pool_.size(); })) return false;
        if (diffs_refused_) env_.report.fail("the server's hello does not name diffs (is its --diff-interval 0?)");
        if (pages_refused_) env_.report.fail("the server's hello does not name member-pages");
        return !diffs_refused_ && !pages_refused_;
    }

    // Everything the server sends for the storm has arrived: with announcements, every one
    // of them; with diffs, each member's own confirmations and the last diff of the channel
    // and of presence as a whole, the ones at M members.
    bool settle() {
        const std::uint64_t m = pool_.size();
        if (!options_.diffs) return settle_announcements(m * (m + 1) / 2, m * (m + 1) / 2);
        return settle_announcements(m, m) &&
               wait_for("receiving the last diffs", [&] { return sum(&Tally::settled) == m; });
    }

    void report_frames() {
        std::uint64_t frames = 0, bytes = 0, most = 0;
        for (std::size_t i = 0; i < pool_.size(); ++i) {
            const LoadConnection& c = pool_.at(i);
            frames += c.frames();
            bytes += c.bytes();
            most = std::max(most, c.frames());
        }
        const std::uint64_t sent = frames - sum(&Tally::frames_before);
        env_.report.add("server_frames_sent", static_cast<double>(sent), "frames");
        env_.report.add("server_payload_bytes_sent", static_cast<double>(bytes - sum(&Tally::bytes_before)), "bytes");
        env_.report.add("frames_per_client", static_cast<double>(sent) / static_cast<double>(pool_.size()), "frames");
        env_.report.add("frames_per_client_max", static_cast<double>(most), "frames");
        if (options_.diffs) env_.report.add("diff_frames", static_cast<double>(sum(&Tally::diffs)), "frames");
        // Of the M² sightings, those the answers gave: the rest came one by one or in diffs.
        std::uint64_t listed = 0;
        for (const Seen& seen : members_) listed += seen.listed;
        env_.report.add("members_listed", static_cast<double>(listed), "members");
    }

    void on_frame(LoadConnection& c, std::string_view method, std::string_view frame) override {
        Seen& seen = members_[c.index()];
        if (method == method_send_members) {
            seen.answered = true;
            seen.listed = static_cast<std::uint32_t>(count_members(frame));
        } else if (method == method_members_page) {
            on_page(c, seen, frame);
        } else if (method == method_channel_member_new && !options_.diffs && seen.answered) {
            ++seen.after;
        } else if (method == method_diff) {
            on_diff(c, seen, frame);
        } else if (method == method_error_member_channel) {
            // A page limit above the server's --max-page-members, say: no view completes.
            const std::lock_guard lock(refusal_mutex_);
            if (refusal_.empty()) refusal_ = frame;
            refused_ = true;
            return;
        } else if (method == method_hello) {
            if (frame.find("diffs") == std::string_view::npos) diffs_refused_ = true;
            if (options_.page > 0 && frame.find("member-pages") == std::string_view::npos) pages_refused_ = true;
            tally_of(c).greeted.add();
            return;
        } else {
            return;
        }
        if (!seen.complete && seen.answered && seen.listed + seen.after == pool_.size()) {
            seen.complete = true;
            tally_of(c).done.add();
        }
    }

    void on_page(LoadConnection& c, Seen& seen, std::string_view frame) {
        seen.answered = true;
        seen.listed += static_cast<std::uint32_t>(count_members(frame));
        const std::string_view last = last_member_id(frame);
        if (!last.empty()) seen.passed.assign(last);
        const std::string_view cursor = page_cursor(frame);
        seen.paging = !cursor.empty();
        if (!seen.paging) return;
        std::string next = page_head_;
        next.append(":").append(cursor).append(page_tail_);
        c.send(next);
    }

    void on_diff(LoadConnection& c, Seen& seen, std::string_view frame) {
        Tally& t = tally_of(c);
        t.diffs.add();
        Diff diff;
        if (!read_diff(frame, diff)) return;
        const bool last = diff.count == pool_.size();
        const bool was_settled = seen.channel_final && seen.presence_final;
        const std::string_view channel = channel_name(frame);
        if (channel == storm) {
            const std::size_t joined = seen.paging ? count_joined_up_to(frame, diff.joined, seen.passed) : diff.joined;
            if (seen.answered) seen.after += static_cast<std::uint32_t>(joined);
            seen.channel_final = seen.channel_final || last;
        } else if (channel.empty()) {
            seen.presence_final = seen.presence_final || last;
        }
        if (!was_settled && seen.channel_final && seen.presence_final) t.settled.add();
    }

    std::vector<Seen> members_;
    std::string ask_members_;  // get@members, or the first page
    std::string page_head_;    // a page request up to its limit, and after its cursor
    std::string page_tail_;
    std::atomic<bool> storming_{false};
    std::atomic<bool> diffs_refused_{false};
    std::atomic<bool> pages_refused_{false};
    std::atomic<bool> refused_{false};
    std::mutex refusal_mutex_;
    std::string refusal_;  // the first error answer, under refusal_mutex_
};

}  // namespace

bool run_connections(Environment& env) { return Connections(env).run(); }
bool run_join_storm(Environment& env) { return JoinStorm(env).run(); }

}  // namespace presence::bench
