#include "client/websocket_transport.h"

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/version.hpp>
#include <boost/beast/websocket.hpp>

namespace presence::client {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

constexpr int close_no_status = 1005;
constexpr int close_abnormal = 1006;

}  // namespace

WebsocketTransport::WebsocketTransport(Strand strand, TransportLimits limits, TransportHandlers handlers)
    : limits_(limits), handlers_(std::move(handlers)), resolver_(strand), ws_(strand) {}

void WebsocketTransport::open(const WsUrl& url) {
    url_ = url;
    resolver_.async_resolve(url_.host, url_.port,
                            [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
                                self->on_resolve(ec, std::move(r));
                            });
}

void WebsocketTransport::on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (ec || state_ != State::connecting) return fail("cannot resolve " + url_.host, ec);
    beast::get_lowest_layer(ws_).expires_after(limits_.timeout);
    beast::get_lowest_layer(ws_).async_connect(
        results, [self = shared_from_this()](beast::error_code e, const tcp::endpoint&) { self->on_connect(e); });
}

void WebsocketTransport::on_connect(beast::error_code ec) {
    if (ec || state_ != State::connecting) return fail("cannot connect to " + url_.authority(), ec);
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ec);
    // From here on the WebSocket's own timeouts apply; the stream's would cut idle reads.
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = limits_.timeout;
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
        request.set(beast::http::field::sec_websocket_protocol, subprotocol);
        request.set(beast::http::field::user_agent, "presence-client " BOOST_BEAST_VERSION_STRING);
    }));
    ws_.async_handshake(response_, url_.authority(), url_.target,
                        [self = shared_from_this()](beast::error_code e) { self->on_handshake(e); });
}

void WebsocketTransport::on_handshake(beast::error_code ec) {
    if (ec || state_ != State::connecting) return fail("WebSocket handshake with " + url_.authority() + " failed", ec);
    // A server may choose no sub-protocol, but never one we did not offer (RFC 6455 4.1).
    const auto chosen = response_[beast::http::field::sec_websocket_protocol];
    if (!chosen.empty() && chosen != subprotocol)
        return fail("the server chose the sub-protocol " + std::string(chosen), {});
    state_ = State::open;
    ws_.text(true);
    handlers_.on_open();
    read();
    write_next();
}

void WebsocketTransport::read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void WebsocketTransport::on_read(beast::error_code ec) {
    // Once our close frame is out, Beast aborts the read and the close operation reads
    // the server's answer: its completion finishes the connection.
    if (ec == asio::error::operation_aborted && state_ == State::closing) return;
    if (ec) return finish(ec);
    if (ws_.got_text()) {
        handlers_.on_frame(beast::buffers_to_string(buffer_.data()));
    } else {
        handlers_.on_error("ignored a binary frame from the server");
    }
    buffer_.consume(buffer_.size());
    if (state_ != State::closed) read();
}

bool WebsocketTransport::send(Bytes bytes) {
    if (state_ != State::open) return false;
    if (queued_bytes_ + bytes->size() > limits_.max_queue_bytes) return false;
    queued_bytes_ += bytes->size();
    queue_.push_back(std::move(bytes));
    write_next();
    return true;
}

void WebsocketTransport::write_next() {
    if (writing_ || queue_.empty() || state_ != State::open) return;
    writing_ = true;
    ws_.async_write(asio::buffer(*queue_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
}

void WebsocketTransport::on_write(beast::error_code ec) {
    writing_ = false;
    if (queue_.empty()) return;  // finish() emptied it
    queued_bytes_ -= queue_.front()->size();
    queue_.pop_front();
    if (ec) {
        // The pending read notices the broken connection and finishes it.
        beast::get_lowest_layer(ws_).socket().close(ec);
        return;
    }
    write_next();
}

void WebsocketTransport::close(unsigned short code) {
    if (state_ == State::connecting) {
        state_ = State::closing;
        resolver_.cancel();
        beast::get_lowest_layer(ws_).close();
        return;
    }
    if (state_ != State::open) return;
    state_ = State::closing;
    ws_.async_close(code, [self = shared_from_this()](beast::error_code ec) {
        self->finish(ec ? ec : websocket::error::closed);
    });
}

void WebsocketTransport::fail(const std::string& what, beast::error_code ec) {
    // A connect abandoned by close() is not worth an error.
    if (state_ == State::connecting) handlers_.on_error(ec ? what + ": " + ec.message() : what);
    beast::get_lowest_layer(ws_).close();
    state_ = State::closed;
    handlers_.on_closed(close_abnormal, ec.message());
}

void WebsocketTransport::finish(beast::error_code ec) {
    if (state_ == State::closed) return;  // the read and the close operation both end here
    state_ = State::closed;
    queue_.clear();
    queued_bytes_ = 0;
    beast::get_lowest_layer(ws_).close();
    if (ec != websocket::error::closed) return handlers_.on_closed(close_abnormal, ec.message());
    const websocket::close_reason& reason = ws_.reason();
    handlers_.on_closed(reason.code ? reason.code : close_no_status, std::string(reason.reason.c_str()));
}

}  // namespace presence::client
