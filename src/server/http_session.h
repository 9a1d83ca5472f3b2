// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <optional>

#include "server/server_core.h"

namespace presence {

// Serves a connection the listener accepted, over TLS when the server has a TLS context:
// as `admitted` says, with its slot, or with a refusal it answers at once and ends with.
void start_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<ServerCore> core, HttpRole role,
                   Admitted admitted);

// One HTTP connection over `Stream`, CorkedStream or TlsStream: answers HTTP requests until
// the client asks to upgrade, then (in the main role) hands the stream and its slot to a
// WebsocketSession. A connection the limits refused is answered with the refusal and ended.
template <typename Stream>
class HttpSession final : public std::enable_shared_from_this<HttpSession<Stream>> {
public:
    HttpSession(Stream&& stream, Admitted admitted, std::shared_ptr<ServerCore> core, HttpRole role);
    ~HttpSession() { core_->counters.ended(outcome_); }
    void run();

private:
    using Response = boost::beast::http::response<boost::beast::http::string_body>;

    void serve();
    void read();
    void on_read(boost::beast::error_code ec);
    void upgrade();
    void respond(Response res);
    void on_write(boost::beast::error_code ec, bool keep_alive);
    void end();
    void close();
    // The client's, for log lines; unspecified once the socket is gone.
    boost::asio::ip::address address();

    Stream stream_;
    Admitted admitted_;
    std::shared_ptr<ServerCore> core_;
    HttpRole role_;
    ConnectionOutcome outcome_ = ConnectionOutcome::http;  // counted when the session ends
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
};

}  // namespace presence
