#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <optional>

#include "server/server_core.h"

namespace presence {

// What a listener serves. `main`: the WebSocket endpoint, the page and the probes, and
// /metrics and the admin API unless AdminOptions::address gives them an address of their
// own; `admin`, on that address: /metrics, the admin API and the probes, nothing else.
enum class HttpRole { main, admin };

// Serves a connection the listener accepted: over TLS when the server has a TLS context.
void start_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<ServerCore> core, HttpRole role);

// One HTTP connection over `Stream`, CorkedStream or TlsStream: answers HTTP requests until
// the client asks to upgrade, then (in the main role) hands the stream to a
// WebsocketSession, unless a connection limit refuses it.
template <typename Stream>
class HttpSession final : public std::enable_shared_from_this<HttpSession<Stream>> {
public:
    HttpSession(Stream&& stream, const boost::asio::ip::address& address, std::shared_ptr<ServerCore> core,
                HttpRole role);
    ~HttpSession() { core_->measures.count(outcome_); }
    void run();

private:
    using Response = boost::beast::http::response<boost::beast::http::string_body>;

    void read();
    void on_read(boost::beast::error_code ec);
    void upgrade();
    void respond(Response res);
    void on_write(boost::beast::error_code ec, bool keep_alive);
    void end();
    void close();

    Stream stream_;
    boost::asio::ip::address address_;  // the client's
    std::shared_ptr<ServerCore> core_;
    HttpRole role_;
    ConnectionOutcome outcome_ = ConnectionOutcome::http;  // counted when the session ends
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
};

}  // namespace presence
