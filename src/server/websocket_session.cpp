// SPDX-License-Identifier: Apache-2.0
#include "server/websocket_session.h"

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <array>

#include "presence/close_codes.h"
#include "protocol/broker_framing.h"
#include "protocol/codec.h"
#include "protocol/text.h"
#include "server/tls.h"

namespace presence {
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;

namespace {

bool expected_end(beast::error_code ec) {
    return ec == websocket::error::closed || ec == boost::asio::error::eof ||
           ec == boost::asio::error::connection_reset || ec == boost::asio::error::operation_aborted ||
           ec == boost::asio::ssl::error::stream_truncated;
}

// Beast's suggestion for servers, without its idle pings: the heartbeat finds silent
// peers, as configured.
websocket::stream_base::timeout timeouts() {
    auto t = websocket::stream_base::timeout::suggested(beast::role_type::server);
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    return t;
}

// "203.0.113.7:52100", "[2001:db8::7]:52100"; "" for a socket already closed.
template <typename Socket>
std::string address_of(const Socket& socket) {
    beast::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    if (ec) return {};
    const std::string host = peer.address().to_string();
    const std::string port = std::to_string(peer.port());
    return peer.address().is_v6() ? "[" + host + "]:" + port : host + ":" + port;
}

}  // namespace

std::string_view choose_subprotocol(std::string_view offered) {
    for (const std::string_view token : protocol::split_list(offered))
        if (token.ends_with(protocol::presence_endpoint) || token.ends_with(protocol::broker_subprotocol)) return token;
    return {};
}

template <typename Stream>
WebsocketSession<Stream>::WebsocketSession(Stream&& stream, std::string read_ahead, std::shared_ptr<const void> slot,
                                           std::shared_ptr<ServerCore> core)
    : ws_(std::move(stream), std::move(read_ahead)),
      peer_(address_of(beast::get_lowest_layer(ws_).socket())),
      slot_(std::move(slot)),
      core_(std::move(core)),
      close_deadline_(core_->strand),
      heartbeat_(core_->strand) {}

template <typename Stream>
void WebsocketSession<Stream>::run(Request request, Grant grant) {
    grant_ = std::move(grant);
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(timeouts());
    ws_.read_message_max(core_->options.max_message_bytes);
    ws_.auto_fragment(false);
    const std::string protocol(choose_subprotocol(request[http::field::sec_websocket_protocol]));
    add_links(protocol);
    ws_.set_option(websocket::stream_base::decorator([protocol](websocket::response_type& res) {
        res.set(http::field::server, "presence");
        if (!protocol.empty()) res.set(http::field::sec_websocket_protocol, protocol);
    }));
    ws_.async_accept(request, [self = this->shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
}

// A broker connection reaches every namespace its grant may enter (at least one: the
// upgrade checked it), the default first; a plain one the namespace of its sub-protocol.
template <typename Stream>
void WebsocketSession<Stream>::add_links(std::string_view protocol) {
    brokered_ = protocol.ends_with(protocol::broker_subprotocol);
    if (brokered_) {
        for (const auto& ns : core_->namespaces())
            if (grant_.may_enter(ns->guid))
                links_.push_back(std::make_unique<NamespaceLink<WebsocketSession>>(*this, *ns, ns->broker_prefix));
        return;
    }
    links_.push_back(std::make_unique<NamespaceLink<WebsocketSession>>(*this, core_->namespace_of(protocol), nullptr));
}

template <typename Stream>
void WebsocketSession<Stream>::on_accept(beast::error_code ec) {
    if (ec || core_->stopping()) return finish(ec);
    connected_ = true;
    for (const auto& link : links_) link->service().connect(*link, grant_);
    grant_ = {};
    start_heartbeat();
    read();
}

template <typename Stream>
void WebsocketSession<Stream>::read() {
    ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
        self->on_read(ec);
    });
}

template <typename Stream>
void WebsocketSession<Stream>::on_read(beast::error_code ec) {
    if (ec && ws_.next_layer().violation()) return fail();
    if (ec) return finish(ec);
    heard_at_ = Clock::now();
    const std::string_view frame(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    core_->counters.received(frame.size());
    if (closing_) {
        // Keep reading, so the close handshake completes, but act on nothing more.
    } else if (!ws_.got_text()) {
        report_error("binary frame");
        close(close_code::unsupported_data, "binary frames are not supported");
    } else {
        receive(frame);
    }
    buffer_.consume(buffer_.size());
    if (!hook_call_) read();
}

// A failure of the connection as a whole: told to the hooks of its first namespace.
template <typename Stream>
void WebsocketSession<Stream>::report_error(std::string_view what) const {
    links_.front()->service().report_error(*links_.front(), what);
}

template <typename Stream>
void WebsocketSession<Stream>::receive(std::string_view message) {
    if (!brokered_) return hand_over(*links_.front(), message);
    receive_brokered(message);
}

// Framing errors are answered on the first link (the default namespace's, unless the
// token names another), and count as malformed requests there.
template <typename Stream>
void WebsocketSession<Stream>::receive_brokered(std::string_view message) {
    const protocol::BrokerFrame frame = protocol::split_broker_frame(message);
    NamespaceLink<WebsocketSession>& fallback = *links_.front();
    if (!frame.error.empty())
        return fallback.service().refuse(fallback, ErrorCode::parse_error, std::string(frame.error));
    std::string_view guid;
    if (protocol::guid_of(frame.id, guid))
        for (const auto& link : links_)
            if (link->ns().guid == guid) return hand_over(*link, frame.payload);
    fallback.service().refuse(fallback, ErrorCode::invalid_params,
                              "no namespace for the endpoint id \"" + std::string(frame.id) + "\"");
}

template <typename Stream>
void WebsocketSession<Stream>::hand_over(NamespaceLink<WebsocketSession>& link, std::string_view frame) {
    if (!ask_hooks(link, frame)) link.service().receive(link, frame);
}

template <typename Stream>
bool WebsocketSession<Stream>::ask_hooks(NamespaceLink<WebsocketSession>& link, std::string_view frame) {
    if (!core_->http_hooks()) return false;
    std::optional<HttpHooks::Question> question = core_->http_hooks()->question(link.ns(), link, frame);
    if (!question) return false;
    hook_call_ = core_->http_hooks()->ask(
        question->event, std::move(question->body),
        [self = this->shared_from_this(), &link, request = std::move(question->request),
         frame = std::string(frame)](const HookDecision& decision) mutable {
            self->decided(link, request, frame, decision);
        });
    return true;
}

// A join the application renames goes on as if the client had sent the new name and info;
// those its grant fixes stay, as the service keeps them.
template <typename Stream>
void WebsocketSession<Stream>::decided(NamespaceLink<WebsocketSession>& link, protocol::Message& request, std::string_view frame,
                                       const HookDecision& decision) {
    hook_call_.reset();
    PresenceService& service = link.service();
    if (!decision.allow) {
        service.deny(link, frame, decision.code, decision.text);
    } else if (decision.name || decision.info) {
        Member& member = request.member.emplace(request.member.value_or(Member{}));
        if (decision.name) {
            member.name = *decision.name;
            request.carried.name = true;
        }
        if (decision.info) {
            member.info = *decision.info;
            request.carried.info = true;
        }
        service.receive(link, protocol::encode(request, false));
    } else {
        service.receive(link, frame);
    }
    read();
}

// Reading goes on without the decision, which nobody waits for any more.
template <typename Stream>
void WebsocketSession<Stream>::cancel_hooks() {
    if (hook_call_) core_->http_hooks()->cancel(std::exchange(hook_call_, nullptr));
}

template <typename Stream>
void WebsocketSession<Stream>::send(const NamespaceLink<WebsocketSession>& from, const Bytes& bytes, MadeAt made_at) {
    if (closing_ || finished_) return;
    Outgoing outgoing{from.prefix(), bytes, made_at};
    const std::size_t held = queued_bytes_ + corked(ws_.next_layer()).buffered();
    if (held + outgoing.size() > core_->options.max_send_queue_bytes) {
        // A consumer this slow would hold memory without bound: drop what it has not
        // started to receive and let it go.
        while (queue_.size() > (writing_ ? 1u : 0u)) {
            queued_bytes_ -= queue_.back().size();
            queue_.pop_back();
        }
        core_->counters.slow_consumer_dropped();
        from.service().report_error(from, "send queue full");
        close(close_code::policy_violation, "send queue full");
        // Its close frame waits behind a write it may never complete: its members leave
        // now, as when the application disconnects them. Posted: a fan-out may be calling.
        boost::asio::post(core_->strand, [self = this->shared_from_this()] { self->leave(); });
        return;
    }
    queued_bytes_ += outgoing.size();
    queue_.push_back(std::move(outgoing));
    if (!writing_) write_next();
}

template <typename Stream>
void WebsocketSession<Stream>::close(unsigned short code, std::string_view reason) {
    if (closing_ || finished_) return;
    closing_.emplace(static_cast<websocket::close_code>(code), reason);
    await_close(core_->options.close_timeout);
    if (!writing_) write_next();
    // The closing handshake needs the peer's close frame, read behind what it sent before.
    if (hook_call_) {
        cancel_hooks();
        read();
    }
}

template <typename Stream>
void WebsocketSession<Stream>::leave() {
    if (finished_) return;
    for (const auto& link : links_) core_->disconnected(link->ns(), *link);
}

// A close the server began ends within `timeout`, whatever the peer or a write in flight
// does: then the socket is closed, and the connection counts as closed.
template <typename Stream>
void WebsocketSession<Stream>::await_close(std::chrono::milliseconds timeout) {
    close_deadline_.expires_after(timeout);
    close_deadline_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
        if (!ec) self->cut();
    });
}

