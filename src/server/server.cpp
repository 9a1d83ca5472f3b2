// SPDX-License-Identifier: Apache-2.0
#include "presence/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <atomic>
#include <charconv>
#include <future>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

#include "presence/close_codes.h"
#include "protocol/broker_framing.h"
#include "protocol/text.h"
#include "server/listener.h"
#include "server/tls.h"

namespace presence {
namespace asio = boost::asio;

namespace {

constexpr auto stop_grace = std::chrono::milliseconds(1500);
constexpr auto engine_stop_grace = std::chrono::milliseconds(2000);
constexpr auto webhooks_stop_margin = std::chrono::milliseconds(500);
// How often deadlines are looked at: members whose grace for resuming ran out leave
// within this much of it.
constexpr auto housekeeping_period = std::chrono::milliseconds(250);
// Refusals by a limit are logged as counts, at most once per period: a flood costs one
// line, not one per request.
constexpr auto limits_log_period = std::chrono::seconds(10);

using LimitsHit = PresenceService::LimitsHit;

void describe(std::string& line, std::uint64_t count, std::string_view what) {
    if (count == 0) return;
    line += line.empty() ? "limits: " : ", ";
    line += std::to_string(count) + " " + std::string(what);
}

// What was refused since `before`, as one line.
std::string describe(const LimitsHit& now, const LimitsHit& before, const Refusals& refused,
                     const Refusals& refused_before) {
    std::string line;
    describe(line, refused.server_full - refused_before.server_full, "connections refused: server full");
    describe(line, refused.address_full - refused_before.address_full,
             "connections refused: too many from one address");
    describe(line, refused.no_descriptors - refused_before.no_descriptors,
             "connections refused: out of file descriptors");
    describe(line, now.requests - before.requests, "requests over the rate");
    describe(line, now.channels - before.channels, "subscribes over the channels per member");
    describe(line, now.invitations - before.invitations, "invitations over the rate");
    describe(line, now.channel_full - before.channel_full, "subscribes to full channels");
    describe(line, now.updates - before.updates, "member updates over the rate");
    describe(line, now.invitations_received - before.invitations_received,
             "invitations not delivered: the invitee was sent too many");
    describe(line, now.state_budget - before.state_budget, "connections closed for holding too much");
    return line;
}

asio::ip::address ip_address(const std::string& host, const std::string& what) {
    boost::system::error_code ec;
    const asio::ip::address address = asio::ip::make_address(host, ec);
    if (ec) throw std::invalid_argument(what + " is not an IP address: " + host);
    return address;
}

// "HOST:PORT", an IPv6 host in brackets: "[::1]:9090".
asio::ip::tcp::endpoint admin_endpoint(const std::string& address) {
    const std::size_t colon = address.rfind(':');
    std::string host = address.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const std::string port = colon == std::string::npos ? "" : address.substr(colon + 1);
    unsigned long number = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (colon == std::string::npos || port.empty() || error != std::errc() || end != port.data() + port.size() ||
        number > 65535)
        throw std::invalid_argument("admin address must be HOST:PORT (e.g. 127.0.0.1:9090), not: " + address);
    return {ip_address(host, "admin address host"), static_cast<std::uint16_t>(number)};
}

}  // namespace

struct Server::Impl {
    Impl(asio::io_context* external, ServerOptions options, ServerHooks hooks)
        : own_io(external ? nullptr : std::make_unique<asio::io_context>(1)),
          io(external ? *external : *own_io),
          core(std::make_shared<ServerCore>(io, std::move(options), std::move(hooks))),
          ack_timer(core->strand),
          diff_timer(core->strand),
          housekeeping_timer(core->strand) {}

    // Runs `work` on the strand and returns its result; directly when already there, or
    // when the server is not running, as nothing else touches its state then. Another
    // handler of the io_context may not wait for the strand: with one thread running it,
    // the strand would wait for that handler to return, for ever.
    template <typename Work>
    auto on_strand(Work work) const -> decltype(work()) {
        if (!started || core->strand.running_in_this_thread()) return work();
        if (in_other_handler())
            throw std::logic_error("a Server query was called from a handler of the io_context the server runs on, "
                                   "outside its hooks: it cannot wait there for the server");
        std::packaged_task<decltype(work())()> task(std::move(work));
        auto result = task.get_future();
        asio::post(core->strand, [&task] { task(); });
        return result.get();
    }

    // In a handler of the io_context that is not the server's.
    bool in_other_handler() const {
        return io.get_executor().running_in_this_thread() && !core->strand.running_in_this_thread();
    }

    // At the shortest interval of the namespaces that acknowledge: each re-sends only
    // what is due.
    void schedule_resends(std::chrono::milliseconds interval) {
        ack_timer.expires_after(interval);
        ack_timer.async_wait([this, interval](boost::system::error_code ec) {
            if (ec || core->stopping()) return;  // a tick already due when stop() cancelled it
            for (const auto& ns : core->namespaces())
                if (ns->service.options().ack.enabled) ns->service.resend_unacknowledged(protocol::Clock::now());
            schedule_resends(interval);
        });
    }

