// SPDX-License-Identifier: Apache-2.0
#include "presence/client.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <chrono>
#include <future>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include "client/broker_connection.h"
#include "client/client_protocol.h"
#include "client/websocket_transport.h"
#include "presence/close_codes.h"
#include "presence/version.h"
#include "protocol/broker_framing.h"

namespace presence {
namespace asio = boost::asio;
using client::Bytes;
using client::ClientProtocol;
using client::Transport;

namespace {

ClientOptions checked(ClientOptions options) {
    if (!options.guid.empty() && !protocol::valid_guid(options.guid))
        throw std::invalid_argument("not a Guid (1 to 100 printable ASCII characters): " + options.guid);
    return options;
}

}  // namespace

// Two sides: the caller side (connect, close, the io thread's life; guarded by `lifecycle`)
// and the strand side (everything else, touched only on the strand). Posted work holds a
// weak_ptr, so work still queued in our own io_context never keeps the Impl alive.
// A client runs on its own io_context and thread, on yours, or on its broker's.
struct Client::Impl : std::enable_shared_from_this<Client::Impl> {
    using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

    Impl(asio::io_context* external, ClientOptions opts, ClientEvents user_events)
        : options(checked(std::move(opts))),
          url(client::checked_url(options.url)),
          events(std::move(user_events)),
          own_io(external ? nullptr : std::make_unique<asio::io_context>(1)),
          io(external ? *external : *own_io),
          strand(asio::make_strand(io)),
          ack_timer(strand),
          reconnect_timer(strand) {
        keep_session_id();
    }

    Impl(const Broker::Impl& on, ClientOptions opts, ClientEvents user_events)
        : options(checked(std::move(opts))),
          events(std::move(user_events)),
          io(on.io),
          strand(on.connection->strand()),
          ack_timer(strand),
          reconnect_timer(strand),
          broker(on.connection),
          broker_thread(on.thread.get_id()) {
        keep_session_id();
    }

    void keep_session_id() {
        // The session id is also readable from other threads.
        events.on_session = [this, user = std::move(events.on_session)](const std::string& id) {
            {
                std::lock_guard lock(session_mutex);
                session_id = id;
            }
            if (user) user(id);
        };
    }

    template <typename Work>
    void post(Work work) {
        asio::post(strand, [weak = weak_from_this(), work = std::move(work)]() mutable {
            if (const auto self = weak.lock()) work(*self);
        });
    }

    // Caller side. Callbacks may call connect() and close(), so no lock is held while
    // joining the io thread, and from the io thread itself these only post.

    void start() {
        if (!own_io) return post([](Impl& self) { self.open(); });
        if (on_io_thread()) return start_from_io_thread();
        std::lock_guard serial(join_mutex);
        std::thread finishing;
        {
            std::lock_guard lock(lifecycle);
            if (guard) return post([](Impl& self) { self.open(); });
            finishing = std::move(thread);
        }
        if (finishing.joinable()) finishing.join();  // the last close was still finishing
        std::lock_guard lock(lifecycle);
        io.restart();
        guard.emplace(io.get_executor());
        post([](Impl& self) { self.open(); });
        thread = std::thread([this] { io.run(); });
        io_thread = thread.get_id();
    }

    void start_from_io_thread() {
        std::lock_guard lock(lifecycle);
        if (joining) return post([](Impl& self) { self.report("connect() ignored: the client is closing"); });
        if (!guard) guard.emplace(io.get_executor());
        post([](Impl& self) { self.open(); });
    }

    void stop() {
        if (waits_for_broker()) return settle([](Impl& self) { self.shut(); });
        if (!own_io) return post([](Impl& self) { self.shut(); });
        if (on_io_thread()) return release();
        std::lock_guard serial(join_mutex);
        std::thread running;
        {
            std::lock_guard lock(lifecycle);
            joining = true;
            running = std::move(thread);
        }
        release();
        // Once the closing handshake is over the io thread runs out of work and ends.
        if (running.joinable()) running.join();
        std::lock_guard lock(lifecycle);
        joining = false;
        io_thread = {};
    }

    void release() {
        std::lock_guard lock(lifecycle);
        if (!guard) return;
        post([](Impl& self) { self.shut(); });
        guard.reset();
    }

    bool on_io_thread() {
        std::lock_guard lock(lifecycle);
        return std::this_thread::get_id() == io_thread;
    }

    // Off the thread of a broker that owns one, which runs as long as the broker exists.
    bool waits_for_broker() const {
        return broker_thread != std::thread::id{} && std::this_thread::get_id() != broker_thread;
    }

    // Runs `work` on the strand and returns once it and what it posted in turn (a
    // channel's on_closed) have run.
    template <typename Work>
    void settle(Work work) {
        std::promise<void> done;
        asio::post(strand, [self = shared_from_this(), &done, work = std::move(work)]() mutable {
            work(*self);
            asio::post(self->strand, [&done] { done.set_value(); });
        });
        done.get_future().wait();
    }