template <typename Stream>
void WebsocketSession<Stream>::cut() {
    beast::get_lowest_layer(ws_).close();
    if (!finished_) end(true);
}

// A frame that FrameCheck refused has failed Beast's stream, so the close frame owed to the
// peer is written here, under Beast, once no write of Beast's is in flight. The connection
// ends as when Beast itself finds a protocol error.
template <typename Stream>
void WebsocketSession<Stream>::fail() {
    const FrameCheck::Violation& violation = *ws_.next_layer().violation();
    report_error(violation.reason);
    end(false);
    failing_ = true;
    await_close(core_->options.close_timeout);
    if (!writing_) write_failure();
}

template <typename Stream>
void WebsocketSession<Stream>::write_failure() {
    failing_ = false;
    auto self = this->shared_from_this();
    const auto teardown = [self](beast::error_code, std::size_t = 0) {
        using websocket::async_teardown;
        async_teardown(beast::role_type::server, self->ws_.next_layer(),
                       [self](beast::error_code) { self->close_deadline_.cancel(); });
    };
    // After its own close frame, a peer may be sent nothing more.
    if (close_sent_) return teardown({});
    const FrameCheck::Violation& violation = *ws_.next_layer().violation();
    auto frame = std::make_shared<std::string>();
    frame->push_back(static_cast<char>(0x88));  // a final close frame
    frame->push_back(static_cast<char>(2 + violation.reason.size()));
    frame->push_back(static_cast<char>(violation.code >> 8));
    frame->push_back(static_cast<char>(violation.code & 0xff));
    frame->append(violation.reason);
    boost::asio::async_write(ws_.next_layer().next_layer(), boost::asio::buffer(*frame),
                             [frame, teardown](beast::error_code ec, std::size_t n) { teardown(ec, n); });
}