    std::optional<std::chrono::milliseconds> resend_interval() const {
        std::optional<std::chrono::milliseconds> shortest;
        for (const auto& ns : core->namespaces())
            if (const AckOptions& ack = ns->service.options().ack; ack.enabled)
                shortest = std::min(shortest.value_or(ack.interval), ack.interval);
        return shortest;
    }

    // Armed for the first moment a namespace has diffs or users' leaves to send, and not
    // at all while none has; each service calls it when that moment may have come earlier.
    void schedule_flush() {
        if (core->stopping()) return;
        std::optional<protocol::Clock::time_point> next;
        for (const auto& ns : core->namespaces())
            if (const auto at = ns->service.next_flush()) next = std::min(next.value_or(*at), *at);
        if (!next || (flush_at && *flush_at <= *next)) return;
        flush_at = next;
        diff_timer.expires_at(*next);
        diff_timer.async_wait([this](boost::system::error_code ec) {
            if (ec || core->stopping()) return;  // a tick already due when stop() cancelled it
            flush_at.reset();
            for (const auto& ns : core->namespaces()) ns->service.flush_views(protocol::Clock::now());
            schedule_flush();
        });
    }

    void schedule_housekeeping() {
        housekeeping_timer.expires_after(housekeeping_period);
        housekeeping_timer.async_wait([this](boost::system::error_code ec) {
            if (ec || core->stopping()) return;  // a tick already due when stop() cancelled it
            for (const auto& ns : core->namespaces()) {
                ns->service.expire(protocol::Clock::now());
                ns->service.end_grants(std::chrono::system_clock::now());
            }
            log_limits();
            schedule_housekeeping();
        });
    }

    void log_limits() {
        const auto now = std::chrono::steady_clock::now();
        const LimitsHit hit = limits_hit();
        const Refusals& refusals = core->counters.refusals();
        const bool changed = hit != logged_limits || refusals != logged_refusals;
        if (!changed || now - limits_logged_at < limits_log_period) return;
        if (const auto& log = core->hooks().on_log)
            log(LogLevel::warning, describe(hit, logged_limits, refusals, logged_refusals));
        logged_limits = hit;
        logged_refusals = refusals;
        limits_logged_at = now;
    }

    LimitsHit limits_hit() const {
        LimitsHit sum;
        for (const auto& ns : core->namespaces()) sum += ns->service.limits_hit();
        return sum;
    }

    // Starts the shutdown on the strand; `idle` becomes ready once no connection is left.
    void begin_stop() {
        core->begin_stopping();
        stop_listening();
        ack_timer.cancel();
        for (const auto& ns : core->namespaces()) ns->service.on_next_flush(nullptr);
        diff_timer.cancel();
        housekeeping_timer.cancel();
        for (const auto& ns : core->namespaces()) ns->service.close_all(close_code::going_away, "server shutting down");
        core->notify_when_idle([this] { idle.set_value(); });
    }

    void finish_stop() {
        core->notify_when_idle(nullptr);
        for (const auto& ns : core->namespaces()) ns->service.disconnect_all();
    }

    // Lets the engines tell the other nodes this one is leaving, for a bounded time.
    void stop_engines() {
        std::vector<std::future<void>> done;
        on_strand([this, &done] {
            for (const auto& ns : core->namespaces()) {
                auto left = std::make_shared<std::promise<void>>();
                done.push_back(left->get_future());
                ns->engine->stop([left] { left->set_value(); });
            }
        });
        const auto deadline = std::chrono::steady_clock::now() + engine_stop_grace;
        for (auto& one : done) one.wait_until(deadline);
    }

    void stop_listening() {
        listener->stop();
        if (admin_listener) admin_listener->stop();
    }

    // The events of the departures just announced get their last attempt, which the
    // webhooks end at their timeout; the margin only guards against an io_context that
    // no longer runs.
    void flush_webhooks() {
        WebhookSender* webhooks = core->webhooks();
        if (!webhooks) return;
        auto flushed = std::make_shared<std::promise<void>>();
        on_strand([webhooks, flushed] { webhooks->stop([flushed] { flushed->set_value(); }); });
        flushed->get_future().wait_for(core->options.webhooks.timeout + webhooks_stop_margin);
    }

    Namespace& namespace_of(const std::string& guid) const {
        Namespace* ns = core->find(guid);
        if (!ns) throw std::invalid_argument("no namespace \"" + guid + "\"");
        return *ns;
    }

