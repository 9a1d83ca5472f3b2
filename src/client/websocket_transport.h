#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "client/ws_url.h"

namespace presence::client {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
using Bytes = std::shared_ptr<const std::string>;

inline constexpr std::string_view subprotocol = "presence.esegece.com";

struct TransportHandlers {
    std::function<void()> on_open;
    std::function<void(std::string frame)> on_frame;
    // Failures that do not end the connection by themselves, and why a connect failed.
    std::function<void(std::string what)> on_error;
    // The last call, exactly once, whether or not on_open came before it.
    std::function<void(int code, std::string reason)> on_closed;
};

struct TransportLimits {
    std::chrono::milliseconds timeout;  // connect, opening and closing handshakes
    std::size_t max_queue_bytes;
};

// One client WebSocket over TCP, text frames only. Every function runs on `strand`,
// and so does every handler. Writes go out one at a time from a queue bounded in bytes.
class WebsocketTransport : public std::enable_shared_from_this<WebsocketTransport> {
public:
    WebsocketTransport(Strand strand, TransportLimits limits, TransportHandlers handlers);

    void open(const WsUrl& url);
    bool is_open() const { return state_ == State::open; }
    // Queues one text frame; false when the connection is not open or the queue is full.
    bool send(Bytes bytes);
    // Starts the closing handshake, or abandons a connect in progress.
    void close(unsigned short code);

private:
    enum class State { connecting, open, closing, closed };

    void on_resolve(boost::beast::error_code ec, boost::asio::ip::tcp::resolver::results_type results);
    void on_connect(boost::beast::error_code ec);
    void on_handshake(boost::beast::error_code ec);
    void read();
    void on_read(boost::beast::error_code ec);
    void write_next();
    void on_write(boost::beast::error_code ec);
    void fail(const std::string& what, boost::beast::error_code ec);
    void finish(boost::beast::error_code ec);

    TransportLimits limits_;
    TransportHandlers handlers_;
    boost::asio::ip::tcp::resolver resolver_;
    boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
    boost::beast::websocket::response_type response_;
    boost::beast::flat_buffer buffer_;
    std::deque<Bytes> queue_;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
    State state_ = State::connecting;
    WsUrl url_;
};

}  // namespace presence::client