// The service that drops one link has already forgotten it; the other links of a
// broker connection are lost with it, and may resume.
template <typename Stream>
void WebsocketSession<Stream>::drop() {
    if (finished_) return;
    beast::get_lowest_layer(ws_).close();
    end(false);
}

template <typename Stream>
void WebsocketSession<Stream>::write_next() {
    if (finished_) return;
    if (queue_.empty()) {
        if (!closing_ || close_sent_) return;
        close_sent_ = writing_ = true;
        // A control callback makes Beast's read defer a close frame it finds buffered,
        // holding the read lock, which our close operation (holding the write lock) then
        // waits for: the two would wait for each other forever.
        ws_.control_callback();
        ws_.async_close(*closing_, [self = this->shared_from_this()](beast::error_code) {
            self->writing_ = false;
            if (self->failing_) self->write_failure();
        });
        return;
    }
    writing_ = true;
    const Outgoing& next = queue_.front();
    const std::array<boost::asio::const_buffer, 2> buffers{
        next.prefix ? boost::asio::buffer(*next.prefix) : boost::asio::const_buffer(),
        boost::asio::buffer(*next.bytes)};
    ws_.async_write(buffers,
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
}

template <typename Stream>
void WebsocketSession<Stream>::on_write(beast::error_code ec) {
    writing_ = false;
    const std::size_t size = queue_.front().size();
    const MadeAt made_at = queue_.front().made_at;
    queued_bytes_ -= size;
    queue_.pop_front();
    if (failing_) return write_failure();
    if (ec) return;  // the read fails too and ends the session
    core_->counters.sent(size, made_at);
    write_next();
}

template <typename Stream>
void WebsocketSession<Stream>::start_heartbeat() {
    if (core_->options.heartbeat.interval.count() <= 0) return;
    heard_at_ = Clock::now();
    // Pongs, pings and close frames are read inside async_read, which hands over data
    // frames only: they are heard here.
    ws_.control_callback([this](websocket::frame_type, beast::string_view) { heard_at_ = Clock::now(); });
    wait_heartbeat(heard_at_ + core_->options.heartbeat.interval);
}

template <typename Stream>
void WebsocketSession<Stream>::wait_heartbeat(Clock::time_point at) {
    heartbeat_.expires_at(at);
    heartbeat_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
        if (!ec && !self->finished_) self->on_heartbeat();
    });
}