    std::unique_ptr<asio::io_context> own_io;
    // Keeps the threads running the io_context until stop() is done with them, even when
    // no connection, timer or Redis work is left for a moment.
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
    asio::io_context& io;
    std::shared_ptr<ServerCore> core;
    asio::steady_timer ack_timer;
    asio::steady_timer diff_timer;
    std::optional<protocol::Clock::time_point> flush_at;  // when diff_timer is armed for
    asio::steady_timer housekeeping_timer;
    LimitsHit logged_limits;
    Refusals logged_refusals;
    std::chrono::steady_clock::time_point limits_logged_at{};
    std::shared_ptr<Listener> listener;
    std::shared_ptr<Listener> admin_listener;  // on AdminOptions::address, when given
    std::thread thread;
    std::atomic<bool> started{false};
    bool stop_begun = false;
    std::promise<void> idle;
};

Server::Server(ServerOptions options, ServerHooks hooks)
    : impl_(std::make_unique<Impl>(nullptr, std::move(options), std::move(hooks))) {}

Server::Server(asio::io_context& io, ServerOptions options, ServerHooks hooks)
    : impl_(std::make_unique<Impl>(&io, std::move(options), std::move(hooks))) {}

Server::~Server() { stop(); }

void Server::start() {
    Impl& s = *impl_;
    const ServerOptions& options = s.core->options;
    const asio::ip::tcp::endpoint endpoint(ip_address(options.host, "host"), options.port);
    std::optional<asio::ip::tcp::endpoint> admin;
    if (!options.admin.address.empty()) admin = admin_endpoint(options.admin.address);
    if (options.heartbeat.interval.count() > 0 && options.heartbeat.timeout.count() <= 0)
        throw std::invalid_argument("the heartbeat timeout must be above 0 when heartbeats are on");
    s.core->start(options.tls.enabled() ? make_tls_context(options.tls) : nullptr);
    auto listener = std::make_shared<Listener>(s.core, endpoint, HttpRole::main);
    if (admin) s.admin_listener = std::make_shared<Listener>(s.core, *admin, HttpRole::admin);
    s.listener = std::move(listener);
    asio::dispatch(s.core->strand, [&s] {
        s.listener->run();
        if (s.admin_listener) s.admin_listener->run();
        for (const auto& ns : s.core->namespaces()) ns->engine->start();
        if (const auto interval = s.resend_interval()) s.schedule_resends(*interval);
        for (const auto& ns : s.core->namespaces()) ns->service.on_next_flush([&s] { s.schedule_flush(); });
        s.schedule_housekeeping();
    });
    s.started = true;
    if (s.own_io) s.thread = std::thread([&s] { s.io.run(); });
}

void Server::stop() {
    Impl& s = *impl_;
    if (!s.started) return;
    if (s.core->strand.running_in_this_thread()) {
        // Called from a hook: nothing here may wait for the strand it runs on.
        if (!std::exchange(s.stop_begun, true)) s.begin_stop();
        return;
    }
    if (s.in_other_handler()) {
        // Nor from another handler of the io_context: the shutdown is only begun.
        if (!std::exchange(s.stop_begun, true)) asio::post(s.core->strand, [&s] { s.begin_stop(); });
        return;
    }
    s.keep_running.emplace(s.io.get_executor());
    if (!std::exchange(s.stop_begun, true)) asio::post(s.core->strand, [&s] { s.begin_stop(); });
    if (s.idle.get_future().wait_for(stop_grace) != std::future_status::ready)
        s.on_strand([&s] { s.finish_stop(); });
    s.flush_webhooks();
    s.stop_engines();
    s.started = false;
    s.keep_running.reset();
    if (s.thread.joinable()) {
        s.io.stop();
        s.thread.join();
    }
}

std::uint16_t Server::port() const { return impl_->listener ? impl_->listener->port() : 0; }

std::uint16_t Server::admin_port() const { return impl_->admin_listener ? impl_->admin_listener->port() : 0; }

void Server::add_namespace(const std::string& guid, PresenceOptions options, ServerHooks hooks) {
    if (impl_->started) throw std::logic_error("add_namespace: the server has started");
    if (!protocol::valid_guid(guid))
        throw std::invalid_argument("namespace Guid must be 1 to 100 printable ASCII characters: \"" + guid + "\"");
    if (impl_->core->find(guid)) throw std::invalid_argument("namespace \"" + guid + "\" declared twice");
    impl_->core->add_namespace(guid, std::move(options), std::move(hooks));
}

void Server::broadcast(const std::string& text, const std::string& channel, const std::string& guid) {
    if (!protocol::is_valid_utf8(text) || !protocol::is_valid_utf8(channel))
        throw std::invalid_argument("broadcast: text and channel must be UTF-8");
    Namespace& ns = impl_->namespace_of(guid);
    asio::dispatch(impl_->core->strand,
                   [core = impl_->core, &ns, text, channel] { ns.service.broadcast(text, channel); });
}

bool Server::disconnect(const std::string& member_id, const std::string& guid) {
    Namespace& ns = impl_->namespace_of(guid);
    return impl_->on_strand([this, &ns, &member_id] { return impl_->core->disconnect_member(ns, member_id); });
}

std::vector<ChannelSummary> Server::channels(const std::string& guid) const {
    Namespace& ns = impl_->namespace_of(guid);
    return impl_->on_strand([&ns] { return ns.engine->channels(); });
}

std::vector<Member> Server::members(const std::string& channel, const std::string& guid) const {
    Namespace& ns = impl_->namespace_of(guid);
    return impl_->on_strand(
        [&ns, &channel] { return channel.empty() ? ns.engine->all_members() : ns.engine->members(channel); });
}

std::vector<Member> Server::members() const { return members(""); }

std::size_t Server::connections() const {
    return impl_->on_strand([this] { return impl_->core->connections(); });
}

}  // namespace presence
