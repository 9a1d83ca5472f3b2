// SPDX-License-Identifier: Apache-2.0
#include "client/websocket_transport.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>
#include <boost/beast/websocket.hpp>
#include <algorithm>
#include <deque>
#include <stdexcept>
#include <type_traits>

#include "presence/close_codes.h"

namespace presence::client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

using Plain = beast::tcp_stream;
using Tls = beast::ssl_stream<beast::tcp_stream>;

// Of a refused handshake's answer, shown in the error.
constexpr std::size_t max_reason_bytes = 200;

bool is_ip_address(const std::string& host) {
    beast::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

// ssl::host_name_verification, which also records a mismatch as the reason the
// certificate was refused (by itself it leaves the verification result "ok").
class HostCheck {
public:
    explicit HostCheck(const std::string& host)
        : check_(host), mismatch_(is_ip_address(host) ? X509_V_ERR_IP_ADDRESS_MISMATCH : X509_V_ERR_HOSTNAME_MISMATCH) {}

    bool operator()(bool preverified, ssl::verify_context& context) const {
        if (check_(preverified, context)) return true;
        if (preverified) X509_STORE_CTX_set_error(context.native_handle(), mismatch_);
        return false;
    }

private:
    ssl::host_name_verification check_;
    int mismatch_;
};

// The transport over `NextLayer`: Plain for ws://, Tls for wss://. Its state changes only
// on the strand; every pending operation holds a shared_ptr to it.
template <typename NextLayer>
class WebsocketTransport final : public Transport,
                                 public std::enable_shared_from_this<WebsocketTransport<NextLayer>> {
    static constexpr bool tls = std::is_same_v<NextLayer, Tls>;

public:
    WebsocketTransport(Strand strand, const WsUrl& url, TransportOptions options, TransportHandlers handlers)
        : options_(std::move(options)),
          handlers_(std::move(handlers)),
          url_(url),
          tls_context_(tls ? std::make_unique<ssl::context>(ssl::context::tls_client) : nullptr),
          resolver_(strand),
          ws_(make_stream(strand, tls_context_.get())),
          heartbeat_(strand) {}

    void open() override {
        resolver_.async_resolve(url_.host, url_.port,
                                [self = self()](beast::error_code ec, tcp::resolver::results_type r) {
                                    self->on_resolve(ec, std::move(r));
                                });
    }

    bool is_open() const override { return state_ == State::open; }

    bool send(Bytes bytes) override {
        if (state_ != State::open) return false;
        if (queued_bytes_ + bytes->size() > options_.max_queue_bytes) return false;
        queued_bytes_ += bytes->size();
        queue_.push_back(std::move(bytes));
        write_next();
        return true;
    }

    void close(unsigned short code) override {
        if (state_ == State::connecting) {
            state_ = State::closing;
            resolver_.cancel();
            tcp_stream().close();
            return;
        }
        if (state_ != State::open) return;
        state_ = State::closing;
        // With a control callback, Beast's read defers a close frame it finds already
        // buffered; our close operation can then take the write lock and wait for the read
        // lock that the deferred read holds while it waits for the write lock. Without the
        // callback the read takes the frame at once. The deadline bounds the handshake
        // whatever the server does, and ends even a deadlocked pair of operations.
        ws_.control_callback();
        heartbeat_.expires_after(options_.timeout);
        heartbeat_.async_wait([self = self()](beast::error_code ec) {
            if (!ec) self->abandon();
        });
        ws_.async_close(code, asio::bind_cancellation_slot(close_cancel_.slot(), [self = self()](beast::error_code ec) {
            self->finish(ec ? ec : websocket::error::closed);
        }));
    }

private:
    enum class State { connecting, open, closing, closed };

    static websocket::stream<NextLayer> make_stream(Strand strand, ssl::context* tls_context) {
        if constexpr (tls) {
            return websocket::stream<NextLayer>(strand, *tls_context);
        } else {
            return websocket::stream<NextLayer>(strand);
        }
    }

    std::shared_ptr<WebsocketTransport> self() { return this->shared_from_this(); }
    beast::tcp_stream& tcp_stream() { return beast::get_lowest_layer(ws_); }

    void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
        if (ec || state_ != State::connecting) return fail("cannot resolve " + url_.host, ec);
        tcp_stream().expires_after(options_.timeout);
        tcp_stream().async_connect(
            results, [self = self()](beast::error_code e, const tcp::endpoint&) { self->on_connect(e); });
    }

    void on_connect(beast::error_code ec) {
        if (ec || state_ != State::connecting) return fail("cannot connect to " + url_.authority(), ec);
        tcp_stream().socket().set_option(tcp::no_delay(true), ec);
        if constexpr (tls) {
            start_tls();
        } else {
            handshake();
        }
    }

    // The server must show a certificate chain to a trusted CA that names the URL's host.
    void start_tls() {
        // The stream's SSL object reads its context's trust store only during the
        // handshake, so the store may be filled after the stream was made.
        beast::error_code ec;
        if (options_.ca_file.empty()) {
            tls_context_->set_default_verify_paths(ec);
            if (ec) return fail("cannot load the system's CA certificates", ec);
        } else {
            tls_context_->load_verify_file(options_.ca_file, ec);
            if (ec) return fail("cannot read the CA file " + options_.ca_file, ec);
        }
        Tls& stream = ws_.next_layer();
        stream.set_verify_mode(ssl::verify_peer);
        stream.set_verify_callback(HostCheck(url_.host));
        // Server Name Indication: RFC 6066 allows host names only.
        if (!is_ip_address(url_.host) && !SSL_set_tlsext_host_name(stream.native_handle(), url_.host.c_str()))
            return fail("cannot send the TLS server name " + url_.host, {});
        tcp_stream().expires_after(options_.timeout);
        stream.async_handshake(ssl::stream_base::client,
                               [self = self()](beast::error_code e) { self->on_tls_handshake(e); });
    }

    void on_tls_handshake(beast::error_code ec) {
        if (!ec && state_ == State::connecting) return handshake();
        const long verified = SSL_get_verify_result(ws_.next_layer().native_handle());
        if (ec && verified != X509_V_OK)
            return fail("the certificate of " + url_.authority() +
                            " could not be verified: " + X509_verify_cert_error_string(verified),
                        {});
        fail("TLS handshake with " + url_.authority() + " failed", ec);
    }

    void handshake() {
        // From here on the WebSocket's own timeouts apply; the stream's would cut idle reads.
        tcp_stream().expires_never();
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = options_.timeout;
        timeouts.idle_timeout = websocket::stream_base::none();
        timeouts.keep_alive_pings = false;
        ws_.set_option(timeouts);
        ws_.set_option(websocket::stream_base::decorator([this](websocket::request_type& request) {
            request.set(beast::http::field::sec_websocket_protocol, options_.subprotocol);
            request.set(beast::http::field::user_agent, "presence-client " BOOST_BEAST_VERSION_STRING);
        }));
        ws_.async_handshake(response_, url_.authority(), url_.target,
                            [self = self()](beast::error_code e) { self->on_handshake(e); });
    }

    void on_handshake(beast::error_code ec) {
        if (ec == websocket::error::upgrade_declined && state_ == State::connecting) return fail(refusal(), {});
        if (ec || state_ != State::connecting)
            return fail("WebSocket handshake with " + url_.authority() + " failed", ec);
        // A server may choose no sub-protocol, but never one we did not offer (RFC 6455 4.1).
        const auto chosen = response_[beast::http::field::sec_websocket_protocol];
        if (!chosen.empty() && chosen != options_.subprotocol)
            return fail("the server chose the sub-protocol " + std::string(chosen), {});
        state_ = State::open;
        ws_.text(true);
        // Pongs, pings and close frames show the server is there as much as messages do.
        ws_.control_callback([this](websocket::frame_type, beast::string_view) { heard(); });
        heard();
        if (options_.heartbeat_interval.count() > 0) watch(heard_ + options_.heartbeat_interval);
        handlers_.on_open();
        read();
        write_next();
    }

    // "... refused the WebSocket handshake: HTTP 401 Unauthorized: token expired", with the
    // first line of the answer's body, if it has one that reads as text.
    std::string refusal() const {
        std::string text = url_.authority() + " refused the WebSocket handshake: HTTP " +
                           std::to_string(response_.result_int()) + " " + std::string(response_.reason());
        const std::string& body = response_.body();
        const std::string line = body.substr(0, std::min(body.find_first_of("\r\n"), max_reason_bytes));
        const bool readable =
            std::all_of(line.begin(), line.end(), [](unsigned char c) { return c >= 0x20 && c != 0x7f; });
        if (!line.empty() && readable) text += ": " + line;
        return text;
    }

    void read() {
        ws_.async_read(buffer_, asio::bind_cancellation_slot(read_cancel_.slot(), [self = self()](beast::error_code ec,
                                                                                                  std::size_t) {
                           self->on_read(ec);
                       }));
    }

    // The closing handshake took longer than the timeout: the connection is dropped, and
    // Beast's operations still waiting on each other are cancelled.
    void abandon() {
        if (state_ == State::closed) return;
        finish(asio::error::timed_out);
        read_cancel_.emit(asio::cancellation_type::terminal);
        close_cancel_.emit(asio::cancellation_type::terminal);
    }

    void on_read(beast::error_code ec) {
        // Once our close frame is out, Beast aborts the read and the close operation reads
        // the server's answer: its completion finishes the connection.
        if (ec == asio::error::operation_aborted && state_ == State::closing) return;
        if (ec) return finish(ec);
        heard();
        if (ws_.got_text()) {
            handlers_.on_frame(beast::buffers_to_string(buffer_.data()));
        } else {
            handlers_.on_error("ignored a binary frame from the server");
        }
        buffer_.consume(buffer_.size());
        if (state_ != State::closed) read();
    }

    void write_next() {
        if (writing_ || queue_.empty() || state_ != State::open) return;
        writing_ = true;
        ws_.async_write(asio::buffer(*queue_.front()),
                        [self = self()](beast::error_code ec, std::size_t) { self->on_write(ec); });
    }

    void on_write(beast::error_code ec) {
        writing_ = false;
        if (queue_.empty()) return;  // finish() emptied it
        queued_bytes_ -= queue_.front()->size();
        queue_.pop_front();
        if (ec) {
            // The pending read notices the broken connection and finishes it.
            tcp_stream().socket().close(ec);
            return;
        }
        write_next();
    }

    void heard() {
        heard_ = Clock::now();
        pinged_ = false;
    }

    void watch(Clock::time_point at) {
        heartbeat_.expires_at(at);
        heartbeat_.async_wait([self = self()](beast::error_code ec) {
            if (!ec) self->on_heartbeat();
        });
    }

    // The timer is re-armed here rather than at every frame: a busy connection costs
    // nothing but a clock read per frame.
    void on_heartbeat() {
        if (state_ != State::open) return;
        if (pinged_) {
            handlers_.on_error("heartbeat timeout: the server stopped answering");
            return finish(asio::error::timed_out);
        }
        const auto due = heard_ + options_.heartbeat_interval;
        if (Clock::now() < due) return watch(due);
        pinged_ = true;
        // Beast takes one ping at a time; one still stuck behind a write does the job.
        if (!ping_in_flight_) {
            ping_in_flight_ = true;
            ws_.async_ping({}, [self = self()](beast::error_code) { self->ping_in_flight_ = false; });
        }
        watch(Clock::now() + options_.heartbeat_timeout);
    }

    void fail(const std::string& what, beast::error_code ec) {
        // A connect abandoned by close() is not worth an error.
        if (state_ == State::connecting) handlers_.on_error(ec ? what + ": " + ec.message() : what);
        tcp_stream().close();
        state_ = State::closed;
        handlers_.on_closed(close_code::abnormal, ec.message());
    }

    // `ec` is websocket::error::closed after a closing handshake, else why the connection
    // was lost.
    void finish(beast::error_code ec) {
        if (state_ == State::closed) return;  // the read and the close operation both end here
        state_ = State::closed;
        queue_.clear();
        queued_bytes_ = 0;
        heartbeat_.cancel();
        tcp_stream().close();
        if (ec != websocket::error::closed) return handlers_.on_closed(close_code::abnormal, ec.message());
        const websocket::close_reason& reason = ws_.reason();
        handlers_.on_closed(reason.code ? reason.code : close_code::no_status, std::string(reason.reason.c_str()));
    }

    TransportOptions options_;
    TransportHandlers handlers_;
    WsUrl url_;
    std::unique_ptr<ssl::context> tls_context_;  // wss:// only; made before ws_, which uses it
    tcp::resolver resolver_;
    websocket::stream<NextLayer> ws_;
    websocket::response_type response_;
    beast::flat_buffer buffer_;
    std::deque<Bytes> queue_;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
    State state_ = State::connecting;

    asio::steady_timer heartbeat_;  // the heartbeat while open, the closing deadline once closing
    asio::cancellation_signal read_cancel_;
    asio::cancellation_signal close_cancel_;
    Clock::time_point heard_;      // the server's last frame, control frames included
    bool pinged_ = false;          // a ping was due, and nothing came since
    bool ping_in_flight_ = false;  // Beast has not finished sending our last ping
};

}  // namespace

WsUrl checked_url(const std::string& url) {
    auto parsed = parse_ws_url(url);
    if (!parsed) throw std::invalid_argument("not a ws:// or wss://host[:port][/path] URL: " + url);
    return *parsed;
}

std::shared_ptr<Transport> make_transport(Strand strand, const WsUrl& url, TransportOptions options,
                                          TransportHandlers handlers) {
    if (url.secure)
        return std::make_shared<WebsocketTransport<Tls>>(strand, url, std::move(options), std::move(handlers));
    return std::make_shared<WebsocketTransport<Plain>>(strand, url, std::move(options), std::move(handlers));
}

}  // namespace presence::client
