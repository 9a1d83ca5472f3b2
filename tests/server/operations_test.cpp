// SPDX-License-Identifier: Apache-2.0
// The operator's side of the server over real loopback sockets: Server::disconnect, the
// admin address, readiness and the admin API while the server stops, and /metrics labels.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include "presence/server.h"
#include "test_peer.h"

namespace presence::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using protocol::Method;

constexpr auto key = "operator-key";

struct HttpAnswer {
    unsigned status = 0;
    std::string body;
};

// One kept-alive HTTP/1.1 connection; every exchange is bounded by the stream's expiry.
class HttpConnection {
public:
    explicit HttpConnection(std::uint16_t port) : stream_(io_) {
        stream_.expires_after(5s);
        stream_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    }

    HttpAnswer get(const std::string& target, const std::string& bearer = "") {
        http::request<http::string_body> request{http::verb::get, target, 11};
        request.set(http::field::host, "127.0.0.1");
        if (!bearer.empty()) request.set(http::field::authorization, "Bearer " + bearer);
        http::response<http::string_body> response;
        beast::error_code error = asio::error::timed_out;
        stream_.expires_after(5s);
        http::async_write(stream_, request, [&](beast::error_code ec, std::size_t) {
            if (ec) {
                error = ec;
                return;
            }
            http::async_read(stream_, buffer_, response, [&](beast::error_code ec2, std::size_t) { error = ec2; });
        });
        io_.restart();
        io_.run();
        if (error) throw std::runtime_error("GET " + target + ": " + error.message());
        return {response.result_int(), response.body()};
    }

private:
    asio::io_context io_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
};

ServerOptions options_with_key() {
    ServerOptions options;
    options.port = 0;
    options.admin.api_key = key;
    return options;
}

TEST(DisconnectTest, TheMemberHearsItsDepartureThenCloses4000AndOthersHearIt) {
    Server server(options_with_key());
    server.start();
    TestPeer alice(server.port());
    alice.join("alice");
    alice.subscribe("room");
    TestPeer bob(server.port());
    bob.join("bob");
    alice.expect(Method::member_new);

    EXPECT_TRUE(server.disconnect(alice.session_id()));
    EXPECT_EQ(alice.expect(Method::channel_member_remove).member, alice.member());
    EXPECT_EQ(alice.expect(Method::member_remove).member, alice.member());
    EXPECT_EQ(alice.expect_close(), 4000);
    EXPECT_EQ(bob.expect(Method::member_remove).member, alice.member());
    EXPECT_EQ(server.members(), std::vector<Member>{bob.member()});

    EXPECT_FALSE(server.disconnect(alice.session_id()));
    EXPECT_THROW(server.disconnect(bob.session_id(), "nowhere"), std::invalid_argument);
    bob.close();
    server.stop();
}

TEST(AdminAddressTest, MetricsAndTheApiMoveThereAndTheProbesStayOnBoth) {
    ServerOptions options = options_with_key();
    options.admin.address = "127.0.0.1:0";
    Server server(options);
    server.start();
    ASSERT_NE(server.admin_port(), 0);
    ASSERT_NE(server.admin_port(), server.port());
    HttpConnection admin(server.admin_port());
    HttpConnection main(server.port());
    EXPECT_EQ(admin.get("/metrics").status, 200);
    EXPECT_EQ(admin.get("/api/info", key).status, 200);
    EXPECT_EQ(main.get("/metrics").status, 404);
    EXPECT_EQ(main.get("/api/info", key).status, 404);
    for (HttpConnection* c : {&admin, &main}) {
        EXPECT_EQ(c->get("/healthz").status, 200);
        EXPECT_EQ(c->get("/readyz").status, 200);
    }
    server.stop();
}

TEST(AdminAddressTest, AnAddressThatIsNotHostPortFailsTheStart) {
    for (const char* address : {"nonsense", "127.0.0.1", ":9090", "127.0.0.1:", "127.0.0.1:65536",
                                "localhost:9090", "127.0.0.1:90x"}) {
        ServerOptions options;
        options.port = 0;
        options.admin.address = address;
        Server server(options);
        EXPECT_THROW(server.start(), std::invalid_argument) << address;
        EXPECT_EQ(server.port(), 0) << address;
    }
}

// A hook stops the server when "stopper" joins; the stopper does not answer the close that
// follows, so the server stays stopping, whatever the time the requests take, until the
// stopper goes.
TEST(StoppingTest, ReadyzAndTheApiAnswer503WhileHealthzStays200) {
    std::unique_ptr<Server> server;
    ServerHooks hooks;
    hooks.on_new_member = [&server](const Member& m) {
        if (m.name == "stopper") server->stop();
    };
    server = std::make_unique<Server>(options_with_key(), hooks);
    server->start();
    HttpConnection ready(server->port()), api(server->port()), health(server->port());
    ASSERT_EQ(ready.get("/readyz").status, 200);
    ASSERT_EQ(api.get("/api/info", key).status, 200);
    ASSERT_EQ(health.get("/healthz").status, 200);

    TestPeer stopper(server->port());
    stopper.join("stopper");
    const HttpAnswer readyz = ready.get("/readyz");
    EXPECT_EQ(readyz.status, 503);
    EXPECT_NE(readyz.body.find("\"status\":\"stopping\""), std::string::npos) << readyz.body;
    const HttpAnswer info = api.get("/api/info", key);
    EXPECT_EQ(info.status, 503);
    EXPECT_NE(info.body.find("stopping"), std::string::npos) << info.body;
    EXPECT_EQ(health.get("/healthz").status, 200);
    stopper.close();
    server->stop();
}

TEST(MetricsTest, ANamespaceLabelIsEscaped) {
    Server server(options_with_key());
    server.add_namespace(R"(we"ird\ns)", {});
    server.start();
    HttpConnection http(server.port());
    const HttpAnswer metrics = http.get("/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.body.find("\npresence_members{namespace=\"we\\\"ird\\\\ns\"} 0\n"), std::string::npos)
        << metrics.body;
    server.stop();
}

}  // namespace
}  // namespace presence::test
