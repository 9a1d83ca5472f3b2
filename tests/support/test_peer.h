// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <deque>
#include <optional>
#include <string>

#include "protocol/codec.h"

namespace presence::test {

using namespace std::chrono_literals;

// A bare WebSocket peer for tests: frames go out exactly as written and come back
// exactly as received, in order; every wait is bounded.
class TestPeer {
public:
    explicit TestPeer(std::uint16_t port, const std::string& subprotocol = "presence.esegece.com");
    ~TestPeer();

    void send(const std::string& text);
    void send(const protocol::Message& message, bool base64 = false);
    // The next text frame, or nullopt when none came within `timeout` or the peer closed.
    // Frames that await() passed over come first, in the order they came.
    std::optional<std::string> next(std::chrono::milliseconds timeout = 5s);
    // The next frame, which must decode and carry `method` (a test failure otherwise).
    protocol::Message expect(protocol::Method method, std::chrono::milliseconds timeout = 5s);
    // The first frame that carries `method`. Frames of other methods that came before it
    // (a diff sent by the clock, say) are kept for next() and expect(), in order: what
    // arrives is still checked, only not before what the test waits for.
    protocol::Message await(protocol::Method method, std::chrono::milliseconds timeout = 5s);
    // Waits for the server to close; returns its close code, or 0 on timeout.
    int expect_close(std::chrono::milliseconds timeout = 5s);

    // Says hello with `features` and returns the features the server named back.
    std::string hello(const std::string& features);
    // Sends member@new with the session id and waits for its own announcement (await).
    void join(const std::string& name, const std::string& info = "");
    void subscribe(const std::string& channel);  // waits for its own announcement (await)
    void close();

    const std::string& session_id() const { return session_id_; }
    Member member() const { return {session_id_, name_, info_}; }
    const std::string& accepted_subprotocol() const { return subprotocol_; }

private:
    boost::asio::io_context io_;
    boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
    boost::beast::flat_buffer buffer_;
    std::deque<std::string> passed_over_;  // by await(), for next()
    std::string session_id_;
    std::string name_;
    std::string info_;
    std::string subprotocol_;
    int close_code_ = 0;
};

protocol::Message request(protocol::Method method, std::optional<std::string> channel = std::nullopt,
                          std::optional<std::string> text = std::nullopt);

}  // namespace presence::test
