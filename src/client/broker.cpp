// SPDX-License-Identifier: Apache-2.0
#include <boost/asio/post.hpp>
#include <utility>

#include "client/broker_connection.h"
#include "presence/close_codes.h"
#include "protocol/broker_framing.h"
#include "protocol/codec.h"

namespace presence::client {
namespace asio = boost::asio;

// One client's namespace on the broker's WebSocket, as that client's Transport: what it
// sends goes out framed with the namespace's id, and it opens once the namespace's session
// frame came, which is then its first frame.
class BrokerChannel final : public Transport, public std::enable_shared_from_this<BrokerChannel> {
public:
    BrokerChannel(std::shared_ptr<BrokerConnection> broker, const std::string& guid, TransportHandlers handlers,
                  BrokerConnection::MemberId member_id)
        : broker_(std::move(broker)),
          guid_(guid),
          id_(protocol::endpoint_id(guid)),
          prefix_(protocol::broker_prefix(guid)),
          handlers_(std::move(handlers)),
          member_id_(std::move(member_id)) {}

    void open() override { broker_->attach(shared_from_this()); }

    bool is_open() const override { return state_ == State::open; }

    bool send(Bytes bytes) override {
        if (!is_open()) return false;
        auto framed = std::make_shared<std::string>();
        framed->reserve(prefix_.size() + bytes->size());
        framed->append(prefix_).append(*bytes);
        return broker_->send(std::move(framed));
    }

    // The WebSocket goes on for the broker's other clients, so the member must leave the
    // server by itself.
    void close(unsigned short code) override {
        if (state_ == State::closed) return;
        const bool was_open = is_open();
        if (was_open) leave();
        state_ = State::closed;
        broker_->detach(*this, was_open);
        asio::post(broker_->strand(), [self = shared_from_this(), code] { self->handlers_.on_closed(code, ""); });
    }

    const std::string& guid() const { return guid_; }
    const std::string& id() const { return id_; }
    bool waiting() const { return state_ == State::waiting; }

    // From the connection.
    void opened(const std::string& session) {
        state_ = State::open;
        handlers_.on_open();
        handlers_.on_frame(session);
    }
    void receive(std::string frame) { handlers_.on_frame(std::move(frame)); }
    void report(const std::string& what) { handlers_.on_error(what); }
    void closed(int code, const std::string& reason) {
        state_ = State::closed;
        handlers_.on_closed(code, reason);
    }
    void fail(const std::string& what) {
        state_ = State::closed;
        handlers_.on_error(what);
        handlers_.on_closed(close_code::abnormal, what);
    }

private:
    enum class State { waiting, open, closed };

    void leave() {
        const std::string member = member_id_();
        if (member.empty()) return;
        protocol::Message remove;
        remove.method = protocol::Method::member_remove;
        remove.member = Member{member, "", ""};
        send(std::make_shared<const std::string>(protocol::encode(remove, false)));
    }

