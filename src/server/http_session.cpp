// SPDX-License-Identifier: Apache-2.0
#include "server/http_session.h"

#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

#include "presence/version.h"
#include "protocol/text.h"
#include "server/admin_api.h"
#include "server/admin_console.h"
#include "server/auth_gate.h"
#include "server/metrics.h"
#include "server/tls.h"
#include "server/web_assets.h"
#include "server/websocket_session.h"

namespace presence {
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

using Request = HttpRequest;
using Response = HttpResponse;

// The admin API's publish carries a message in its body: as large as a client's may be.
constexpr std::size_t min_request_body = 16 * 1024;

std::size_t max_request_body(const ServerOptions& options) {
    return std::max(min_request_body, options.max_message_bytes);
}

void answer_status(const ServerCore& core, Response& res, http::status status, std::string_view word,
                   std::string_view problem) {
    res.result(status);
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    boost::json::object body{{"status", word}, {"connections", core.connections()}};
    if (!problem.empty()) body["problem"] = problem;
    res.body() = boost::json::serialize(body) + "\n";
}

// Liveness: 200 for as long as the process answers at all.
void health(const ServerCore& core, Response& res) { answer_status(core, res, http::status::ok, "ok", {}); }

// Readiness: 503 while the server stops, and while an engine is in trouble (for the
// multi-node engine: Redis unreachable, this node serving its own members only), so that
// a load balancer can steer new clients away.
void readiness(const ServerCore& core, Response& res) {
    if (core.stopping())
        return answer_status(core, res, http::status::service_unavailable, "stopping", "the server is stopping");
    const std::string trouble = core.trouble();
    if (!trouble.empty()) return answer_status(core, res, http::status::service_unavailable, "degraded", trouble);
    answer_status(core, res, http::status::ok, "ok", {});
}

void metrics(const ServerCore& core, Response& res) {
    res.result(http::status::ok);
    res.set(http::field::content_type, metrics_content_type);
    res.set(http::field::cache_control, "no-store");
    res.body() = metrics_text(core);
}

const WebAsset* find_asset(std::string_view target) {
    if (target == "/") target = "/index.html";
    for (const WebAsset& asset : web_assets())
        if (asset.path == target) return &asset;
    return nullptr;
}

// Revalidated on every use (no-cache), so that a new server version is picked up at once,
// and answered with 304 when the browser's copy is current.
void serve(const WebAsset& asset, const http::request<http::string_body>& request,
           http::response<http::string_body>& res) {
    res.set(http::field::cache_control, "no-cache");
    res.set(http::field::etag, asset.etag);
    if (request[http::field::if_none_match] == asset.etag) {
        res.result(http::status::not_modified);
        return;
    }
    res.result(http::status::ok);
    res.set(http::field::content_type, asset.content_type);
    res.set("X-Content-Type-Options", "nosniff");
    res.body() = asset.body;
}

Response response_to(const Request& request) {
    Response res;
    res.version(request.version());
    res.keep_alive(request.keep_alive());
    res.set(http::field::server, "presence/" + std::string(version()));
    return res;
}

// The target without its query.
std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

bool is_api(std::string_view path) { return path == "/api" || path.starts_with("/api/"); }

void not_found(Response& res) {
    res.result(http::status::not_found);
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.body() = "not found\n";
}

Response answer(ServerCore& core, const Request& request, HttpRole role) {
    Response res = response_to(request);
    const std::string_view target = request.target();
    const std::string_view path = path_of(target);
    const AdminOptions& admin = core.options.admin;
    const bool operators_here = admin.address.empty() || role == HttpRole::admin;
    const bool api_here = operators_here && !admin.api_key.empty();
    const bool get = request.method() == http::verb::get || request.method() == http::verb::head;
    if (is_api(path)) {
        if (api_here)
            answer_api(core, request, res);
        else
            api_error(res, http::status::not_found, "no admin API here");
    } else if (!get) {
        res.result(http::status::method_not_allowed);
        res.set(http::field::allow, "GET, HEAD");
    } else if (path == "/healthz") {
        health(core, res);
    } else if (path == "/readyz") {
        readiness(core, res);
    } else if (path == "/metrics" && operators_here && admin.metrics) {
        metrics(core, res);
    } else if (const WebAsset* page = api_here ? console_asset(path) : nullptr) {
        serve(*page, request, res);
        guard_console(res);
    } else if (const WebAsset* asset = role == HttpRole::main ? find_asset(target) : nullptr) {
        serve(*asset, request, res);
    } else {
        not_found(res);
    }
    res.prepare_payload();
    if (request.method() == http::verb::head) res.body().clear();
    return res;
}

// An upgrade refused with `status` and a one-line reason; the connection ends with it.
Response refusal(const Request& request, http::status status, const std::string& reason) {
    Response res = response_to(request);
    res.keep_alive(false);
    res.result(status);
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.body() = reason + "\n";
    res.prepare_payload();
    return res;
}

// A body over the limit: the rest of it is not read, so the connection ends with the answer.
Response too_large(const Request& request, std::size_t limit) {
    const std::string message = "the body is larger than " + std::to_string(limit) + " bytes";
    if (!is_api(path_of(request.target()))) return refusal(request, http::status::payload_too_large, message);
    Response res = response_to(request);
    res.keep_alive(false);
    api_error(res, http::status::payload_too_large, message);
    res.prepare_payload();
    return res;
}

// Over a connection limit, answered before any request is read: the client may try again
// later, or from elsewhere.
Response refusal(Admission refused) {
    const Request request;  // HTTP/1.1
    switch (refused) {
        case Admission::server_full: return refusal(request, http::status::service_unavailable, "server full");
        case Admission::no_descriptors:
            return refusal(request, http::status::service_unavailable, "server busy: out of file descriptors");
        default: return refusal(request, http::status::too_many_requests, "too many connections from this address");
    }
}

// A header over the limit, read no further: 414 when even its first line is.
Response header_too_large(std::string_view received, std::size_t limit) {
    const std::string size = std::to_string(limit) + " bytes";
    if (received.find("\r\n") == std::string_view::npos)
        return refusal(Request{}, http::status::uri_too_long, "the request line is longer than " + size);
    return refusal(Request{}, http::status::request_header_fields_too_large,
                   "the request header is larger than " + size);
}

// RFC 6455 4.2.1: the key is 16 random bytes in Base64. Beast checks only its length.
bool valid_websocket_key(std::string_view key) {
    const std::optional<std::string> bytes = protocol::base64_decode(key);
    return bytes && bytes->size() == 16;
}

// One line per refusal, at debug level: the periodic warnings count refusals, this one
// names the address. `refused` is the answer, whose body is its reason and a newline.
const Response& logged(const ServerCore& core, const boost::asio::ip::address& from, const Response& refused) {
    const std::string_view reason(refused.body().data(), refused.body().size() - 1);
    if (const auto& log = core.hooks().on_log)
        log(LogLevel::debug, "upgrade from " + from.to_string() + " refused: " + std::to_string(refused.result_int()) +
                                 " " + std::string(reason));
    return refused;
}

// Without a valid token. The reason names what is wrong, never the token.
Response unauthorized(const Request& request, const std::string& reason) {
    Response res = refusal(request, http::status::unauthorized, reason);
    res.set(http::field::www_authenticate, "Bearer");
    return res;
}

}  // namespace

