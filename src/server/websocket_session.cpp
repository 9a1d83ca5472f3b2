#include "server/websocket_session.h"

#include <boost/beast/websocket.hpp>

#include "protocol/text.h"

namespace presence {
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;

namespace {

constexpr std::string_view presence_protocol = "presence.esegece.com";

bool expected_end(beast::error_code ec) {
    return ec == websocket::error::closed || ec == boost::asio::error::eof ||
           ec == boost::asio::error::connection_reset || ec == boost::asio::error::operation_aborted;
}

}  // namespace

std::string_view choose_subprotocol(std::string_view offered) {
    for (const std::string_view token : protocol::split_list(offered))
        if (token.ends_with(presence_protocol)) return token;
    return {};
}

WebsocketSession::WebsocketSession(beast::tcp_stream&& stream, std::shared_ptr<ServerCore> core)
    : ws_(std::move(stream)), core_(std::move(core)) {}

void WebsocketSession::run(Request request) {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(core_->options.max_message_bytes);
    ws_.auto_fragment(false);
    const std::string protocol(choose_subprotocol(request[http::field::sec_websocket_protocol]));
    ws_.set_option(websocket::stream_base::decorator([protocol](websocket::response_type& res) {
        res.set(http::field::server, "presence");
        if (!protocol.empty()) res.set(http::field::sec_websocket_protocol, protocol);
    }));
    ws_.async_accept(request, [self = shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
}

void WebsocketSession::on_accept(beast::error_code ec) {
    if (ec || core_->stopping) return;
    connected_ = true;
    core_->service.connect(*this);
    read();
}

void WebsocketSession::read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        self->on_read(ec);
    });
}

void WebsocketSession::on_read(beast::error_code ec) {
    if (ec) return finish(ec);
    const std::string_view frame(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    if (closing_) {
        // Keep reading, so the close handshake completes, but act on nothing more.
    } else if (!ws_.got_text()) {
        core_->service.report_error(*this, "binary frame");
        close(websocket::close_code::unknown_data, "binary frames are not supported");
    } else {
        core_->service.receive(*this, frame);
    }
    buffer_.consume(buffer_.size());
    read();
}

void WebsocketSession::send(const Bytes& bytes) {
    if (closing_ || finished_) return;
    const std::size_t held = queued_bytes_ + ws_.next_layer().buffered();
    if (held + bytes->size() > core_->options.max_send_queue_bytes) {
        // A consumer this slow would hold memory without bound: drop what it has not
        // started to receive and let it go.
        while (queue_.size() > (writing_ ? 1u : 0u)) {
            queued_bytes_ -= queue_.back()->size();
            queue_.pop_back();
        }
        core_->service.report_error(*this, "send queue full");
        return close(websocket::close_code::policy_error, "send queue full");
    }
    queued_bytes_ += bytes->size();
    queue_.push_back(bytes);
    if (!writing_) write_next();
}

void WebsocketSession::close(unsigned short code, std::string_view reason) {
    if (closing_ || finished_) return;
    closing_.emplace(static_cast<websocket::close_code>(code), reason);
    if (!writing_) write_next();
}

void WebsocketSession::drop() {
    finished_ = true;
    beast::get_lowest_layer(ws_).close();
}

void WebsocketSession::write_next() {
    if (finished_) return;
    if (queue_.empty()) {
        if (!closing_ || close_sent_) return;
        close_sent_ = writing_ = true;
        ws_.async_close(*closing_, [self = shared_from_this()](beast::error_code) { self->writing_ = false; });
        return;
    }
    writing_ = true;
    ws_.async_write(boost::asio::buffer(*queue_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
}

void WebsocketSession::on_write(beast::error_code ec) {
    writing_ = false;
    queued_bytes_ -= queue_.front()->size();
    queue_.pop_front();
    if (ec) return;  // the read fails too and ends the session
    write_next();
}

void WebsocketSession::finish(beast::error_code ec) {
    if (finished_) return;
    finished_ = true;
    if (!connected_) return;
    if (!expected_end(ec)) core_->service.report_error(*this, ec.message());
    if (ec == websocket::error::closed)
        core_->disconnected(*this);
    else
        core_->lost(*this);
}

}  // namespace presence