// A peer silent for the interval is pinged; one that then stays silent for the timeout
// is gone (cable pulled, process frozen) and is lost, not closed: no closing handshake
// could reach it.
template <typename Stream>
void WebsocketSession<Stream>::on_heartbeat() {
    const HeartbeatOptions& heartbeat = core_->options.heartbeat;
    // While reading waits for a decision, the peer's pong waits unread: no sign of loss.
    if (hook_call_) return wait_heartbeat(Clock::now() + heartbeat.timeout);
    if (pinged_at_ && heard_at_ < *pinged_at_) {
        report_error("heartbeat timeout");
        beast::get_lowest_layer(ws_).close();
        return end(false);
    }
    pinged_at_.reset();
    const Clock::time_point now = Clock::now();
    if (now < heard_at_ + heartbeat.interval) return wait_heartbeat(heard_at_ + heartbeat.interval);
    pinged_at_ = now;
    // While closing, the peer's close frame is the answer awaited.
    if (!closing_) ws_.async_ping({}, [self = this->shared_from_this()](beast::error_code) {});
    wait_heartbeat(now + heartbeat.timeout);
}

template <typename Stream>
void WebsocketSession<Stream>::finish(beast::error_code ec) {
    if (finished_) return;
    if (connected_ && !expected_end(ec)) report_error(ec.message());
    end(ec == websocket::error::closed);
}

// A peer that closed the connection leaves at once; a lost one may resume it.
template <typename Stream>
void WebsocketSession<Stream>::end(bool closed) {
    stop();
    if (!connected_) return;
    for (const auto& link : links_) {
        if (closed)
            core_->disconnected(link->ns(), *link);
        else
            core_->lost(link->ns(), *link, slot_);
    }
}

// Ends what the session has running; once.
template <typename Stream>
void WebsocketSession<Stream>::stop() {
    finished_ = true;
    heartbeat_.cancel();
    close_deadline_.cancel();
    cancel_hooks();
}

template class WebsocketSession<CorkedStream>;
template class WebsocketSession<TlsStream>;

}  // namespace presence
