// SPDX-License-Identifier: Apache-2.0
// The transport's reliability and security over real loopback sockets: the heartbeat
// finds a peer that stopped answering, and TLS serves clients that verify the server.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "presence/server.h"
#include "protocol/codec.h"
#include "test_peer.h"

namespace presence::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
namespace websocket = beast::websocket;
using protocol::Message;
using protocol::Method;

// What the server's hooks saw, from its thread, waited for from the test's.
class HookLog {
public:
    void add(std::string line) {
        std::lock_guard lock(mutex_);
        lines_.push_back(std::move(line));
        changed_.notify_all();
    }
    bool wait_for(const std::string& line, std::chrono::milliseconds timeout = 5s) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return std::find(lines_.begin(), lines_.end(), line) != lines_.end(); });
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::string> lines_;
};

TEST(HeartbeatTest, APeerThatStopsAnsweringIsLostAndItsDepartureAnnounced) {
    ServerOptions options;
    options.port = 0;
    // Alice is found within interval + timeout of her last frame; bob must only join
    // before then, and answer each ping within the timeout.
    options.heartbeat.interval = 500ms;
    options.heartbeat.timeout = 2s;
    HookLog log;
    ServerHooks hooks;
    hooks.on_remove_member = [&log](const Member& m) { log.add("removed " + m.name); };
    hooks.on_error = [&log](const ConnectionError& error) { log.add(error.session_id + " " + error.what); };
    Server server(options, hooks);
    server.start();

    TestPeer alice(server.port());
    alice.join("alice");
    TestPeer bob(server.port());
    bob.join("bob");
    // From here on alice reads nothing, so nothing answers the server's pings to her;
    // bob reads, and his WebSocket stream answers them.
    EXPECT_EQ(bob.expect(Method::member_remove, 30s).member, alice.member());
    EXPECT_TRUE(log.wait_for("removed alice"));
    EXPECT_TRUE(log.wait_for(alice.session_id() + " heartbeat timeout"));
    EXPECT_EQ(server.members(), std::vector<Member>{bob.member()});
    alice.close();  // the server need not wait for her to answer its close
    server.stop();
}

// Throwaway certificates (tests/support/make_test_cert.sh) in a directory of their own.
class TlsTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (std::filesystem::temp_directory_path() / "presence-tls-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir = pattern;
        const std::string command = std::string("sh ") + PRESENCE_MAKE_TEST_CERT + " " + dir.string();
        ASSERT_EQ(std::system(command.c_str()), 0) << command;
    }
    void TearDown() override { std::filesystem::remove_all(dir); }

    std::string cert(const std::string& name) const { return (dir / name).string(); }

    std::unique_ptr<Server> start_server() {
        ServerOptions options;
        options.port = 0;
        options.tls.cert_file = cert("server.pem");
        options.tls.key_file = cert("server.key");
        auto server = std::make_unique<Server>(options);
        server->start();
        return server;
    }

    std::filesystem::path dir;
};

// A wss:// client that verifies the server against `ca_file`. Every step is bounded.
class WssPeer {
public:
    explicit WssPeer(const std::string& ca_file) : context_(ssl::context::tls_client), ws_(io_, context_) {
        context_.load_verify_file(ca_file);
        ws_.next_layer().set_verify_mode(ssl::verify_peer);
        ws_.next_layer().set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    }

    // The error of the TLS handshake, or of the WebSocket one after it.
    beast::error_code connect(std::uint16_t port) {
        const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
        ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
            req.set(beast::http::field::sec_websocket_protocol, "presence.esegece.com");
        }));
        beast::error_code ec = run([&](auto done) { beast::get_lowest_layer(ws_).async_connect(endpoint, done); });
        if (!ec) ec = run([&](auto done) { ws_.next_layer().async_handshake(ssl::stream_base::client, done); });
        if (!ec) ec = run([&](auto done) { ws_.async_handshake("127.0.0.1:" + std::to_string(port), "/", done); });
        return ec;
    }

    void send(const Message& message) {
        const std::string text = protocol::encode(message, false);
        ASSERT_FALSE(run([&](auto done) { ws_.async_write(asio::buffer(text), done); }));
    }

    Message expect(Method method) {
        beast::flat_buffer buffer;
        const beast::error_code ec = run([&](auto done) { ws_.async_read(buffer, done); });
        EXPECT_FALSE(ec) << ec.message();
        const protocol::Decoded decoded = protocol::decode(beast::buffers_to_string(buffer.data()));
        EXPECT_EQ(protocol::method_name(decoded.message.method), protocol::method_name(method));
        return decoded.message;
    }

private:
    // Starts an operation with a handler that notes its error, and runs until it is done.
    template <typename Start>
    beast::error_code run(Start start) {
        std::optional<beast::error_code> result;
        start([&result](beast::error_code ec, auto&&...) { result = ec; });
        io_.restart();
        io_.run_for(5s);
        return result.value_or(asio::error::timed_out);
    }

    asio::io_context io_;
    ssl::context context_;
    websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws_;
};

TEST_F(TlsTest, AClientThatVerifiesTheServerJoins) {
    const auto server = start_server();
    WssPeer peer(cert("ca.pem"));
    ASSERT_FALSE(peer.connect(server->port()));
    const std::string session_id = peer.expect(Method::session).text.value_or("");
    ASSERT_FALSE(session_id.empty());
    Message join = request(Method::member_new);
    join.member = Member{session_id, "alice", ""};
    peer.send(join);
    EXPECT_EQ(peer.expect(Method::member_new).member, join.member);
    EXPECT_EQ(server->members(), std::vector<Member>{*join.member});
}

TEST_F(TlsTest, AClientThatTrustsAnotherAuthorityRefusesTheServer) {
    const auto server = start_server();
    WssPeer peer(cert("other-ca.pem"));
    EXPECT_EQ(peer.connect(server->port()).category(), asio::error::get_ssl_category());
}

TEST_F(TlsTest, AKeyFileThatCannotBeReadFailsTheStart) {
    ServerOptions options;
    options.port = 0;
    options.tls.cert_file = cert("server.pem");
    options.tls.key_file = cert("missing.key");
    Server server(options);
    try {
        server.start();
        ADD_FAILURE() << "started without its key";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(options.tls.key_file), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace presence::test