    // Strand side.

    void open() {
        if (protocol) return report("connect(): already connected");
        protocol = std::make_unique<ClientProtocol>(options, events, [this](const Bytes& b) { send(b); });
        closing = false;
        dial();
    }

    // One connection to the server: the first of a connect(), or one restoring a lost one.
    void dial() {
        const std::weak_ptr<Impl> weak = weak_from_this();
        auto on = [weak](auto member) {
            return [weak, member](auto&&... args) {
                if (const auto self = weak.lock()) ((*self).*member)(std::forward<decltype(args)>(args)...);
            };
        };
        client::TransportHandlers handlers{on(&Impl::on_open), on(&Impl::on_frame), on(&Impl::report),
                                           on(&Impl::on_closed)};
        transport = broker ? broker->channel(options.guid, std::move(handlers), member_id(weak))
                           : client::make_transport(strand, *url, transport_options(), std::move(handlers));
        transport->open();
    }

    client::TransportOptions transport_options() const {
        return {.subprotocol = protocol::endpoint_id(options.guid),
                .timeout = options.connect_timeout,
                .max_queue_bytes = options.max_send_queue_bytes,
                .heartbeat_interval = options.heartbeat_interval,
                .heartbeat_timeout = options.heartbeat_timeout,
                .ca_file = options.ca_file};
    }

    // The member id, which a resumed member keeps from its first session.
    static client::BrokerConnection::MemberId member_id(std::weak_ptr<Impl> weak) {
        return [weak] {
            const auto self = weak.lock();
            if (!self) return std::string();
            std::lock_guard lock(self->session_mutex);
            return self->session_id;
        };
    }

    void shut() {
        closing = true;
        if (transport) return transport->close(close_code::normal);
        if (protocol) end(close_code::normal, "");  // waiting between two reconnection attempts
    }

    void on_open() {
        opened = true;
        if (events.on_connect) events.on_connect();
        if (options.ack.enabled) schedule_resends();
    }

    void on_frame(const std::string& frame) {
        if (protocol) protocol->receive(frame);
    }

    // A connection lost without a closing handshake is restored when its member can be
    // resumed; any other end of a connection ends the connect().
    void on_closed(int code, const std::string& reason) {
        ack_timer.cancel();
        transport.reset();
        const bool lost = opened && !closing && code == close_code::abnormal;
        if (lost && protocol->restoring()) return retry(reason);
        if (lost && protocol->resumable()) return restore(reason);
        if (closing && protocol->restoring()) return end(close_code::normal, "");
        end(code, reason);
    }

    void restore(const std::string& reason) {
        protocol->connection_lost();
        lost_at = std::chrono::steady_clock::now();
        retry_delay = options.reconnect_delay;
        if (events.on_reconnecting) events.on_reconnecting();
        retry(reason);
    }

    // The next attempt comes after a wait that doubles each time, up to the maximum; once
    // reconnect_give_up has passed since the loss, the client gives up. Each wait is a random
    // time between half of it and all of it, so that the clients of a restarted server do not
    // all come back at once.
    void retry(const std::string& reason) {
        const auto left = lost_at + options.reconnect_give_up - std::chrono::steady_clock::now();
        if (left <= left.zero()) return end(close_code::abnormal, reason);
        std::uniform_int_distribution<std::chrono::milliseconds::rep> jitter(0, retry_delay.count() / 2);
        const std::chrono::milliseconds wait = retry_delay - std::chrono::milliseconds(jitter(random));
        reconnect_timer.expires_after(std::min<std::chrono::steady_clock::duration>(wait, left));
        retry_delay = std::min(retry_delay * 2, options.reconnect_max_delay);
        reconnect_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            const auto self = weak.lock();
            if (ec || !self || self->transport || !self->protocol || !self->protocol->restoring()) return;
            self->dial();
        });
    }

    // The end of a connect(): on_disconnect, when on_connect came before.
    void end(int code, const std::string& reason) {
        reconnect_timer.cancel();
        protocol.reset();
        {
            std::lock_guard lock(session_mutex);
            session_id.clear();
        }
        if (std::exchange(opened, false) && events.on_disconnect) events.on_disconnect(code, reason);
    }

    void schedule_resends() {
        ack_timer.expires_after(options.ack.interval);
        ack_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            const auto self = weak.lock();
            if (ec || !self || !self->transport) return;
            self->protocol->resend_due(protocol::Clock::now());
            self->schedule_resends();
        });
    }

    void send(const Bytes& bytes) {
        if (!transport || !transport->is_open()) return report("not connected: message dropped");
        if (!transport->send(bytes)) report("send queue full: message dropped");
    }

    template <typename Call>
    void with_protocol(Call call) {
        if (!protocol) return report("not connected");
        call(*protocol);
    }

    void report(const std::string& what) const {
        if (events.on_error) events.on_error(what);
    }

    const ClientOptions options;
    const std::optional<client::WsUrl> url;  // none on a broker
    ClientEvents events;

    // Destroyed last: everything below may still refer to it.
    std::unique_ptr<asio::io_context> own_io;
    asio::io_context& io;
    client::Strand strand;
    asio::steady_timer ack_timer;
    asio::steady_timer reconnect_timer;
    const std::shared_ptr<client::BrokerConnection> broker;
    const std::thread::id broker_thread;  // the broker's own, if it has one

    std::shared_ptr<Transport> transport;
    std::unique_ptr<ClientProtocol> protocol;  // from connect() to on_disconnect, across reconnections
    bool opened = false;   // on_connect came since connect(): on_disconnect is due at the end
    bool closing = false;  // close() came since connect()
    // Restoring a lost connection: when it was lost, and the wait before the next attempt.
    std::chrono::steady_clock::time_point lost_at;
    std::chrono::milliseconds retry_delay{};
    std::minstd_rand random{std::random_device{}()};

    // Our own io thread; `lifecycle` guards these, `join_mutex` serialises callers that
    // may join the thread (never the io thread itself).
    std::mutex join_mutex;
    std::mutex lifecycle;
    std::thread thread;
    std::thread::id io_thread;
    std::optional<WorkGuard> guard;  // keeps the io thread alive between connect and close
    bool joining = false;            // a close() waits for the io thread to end

    mutable std::mutex session_mutex;
    std::string session_id;
};