void start_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<ServerCore> core, HttpRole role,
                   Admitted admitted) {
    CorkedStream stream{beast::tcp_stream(std::move(socket)), core->options.close_timeout};
    if (core->tls()) {
        TlsStream tls(std::move(stream), *core->tls());
        std::make_shared<HttpSession<TlsStream>>(std::move(tls), std::move(admitted), std::move(core), role)->run();
    } else {
        std::make_shared<HttpSession<CorkedStream>>(std::move(stream), std::move(admitted), std::move(core), role)
            ->run();
    }
}

template <typename Stream>
HttpSession<Stream>::HttpSession(Stream&& stream, Admitted admitted, std::shared_ptr<ServerCore> core, HttpRole role)
    : stream_(std::move(stream)), admitted_(std::move(admitted)), core_(std::move(core)), role_(role) {}

template <typename Stream>
void HttpSession<Stream>::run() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
        beast::get_lowest_layer(stream_).expires_after(core_->options.http_timeout);
        stream_.async_handshake(boost::asio::ssl::stream_base::server,
                                [self = this->shared_from_this()](beast::error_code ec) {
                                    if (ec) {
                                        self->outcome_ = ConnectionOutcome::tls_failed;
                                        return self->close();
                                    }
                                    self->serve();
                                });
    } else {
        serve();
    }
}

