// SPDX-License-Identifier: Apache-2.0
#include "test_peer.h"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

namespace presence::test {
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using protocol::Method;

TestPeer::TestPeer(std::uint16_t port, const std::string& subprotocol) : ws_(io_) {
    const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), port);
    beast::get_lowest_layer(ws_).connect(endpoint);
    beast::get_lowest_layer(ws_).socket().set_option(boost::asio::ip::tcp::no_delay(true));
    ws_.set_option(websocket::stream_base::decorator([subprotocol](websocket::request_type& req) {
        if (!subprotocol.empty()) req.set(beast::http::field::sec_websocket_protocol, subprotocol);
    }));
    websocket::response_type response;
    ws_.handshake(response, "127.0.0.1:" + std::to_string(port), "/");
    subprotocol_ = std::string(response[beast::http::field::sec_websocket_protocol]);
    const protocol::Message session = expect(Method::session);
    session_id_ = session.text.value_or("");
}

TestPeer::~TestPeer() { close(); }

void TestPeer::close() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
}

void TestPeer::send(const std::string& text) {
    ws_.text(true);
    ws_.write(boost::asio::buffer(text));
}

void TestPeer::send(const protocol::Message& message, bool base64) {
    send(protocol::encode(message, base64));
}

std::optional<std::string> TestPeer::next(std::chrono::milliseconds timeout) {
    if (!passed_over_.empty()) {
        std::string frame = std::move(passed_over_.front());
        passed_over_.pop_front();
        return frame;
    }
    std::optional<std::string> frame;
    bool done = false;
    ws_.async_read(buffer_, [&](beast::error_code ec, std::size_t) {
        done = true;
        // A close frame may come before a transport error (the server did not wait for
        // our answer): its code counts all the same.
        if (ec && ws_.reason().code != 0) close_code_ = ws_.reason().code;
        if (ec) return;
        frame = beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
    });
    io_.restart();
    io_.run_for(timeout);
    if (!done) {
        close();  // a read cannot be abandoned half-way: this peer is finished
        io_.restart();
        io_.run_for(1s);
    }
    return frame;
}

protocol::Message TestPeer::expect(Method method, std::chrono::milliseconds timeout) {
    const std::optional<std::string> frame = next(timeout);
    if (!frame) {
        ADD_FAILURE() << "no frame, expected " << protocol::method_name(method);
        return {};
    }
    protocol::Decoded decoded = protocol::decode(*frame);
    EXPECT_TRUE(decoded.ok()) << *frame;
    EXPECT_EQ(protocol::method_name(decoded.message.method), protocol::method_name(method)) << *frame;
    return decoded.message;
}

protocol::Message TestPeer::await(Method method, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::deque<std::string> before;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        std::optional<std::string> frame = left.count() > 0 ? next(left) : std::nullopt;
        if (!frame) {
            std::string seen;
            for (const std::string& f : before) seen += "\n  " + f;
            ADD_FAILURE() << "no " << protocol::method_name(method) << " frame; came before:" << seen;
            passed_over_.insert(passed_over_.begin(), before.begin(), before.end());
            return {};
        }
        protocol::Decoded decoded = protocol::decode(*frame);
        if (decoded.ok() && decoded.message.method == method) {
            passed_over_.insert(passed_over_.begin(), before.begin(), before.end());
            return decoded.message;
        }
        before.push_back(std::move(*frame));
    }
}

int TestPeer::expect_close(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (close_code_ == 0 && std::chrono::steady_clock::now() < deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (!next(left)) break;
    }
    return close_code_;
}

std::string TestPeer::hello(const std::string& features) {
    send(request(Method::hello, std::nullopt, features));
    return expect(Method::hello).text.value_or("");
}

void TestPeer::join(const std::string& name, const std::string& info) {
    name_ = name;
    info_ = info;
    protocol::Message m = request(Method::member_new);
    m.member = member();
    send(m);
    const protocol::Message announced = await(Method::member_new);
    EXPECT_EQ(announced.member, member());
}

void TestPeer::subscribe(const std::string& channel) {
    send(request(Method::channel_member_new, channel));
    const protocol::Message announced = await(Method::channel_member_new);
    EXPECT_EQ(announced.channel, channel);
    EXPECT_EQ(announced.member, member());
}

protocol::Message request(Method method, std::optional<std::string> channel, std::optional<std::string> text) {
    protocol::Message m;
    m.method = method;
    m.channel = std::move(channel);
    m.text = std::move(text);
    return m;
}

}  // namespace presence::test
