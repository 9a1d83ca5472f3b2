#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <optional>

#include "server/server_core.h"

namespace presence {

// One plain HTTP connection: answers page requests until the client asks to upgrade,
// then hands the socket to a WebsocketSession.
class HttpSession final : public std::enable_shared_from_this<HttpSession> {
public:
    HttpSession(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<ServerCore> core);
    void run();

private:
    void read();
    void on_read(boost::beast::error_code ec);
    void on_write(boost::beast::error_code ec, bool keep_alive);

    boost::beast::tcp_stream stream_;
    std::shared_ptr<ServerCore> core_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
};

}  // namespace presence