template <typename Stream>
boost::asio::ip::address HttpSession<Stream>::address() {
    beast::error_code ignored;
    return beast::get_lowest_layer(stream_).socket().remote_endpoint(ignored).address();
}

template <typename Stream>
void HttpSession<Stream>::serve() {
    if (admitted_.admission != Admission::admitted) {
        outcome_ = ConnectionOutcome::refused;
        return respond(logged(*core_, address(), refusal(admitted_.admission)));
    }
    read();
}

// The time a request may take runs from the accept, or from the previous answer: it
// bounds an idle keep-alive connection as well as a slow one.
template <typename Stream>
void HttpSession<Stream>::read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(core_->options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(max_request_body(core_->options));
    beast::get_lowest_layer(stream_).expires_after(core_->options.http_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

template <typename Stream>
void HttpSession<Stream>::on_read(beast::error_code ec) {
    if (ec == http::error::body_limit) return respond(too_large(parser_->get(), max_request_body(core_->options)));
    if (ec == http::error::header_limit) {
        const std::string_view received(static_cast<const char*>(buffer_.data().data()), buffer_.size());
        return respond(header_too_large(received, core_->options.max_header_bytes));
    }
    if (ec) return end();
    if (role_ == HttpRole::main && beast::websocket::is_upgrade(parser_->get())) return upgrade();
    respond(answer(*core_, parser_->get(), role_));
}

template <typename Stream>
void HttpSession<Stream>::upgrade() {
    const Request& request = parser_->get();
    if (!valid_websocket_key(request[http::field::sec_websocket_key]))
        return respond(refusal(request, http::status::bad_request, "Sec-WebSocket-Key must be 16 bytes in Base64"));
    AuthDecision decision = authorize(*core_, request.target(), request[http::field::authorization],
                                      choose_subprotocol(request[http::field::sec_websocket_protocol]),
                                      std::chrono::system_clock::now());
    if (!decision.grant) {
        outcome_ = ConnectionOutcome::refused;
        core_->counters.refused_unauthorized();
        return respond(logged(*core_, address(), unauthorized(request, decision.refusal)));
    }
    outcome_ = ConnectionOutcome::websocket;
    // What the client sent after its request, its first frames perhaps, is the
    // WebSocket session's to read.
    std::string ahead = beast::buffers_to_string(buffer_.data());
    std::make_shared<WebsocketSession<Stream>>(std::move(stream_), std::move(ahead), std::move(admitted_.slot), core_)
        ->run(parser_->release(), std::move(*decision.grant));
}

template <typename Stream>
void HttpSession<Stream>::respond(Response res) {
    auto shared = std::make_shared<Response>(std::move(res));
    const bool keep_alive = shared->keep_alive();
    http::async_write(stream_, *shared,
                      [self = this->shared_from_this(), shared, keep_alive](beast::error_code ec, std::size_t) {
                          self->on_write(ec, keep_alive);
                      });
}

template <typename Stream>
void HttpSession<Stream>::on_write(beast::error_code ec, bool keep_alive) {
    if (!ec && keep_alive && !core_->stopping()) return read();
    end();
}

// Over TLS, the closing alert goes first, so that the client can tell the end of the
// connection from a cut (bounded, like the rest of the close).
template <typename Stream>
void HttpSession<Stream>::end() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
        beast::get_lowest_layer(stream_).expires_after(core_->options.close_timeout);
        stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->close(); });
    } else {
        close();
    }
}

template <typename Stream>
void HttpSession<Stream>::close() {
    corked(stream_).close_gracefully([self = this->shared_from_this()](beast::error_code) {});
}

template class HttpSession<CorkedStream>;
template class HttpSession<TlsStream>;

}  // namespace presence
