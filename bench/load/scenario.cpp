// SPDX-License-Identifier: Apache-2.0
#include "scenario.h"

#include <thread>

#include "process_stats.h"
#include "protocol/codec.h"
#include "wire.h"

namespace presence::bench {

using presence::protocol::Message;
using presence::protocol::Method;

namespace {

std::string request(Method method, const std::string& channel, const std::string& text = {}) {
    Message m;
    m.method = method;
    if (method == Method::member_new) m.member = presence::Member{};
    if (!channel.empty()) m.channel = channel;
    if (!text.empty()) m.text = text;
    return presence::protocol::encode(m, false);
}

double seconds_now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string publish_frame(const std::string& channel, const std::string& text) {
    return request(Method::publish_msg, channel, text);
}

std::string get_members_frame(const std::string& channel) { return request(Method::get_members, channel); }

std::string get_members_page_frame(const std::string& channel, const std::string& text) {
    return request(Method::get_members_page, channel, text);
}

std::string hello_frame(const std::string& features) { return request(Method::hello, {}, features); }

Scenario::Scenario(Environment& env, std::size_t connections)
    : env_(env), options_(env.options), pool_(env.options.threads), tallies_(env.options.threads),
      subscribed_(connections, 0) {
    pool_.create(connections, *this);
}

std::string Scenario::channel_of(std::size_t) const { return "room"; }

void Scenario::on_open(LoadConnection& c) {
    if (!options_.raw) return;  // ready once joined, on the session frame
    tally_of(c).ready.add();
    on_ready(c);
}

void Scenario::join(LoadConnection& c) {
    const std::string channel = channel_of(c.index());
    c.send(request(Method::member_new, {}));
    if (!channel.empty()) c.send(request(Method::channel_member_new, channel));
}

void Scenario::on_message(LoadConnection& c, std::string_view payload) {
    if (options_.raw) return on_frame(c, {}, payload);
    const std::string_view method = method_of(payload);
    Tally& tally = tally_of(c);
    if (method == method_member_new) {
        tally.member_new.add();
    } else if (method == method_channel_member_new) {
        tally.channel_member_new.add();
        // The first one a connection receives is its own: it is a channel member only
        // from its own subscription on, which the server announces to it first.
        if (!subscribed_[c.index()]) {
            subscribed_[c.index()] = 1;
            tally.ready.add();
            on_ready(c);
        }
    } else if (method == method_session) {
        if (channel_of(c.index()).empty()) {
            tally.ready.add();
            on_ready(c);
        } else {
            join(c);
        }
        return;
    }
    on_frame(c, method, payload);
}

void Scenario::on_failure(LoadConnection& c, std::string_view what) {
    const std::lock_guard lock(failure_mutex_);
    if (first_failure_.empty()) first_failure_ = "connection " + std::to_string(c.index()) + ": " + std::string(what);
    failures_.fetch_add(1);
}

bool Scenario::wait_for(const std::string& what, const std::function<bool()>& done) {
    for (;;) {
        if (failures_.load() > 0) {
            const std::lock_guard lock(failure_mutex_);
            env_.report.fail(std::to_string(failures_.load()) + " connection(s) failed while " + what +
                             ", first: " + first_failure_);
            return false;
        }
        if (done()) return true;
        if (std::chrono::steady_clock::now() > env_.deadline) {
            env_.report.fail("timed out while " + what);
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

bool Scenario::connect_all() {
    pool_.open_all(env_.target, env_.sources, options_.connect_window);
    return wait_for("connecting", [this] { return sum(&Tally::ready) == pool_.size(); });
}

bool Scenario::settle_announcements(std::uint64_t member_new, std::uint64_t channel_member_new) {
    if (options_.raw) return true;
    return wait_for("receiving the announcements of the joins", [&] {
        return sum(&Tally::member_new) == member_new && sum(&Tally::channel_member_new) == channel_member_new;
    });
}

std::uint64_t Scenario::sum(Counter Tally::*field) const {
    std::uint64_t total = 0;
    for (const Tally& t : tallies_) total += (t.*field).get();
    return total;
}

Histogram Scenario::merged_latency() const {
    Histogram all;
    for (const Tally& t : tallies_) all.merge(t.latency);
    return all;
}

CpuWindow::CpuWindow(pid_t s)
    : server(s), wall_start(seconds_now()), server_start(sample_process(s).cpu_seconds), tool_start(own_cpu_seconds()) {}

void CpuWindow::report(Report& r, const std::string& prefix) const {
    const double wall = seconds_now() - wall_start;
    if (wall <= 0) return;
    if (server > 0) r.add(prefix + "server_cpu_percent", 100 * (sample_process(server).cpu_seconds - server_start) / wall, "% of a core");
    r.add(prefix + "tool_cpu_percent", 100 * (own_cpu_seconds() - tool_start) / wall, "% of a core");
}

}  // namespace presence::bench