    const std::shared_ptr<BrokerConnection> broker_;
    const std::string guid_;
    const std::string id_;
    const std::string prefix_;  // NNN + id
    TransportHandlers handlers_;
    BrokerConnection::MemberId member_id_;
    State state_ = State::waiting;
};

BrokerConnection::BrokerConnection(Strand strand, const WsUrl& url, const BrokerOptions& options,
                                   BrokerEvents events)
    : strand_(std::move(strand)),
      url_(url),
      transport_options_{.subprotocol = std::string(protocol::broker_subprotocol),
                         .timeout = options.connect_timeout,
                         .max_queue_bytes = options.max_send_queue_bytes,
                         .heartbeat_interval = options.heartbeat_interval,
                         .heartbeat_timeout = options.heartbeat_timeout,
                         .ca_file = options.ca_file},
      session_timeout_(options.connect_timeout),
      events_(std::move(events)),
      sessions_timer_(strand_) {}

std::shared_ptr<Transport> BrokerConnection::channel(const std::string& guid, TransportHandlers handlers,
                                                     MemberId member_id) {
    return std::make_shared<BrokerChannel>(shared_from_this(), guid, std::move(handlers), std::move(member_id));
}

void BrokerConnection::close() {
    if (transport_) transport_->close(close_code::normal);
}

void BrokerConnection::attach(const std::shared_ptr<BrokerChannel>& channel) {
    ClientSlot& slot = slots_[channel->id()];
    if (slot.channel.lock()) {
        const std::string what = "the broker already carries a client of " + channel->id();
        return asio::post(strand_, [channel, what] { channel->fail(what); });
    }
    slot.channel = channel;
    if (!transport_) return connect();
    if (open_) join_open(channel, slot);
}

// On a WebSocket already open the namespace's session may have come long ago: it is given
// again. If it has not come, it may still be on its way until the sessions are due.
void BrokerConnection::join_open(const std::shared_ptr<BrokerChannel>& channel, const ClientSlot& slot) {
    if (!slot.session) return expire_sessions_when_due();
    asio::post(strand_, [channel, session = *slot.session] {
        if (channel->waiting()) channel->opened(session);
    });
}

void BrokerConnection::detach(const BrokerChannel& channel, bool left) {
    const auto it = slots_.find(channel.id());
    if (it == slots_.end() || it->second.channel.lock().get() != &channel) return;
    it->second.channel.reset();
    if (left) it->second.left = true;
    close_when_unused();
}

bool BrokerConnection::send(Bytes framed) { return open_ && transport_->send(std::move(framed)); }

void BrokerConnection::connect() {
    const unsigned number = ++number_;
    auto on = [weak = weak_from_this(), number](auto member) {
        return [weak, number, member](auto&&... args) {
            const auto self = weak.lock();
            if (self && self->number_ == number) ((*self).*member)(std::forward<decltype(args)>(args)...);
        };
    };
    TransportHandlers handlers{on(&BrokerConnection::on_open), on(&BrokerConnection::on_message),
                               on(&BrokerConnection::on_transport_error), on(&BrokerConnection::on_closed)};
    transport_ = make_transport(strand_, url_, transport_options_, std::move(handlers));
    transport_->open();
}

void BrokerConnection::on_open() {
    open_ = true;
    sessions_due_ = std::chrono::steady_clock::now() + session_timeout_;
    expire_sessions_when_due();
}

// The first frame of each namespace is its session; only the framing is read here.
void BrokerConnection::on_message(std::string message) {
    const protocol::BrokerFrame frame = protocol::split_broker_frame(message);
    if (!frame.error.empty()) return report(std::string(frame.error));
    const auto it = slots_.find(frame.id);
    if (it == slots_.end() || !it->second.session)
        return on_session(std::string(frame.id), std::string(frame.payload));
    const auto channel = it->second.channel.lock();
    if (channel && channel->is_open()) {
        message.erase(0, static_cast<std::size_t>(frame.payload.data() - message.data()));
        return channel->receive(std::move(message));
    }
    if (!it->second.left) report("a frame for " + it->first + ", where the broker has no client");
}

void BrokerConnection::on_session(std::string id, std::string frame) {
    ClientSlot& slot = slots_[std::move(id)];
    slot.session = std::move(frame);
    if (const auto channel = slot.channel.lock()) channel->opened(*slot.session);
}

void BrokerConnection::on_transport_error(const std::string& what) {
    const auto channels = attached();
    if (channels.empty()) report(what);
    for (const auto& channel : channels) channel->report(what);
}

void BrokerConnection::on_closed(int code, const std::string& reason) {
    const auto channels = attached();
    forget_connection();
    for (const auto& channel : channels) channel->closed(code, reason);
}

void BrokerConnection::expire_sessions_when_due() {
    sessions_timer_.expires_at(sessions_due_);
    sessions_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if (const auto self = weak.lock(); self && !ec) self->expire_sessions();
    });
}

// The server sends every namespace's session right after the upgrade: a client still
// without one asked for a namespace the server does not have.
void BrokerConnection::expire_sessions() {
    std::vector<std::shared_ptr<BrokerChannel>> refused;
    std::erase_if(slots_, [&](auto& entry) {
        const ClientSlot& slot = entry.second;
        if (slot.session) return false;
        if (const auto channel = slot.channel.lock()) refused.push_back(channel);
        return true;
    });
    for (const auto& channel : refused) channel->fail("the server has no namespace " + channel->guid());
    close_when_unused();
}

void BrokerConnection::close_when_unused() {
    if (!transport_ || !attached().empty()) return;
    transport_->close(close_code::normal);
    forget_connection();
}

// Whatever the WebSocket was closing is now unheard of: the next one starts afresh.
void BrokerConnection::forget_connection() {
    transport_.reset();
    ++number_;
    open_ = false;
    sessions_timer_.cancel();
    slots_.clear();
}

std::vector<std::shared_ptr<BrokerChannel>> BrokerConnection::attached() const {
    std::vector<std::shared_ptr<BrokerChannel>> channels;
    for (const auto& [id, slot] : slots_)
        if (auto channel = slot.channel.lock()) channels.push_back(std::move(channel));
    return channels;
}

void BrokerConnection::report(const std::string& what) const {
    if (events_.on_error) events_.on_error(what);
}

}  // namespace presence::client

namespace presence {
namespace asio = boost::asio;

Broker::Impl::Impl(asio::io_context* external, BrokerOptions opts, BrokerEvents events)
    : options(std::move(opts)),
      own_io(external ? nullptr : std::make_unique<asio::io_context>(1)),
      io(external ? *external : *own_io),
      connection(std::make_shared<client::BrokerConnection>(asio::make_strand(io), client::checked_url(options.url),
                                                            options, std::move(events))) {
    if (!own_io) return;
    guard.emplace(own_io->get_executor());
    thread = std::thread([io = own_io.get()] { io->run(); });
}

// With the broker's own thread, returns once the closing handshake is over: the thread
// runs out of work then.
Broker::Impl::~Impl() {
    asio::post(connection->strand(), [connection = connection] { connection->close(); });
    guard.reset();
    if (thread.joinable()) thread.join();
}

Broker::Broker(BrokerOptions options, BrokerEvents events)
    : impl_(std::make_unique<Impl>(nullptr, std::move(options), std::move(events))) {}

Broker::Broker(asio::io_context& io, BrokerOptions options, BrokerEvents events)
    : impl_(std::make_unique<Impl>(&io, std::move(options), std::move(events))) {}

Broker::~Broker() = default;

const BrokerOptions& Broker::options() const { return impl_->options; }

}  // namespace presence