Client::Client(ClientOptions options, ClientEvents events)
    : impl_(std::make_shared<Impl>(nullptr, std::move(options), std::move(events))) {}

Client::Client(asio::io_context& io, ClientOptions options, ClientEvents events)
    : impl_(std::make_shared<Impl>(&io, std::move(options), std::move(events))) {}

Client::Client(Broker& broker, ClientOptions options, ClientEvents events)
    : impl_(std::make_shared<Impl>(*broker.impl_, std::move(options), std::move(events))) {}

Client::~Client() {
    if (impl_->own_io) {
        impl_->stop();
        return;
    }
    if (impl_->waits_for_broker()) {
        impl_->settle([](Impl& self) {
            self.events = ClientEvents{};
            self.shut();
        });
        return;
    }
    // Work queued in your io_context must still close the connection, so it keeps the
    // Impl alive; it no longer calls you back.
    impl_->events = ClientEvents{};
    asio::post(impl_->strand, [self = impl_] { self->shut(); });
}

void Client::connect() { impl_->start(); }
void Client::close() { impl_->stop(); }

void Client::subscribe(const std::string& channel) {
    impl_->post([channel](Impl& s) { s.with_protocol([&](ClientProtocol& p) { p.subscribe(channel); }); });
}

void Client::unsubscribe(const std::string& channel) {
    impl_->post([channel](Impl& s) { s.with_protocol([&](ClientProtocol& p) { p.unsubscribe(channel); }); });
}

void Client::publish(const std::string& text, const std::string& channel) {
    impl_->post([text, channel](Impl& s) { s.with_protocol([&](ClientProtocol& p) { p.publish(text, channel); }); });
}

void Client::invite(const std::string& channel, const std::string& member_id) {
    impl_->post([channel, member_id](Impl& s) {
        s.with_protocol([&](ClientProtocol& p) { p.invite(channel, member_id); });
    });
}

void Client::get_members() { get_members(""); }

void Client::get_members(const std::string& channel) {
    impl_->post([channel](Impl& s) { s.with_protocol([&](ClientProtocol& p) { p.get_members(channel); }); });
}

void Client::get_members_page(const std::string& channel, std::size_t limit, const std::string& cursor) {
    impl_->post([channel, limit, cursor](Impl& s) {
        s.with_protocol([&](ClientProtocol& p) { p.get_members_page(channel, limit, cursor); });
    });
}

void Client::get_users(const std::string& channel) {
    impl_->post([channel](Impl& s) { s.with_protocol([&](ClientProtocol& p) { p.get_users(channel); }); });
}

void Client::get_count(const std::string& channel) {
    impl_->post([channel](Impl& s) { s.with_protocol([&](ClientProtocol& p) { p.get_count(channel); }); });
}

void Client::update_member(const std::optional<std::string>& name, const std::optional<std::string>& info) {
    impl_->post([name, info](Impl& s) { s.with_protocol([&](ClientProtocol& p) { p.update_member(name, info); }); });
}

void Client::set_counts_only(const std::string& channel, bool on) {
    impl_->post([channel, on](Impl& s) { s.with_protocol([&](ClientProtocol& p) { p.set_counts_only(channel, on); }); });
}

void Client::write_data(const std::string& text) {
    impl_->post([bytes = std::make_shared<const std::string>(text)](Impl& s) { s.send(bytes); });
}

std::string Client::session_id() const {
    std::lock_guard lock(impl_->session_mutex);
    return impl_->session_id;
}

const ClientOptions& Client::options() const { return impl_->options; }

std::string Client::guid() const { return impl_->options.guid; }

std::string_view Client::version() { return presence::version(); }

}  // namespace presence
