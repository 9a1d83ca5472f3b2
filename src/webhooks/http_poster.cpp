// SPDX-License-Identifier: Apache-2.0
#include "webhooks/http_poster.h"

#include <openssl/ssl.h>

#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <concepts>
#include <optional>
#include <stdexcept>

#include "presence/version.h"
#include "webhooks/webhook_signature.h"

namespace presence {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

// The answer's body is not used; a larger one fails the attempt.
constexpr std::uint64_t max_answer_body_bytes = 64 * 1024;

bool is_address(const std::string& host) {
    error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

}  // namespace

struct HttpPoster::ReceiverConnection {
    ReceiverConnection(const Strand& strand, asio::ssl::context* tls) {
        if (tls)
            secure.emplace(strand, *tls);
        else
            plain.emplace(strand);
    }
    beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
    template <typename Operation>
    void on_stream(Operation operation) {
        if (secure)
            operation(*secure);
        else
            operation(*plain);
    }

    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer;
    std::shared_ptr<const Request> request;  // what is being written on it
    std::optional<http::response_parser<http::string_body>> answer;
};

HttpPoster::HttpPoster(Strand strand, WebhookUrl url, std::shared_ptr<asio::ssl::context> tls,
                       std::chrono::milliseconds timeout)
    : strand_(std::move(strand)),
      url_(std::move(url)),
      tls_(std::move(tls)),
      timeout_(timeout),
      resolver_(strand_),
      deadline_(strand_) {}

// A handler of the current attempt: it keeps the poster and the connection alive, and does
// nothing once the attempt has ended.
template <typename Handler>
auto HttpPoster::guarded(Handler handler) {
    return [self = shared_from_this(), connection = connection_, attempt = attempt_,
            handler = std::move(handler)](auto&&... args) mutable
               requires std::invocable<Handler&, decltype(args)...>
    {
        if (attempt == self->attempt_) handler(std::forward<decltype(args)>(args)...);
    };
}

void HttpPoster::post(std::shared_ptr<const Request> request, Done done) {
    request_ = std::move(request);
    done_ = std::move(done);
    answer_.clear();
    reused_ = open_;
    if (!open_) connection_ = std::make_shared<ReceiverConnection>(strand_, tls_.get());
    deadline_.expires_after(timeout_);
    watch_deadline();
    if (open_)
        write();
    else
        connect();
}

void HttpPoster::watch_deadline() {
    deadline_.async_wait(guarded([this](error_code ec) {
        if (!ec) finish("no answer within " + std::to_string(timeout_.count()) + " ms");
    }));
}

void HttpPoster::cancel() {
    ++attempt_;
    done_ = nullptr;
    deadline_.cancel();
    close();
}

void HttpPoster::connect() {
    resolver_.async_resolve(
        url_.host, url_.port, guarded([this](error_code ec, const asio::ip::tcp::resolver::results_type& endpoints) {
            if (ec) return finish("cannot resolve " + url_.host + ": " + ec.message());
            connection_->tcp().async_connect(endpoints, guarded([this](error_code ec, const asio::ip::tcp::endpoint&) {
                if (ec) return finish("cannot connect to " + url_.host_header + ": " + ec.message());
                open_ = true;
                if (tls_)
                    handshake();
                else
                    write();
            }));
        }));
}

// Peer verification is the context's; the name checked, and sent for the receiver to choose
// its certificate (SNI, for names only), is the URL's.
void HttpPoster::handshake() {
    auto& stream = *connection_->secure;
    if (!is_address(url_.host) && !SSL_set_tlsext_host_name(stream.native_handle(), url_.host.c_str()))
        return finish("TLS: cannot set the server name " + url_.host);
    stream.set_verify_callback(asio::ssl::host_name_verification(url_.host));
    stream.async_handshake(asio::ssl::stream_base::client, guarded([this](error_code ec) {
        if (ec) return finish("TLS handshake with " + url_.host_header + " failed: " + ec.message());
        write();
    }));
}

void HttpPoster::write() {
    connection_->request = request_;
    connection_->answer.reset();
    connection_->on_stream([this](auto& stream) {
        http::async_write(stream, *connection_->request, guarded([this](error_code ec, std::size_t) {
            if (ec) return failed("sending", ec);
            read();
        }));
    });
}

void HttpPoster::read() {
    auto& answer = connection_->answer.emplace();
    answer.body_limit(max_answer_body_bytes);
    connection_->on_stream([this, &answer](auto& stream) {
        http::async_read(stream, connection_->buffer, answer, guarded([this](error_code ec, std::size_t) {
            if (ec) return failed("reading the answer", ec);
            const auto& response = connection_->answer->get();
            if (!response.keep_alive()) close();
            const unsigned status = response.result_int();
            if (status < 200 || status > 299) return finish("HTTP " + std::to_string(status));
            answer_ = response.body();
            finish({});
        }));
    });
}

void HttpPoster::failed(const std::string& what, error_code ec) {
    const bool answer_begun = connection_->answer && connection_->answer->got_some();
    close();
    if (!std::exchange(reused_, false) || answer_begun)
        return finish(what + " to " + url_.host_header + " failed: " + ec.message());
    ++attempt_;  // what the old connection still reports is no longer of interest
    connection_ = std::make_shared<ReceiverConnection>(strand_, tls_.get());
    watch_deadline();
    connect();
}

void HttpPoster::finish(const std::string& failure) {
    ++attempt_;
    deadline_.cancel();
    if (!failure.empty()) close();
    if (Done done = std::exchange(done_, nullptr)) done(failure);
}

void HttpPoster::close() {
    resolver_.cancel();
    if (connection_) connection_->tcp().close();
    open_ = false;
}

std::shared_ptr<asio::ssl::context> client_tls(const WebhookUrl& url, const std::string& ca_file,
                                               const std::string& option) {
    if (!url.tls) return nullptr;
    auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
    tls->set_verify_mode(asio::ssl::verify_peer);
    error_code ec;
    if (ca_file.empty())
        tls->set_default_verify_paths(ec);
    else
        tls->load_verify_file(ca_file, ec);
    if (ec)
        throw std::runtime_error(ca_file.empty()
                                     ? option + ": cannot load the system's CA certificates: " + ec.message()
                                     : option + ".ca_file: cannot use " + ca_file + ": " + ec.message());
    return tls;
}

std::shared_ptr<const HttpPoster::Request> signed_request(const WebhookUrl& url, const std::string& secret,
                                                          const std::string& body) {
    using std::chrono::seconds;
    auto request = std::make_shared<HttpPoster::Request>(http::verb::post, url.target, 11);
    const std::string timestamp =
        std::to_string(std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    request->set(http::field::host, url.host_header);
    request->set(http::field::user_agent, "presence/" + std::string(version()));
    request->set(http::field::content_type, "application/json");
    request->set(webhook_timestamp_header, timestamp);
    request->set(webhook_signature_header, webhook_signature(secret, timestamp, body));
    request->keep_alive(true);
    request->body() = body;
    request->prepare_payload();
    return request;
}

}  // namespace presence
