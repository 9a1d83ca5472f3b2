#include "server/http_session.h"

#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <chrono>

#include "presence/version.h"
#include "server/web_assets.h"
#include "server/websocket_session.h"

namespace presence {
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::chrono::seconds request_timeout{30};
constexpr std::size_t max_request_body = 16 * 1024;


// 503 while the engine is in trouble (for the multi-node engine: Redis unreachable, this
// node serving its own members only), so that a load balancer can steer new clients away.
void health(const ServerCore& core, http::response<http::string_body>& res) {
    const std::string trouble = core.engine->trouble();
    res.result(trouble.empty() ? http::status::ok : http::status::service_unavailable);
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    boost::json::object body{{"status", trouble.empty() ? "ok" : "degraded"},
                             {"connections", core.service.connections()}};
    if (!trouble.empty()) body["problem"] = trouble;
    res.body() = boost::json::serialize(body) + "\n";
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

http::response<http::string_body> answer(const ServerCore& core, const http::request<http::string_body>& request) {
    http::response<http::string_body> res;
    res.version(request.version());
    res.keep_alive(request.keep_alive());
    res.set(http::field::server, "presence/" + std::string(version()));
    const bool get = request.method() == http::verb::get || request.method() == http::verb::head;
    if (!get) {
        res.result(http::status::method_not_allowed);
        res.set(http::field::allow, "GET, HEAD");
    } else if (const WebAsset* asset = find_asset(request.target())) {
        serve(*asset, request, res);
    } else if (request.target() == "/healthz") {
        health(core, res);
    } else {
        res.result(http::status::not_found);
        res.set(http::field::content_type, "text/plain; charset=utf-8");
        res.body() = "not found\n";
    }
    res.prepare_payload();
    if (request.method() == http::verb::head) res.body().clear();
    return res;
}

}  // namespace

HttpSession::HttpSession(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<ServerCore> core)
    : stream_(std::move(socket)), core_(std::move(core)) {}

void HttpSession::run() { read(); }

void HttpSession::read() {
    parser_.emplace();
    parser_->body_limit(max_request_body);
    stream_.expires_after(request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void HttpSession::on_read(beast::error_code ec) {
    if (ec) {
        stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
        return;
    }
    if (beast::websocket::is_upgrade(parser_->get())) {
        std::make_shared<WebsocketSession>(std::move(stream_), core_)->run(parser_->release());
        return;
    }
    auto res = std::make_shared<http::response<http::string_body>>(answer(*core_, parser_->get()));
    const bool keep_alive = res->keep_alive();
    http::async_write(stream_, *res, [self = shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
        self->on_write(ec, keep_alive);
    });
}

void HttpSession::on_write(beast::error_code ec, bool keep_alive) {
    if (!ec && keep_alive && !core_->stopping) return read();
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
}

}  // namespace presence
