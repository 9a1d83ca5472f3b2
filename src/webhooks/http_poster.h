// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "webhooks/webhook_url.h"

namespace presence {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

// Sends requests to one URL, one at a time, over a connection kept open between them when
// the receiver allows it. Every handler runs on the strand it is given, as must every call.
// Held by shared_ptr: a request in flight keeps it alive.
class HttpPoster : public std::enable_shared_from_this<HttpPoster> {
public:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;
    // Empty for a 2xx answer; otherwise what went wrong.
    using Done = std::function<void(const std::string& failure)>;

    // `tls`: for https, the client context (peer verification on); null for http.
    HttpPoster(Strand strand, WebhookUrl url, std::shared_ptr<boost::asio::ssl::context> tls,
               std::chrono::milliseconds timeout);

    // One attempt, bounded by the timeout: `done` runs once, on the strand.
    void post(std::shared_ptr<const Request> request, Done done);
    // Ends the attempt in flight, whose `done` is then never called, and the connection.
    void cancel();
    // The body of the last 2xx answer: read it in `done`.
    const std::string& answer() const { return answer_; }

private:
    struct ReceiverConnection;

    template <typename Handler>
    auto guarded(Handler handler);
    // The attempt ends when deadline_ expires, however far it got.
    void watch_deadline();
    void connect();
    void handshake();
    void write();
    void read();
    // A failure on a connection kept from an earlier request may only mean that the
    // receiver closed it meanwhile: then the request goes once more, on a new connection.
    void failed(const std::string& what, boost::system::error_code ec);
    void finish(const std::string& failure);
    void close();

    const Strand strand_;
    const WebhookUrl url_;
    const std::shared_ptr<boost::asio::ssl::context> tls_;
    const std::chrono::milliseconds timeout_;
    boost::asio::ip::tcp::resolver resolver_;
    boost::asio::steady_timer deadline_;
    // The handlers of a connection's operations hold it: a new one may replace it any time.
    std::shared_ptr<ReceiverConnection> connection_;
    bool open_ = false;    // connection_ is up: kept from an earlier request or just made
    bool reused_ = false;  // the attempt started on a kept connection
    std::shared_ptr<const Request> request_;
    Done done_;
    unsigned attempt_ = 0;  // handlers of an ended attempt find another number here
    std::string answer_;
};

// For https: a client context that verifies peers against the system's authorities, or
// those of `ca_file`; null for http. Throws std::runtime_error naming `option` (its
// "ca_file") for a file it cannot use.
std::shared_ptr<boost::asio::ssl::context> client_tls(const WebhookUrl& url, const std::string& ca_file,
                                                      const std::string& option);

// A POST of `body` to `url`, JSON, signed now with `secret` (webhooks/webhook_signature.h).
std::shared_ptr<const HttpPoster::Request> signed_request(const WebhookUrl& url, const std::string& secret,
                                                          const std::string& body);

}  // namespace presence
