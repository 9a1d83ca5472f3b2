#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>
#include <memory>
#include <optional>

#include "presence/frame.h"
#include "server/corked_stream.h"
#include "server/server_core.h"

namespace presence {

// One WebSocket connection: reads frames into the presence service, writes the frames the
// service sends it, one at a time, from a queue bounded in bytes. Runs on the core's strand.
class WebsocketSession final : public std::enable_shared_from_this<WebsocketSession>, public Link {
public:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;

    WebsocketSession(boost::beast::tcp_stream&& stream, std::shared_ptr<ServerCore> core);
    void run(Request request);

    void send(const Bytes& bytes) override;
    void close(unsigned short code, std::string_view reason) override;
    void drop() override;

private:
    void on_accept(boost::beast::error_code ec);
    void read();
    void on_read(boost::beast::error_code ec);
    void write_next();
    void on_write(boost::beast::error_code ec);
    void finish(boost::beast::error_code ec);

    boost::beast::websocket::stream<CorkedStream> ws_;
    std::shared_ptr<ServerCore> core_;
    boost::beast::flat_buffer buffer_;
    std::deque<Bytes> queue_;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
    bool connected_ = false;
    bool finished_ = false;
    bool close_sent_ = false;
    std::optional<boost::beast::websocket::close_reason> closing_;
};

// The first offered sub-protocol that names the presence protocol, or "" for none.
std::string_view choose_subprotocol(std::string_view offered);

}  // namespace presence
