// SPDX-License-Identifier: Apache-2.0
// The client's transport against our own server, in process, over loopback: wss:// with
// certificate verification, and heartbeats that find a server gone silent.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

#include "child_process.h"
#include "event_log.h"
#include "fault_proxy.h"
#include "presence/client.h"
#include "presence/server.h"

namespace presence::test {
namespace {

// The certificates of make_test_cert.sh, in a directory of their own deleted at the end.
class TestCerts {
public:
    TestCerts() {
        std::string dir = (std::filesystem::temp_directory_path() / "presence-certs-XXXXXX").string();
        if (!::mkdtemp(dir.data())) throw std::system_error(errno, std::generic_category(), "mkdtemp");
        dir_ = dir;
        ChildProcess make({"/bin/sh", PRESENCE_MAKE_TEST_CERT, dir});
        int status = -1;
        make.finish(60s, status);
        if (status != 0) throw std::runtime_error("make_test_cert.sh failed");
    }
    ~TestCerts() {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    TestCerts(const TestCerts&) = delete;
    TestCerts& operator=(const TestCerts&) = delete;

    std::string file(const std::string& name) const { return (dir_ / name).string(); }

private:
    std::filesystem::path dir_;
};

std::string url_of(const std::string& scheme, const std::string& host, int port) {
    return scheme + "://" + host + ":" + std::to_string(port) + "/";
}

// Connects and waits for the member's own announcement.
testing::AssertionResult join(Client& client, EventLog& log) {
    client.connect();
    if (auto session = log.wait_for_prefix("session "); !session) return session;
    const ClientOptions& o = client.options();
    return log.wait_for("member+ " + describe(Member{log.session_id(), o.name, o.info}));
}

// Publishes to everyone and waits for the message to come back.
testing::AssertionResult hears_itself(Client& client, EventLog& log, const std::string& text) {
    client.publish(text);
    const ClientOptions& o = client.options();
    return log.wait_for("publish [] " + describe(Member{log.session_id(), o.name, o.info}) + " " + text);
}

class ClientTls : public testing::Test {
protected:
    static void SetUpTestSuite() { certs_ = std::make_unique<TestCerts>(); }
    static void TearDownTestSuite() { certs_.reset(); }

    // A wss:// server on `host`, with the certificate for 127.0.0.1 and localhost.
    static std::unique_ptr<Server> start_server(const std::string& host = "127.0.0.1") {
        ServerOptions o;
        o.host = host;
        o.port = 0;
        o.tls.cert_file = certs_->file("server.pem");
        o.tls.key_file = certs_->file("server.key");
        auto server = std::make_unique<Server>(o);
        server->start();
        return server;
    }

    static ClientOptions options_for(const std::string& url, const std::string& ca_file) {
        ClientOptions o;
        o.url = url;
        o.name = "alice";
        o.info = "alice's info";
        o.ca_file = ca_file;
        return o;
    }

    // Connects, expecting a refusal; the error it got.
    static std::string refused(const ClientOptions& options) {
        EventLog log;
        Client client(options, log.events());
        client.connect();
        if (!log.wait_for_prefix("error ")) return "no error";
        client.close();
        if (log.count("connect") != 0) return "connected anyway";
        return log.lines().front();
    }

    static std::unique_ptr<TestCerts> certs_;
};

std::unique_ptr<TestCerts> ClientTls::certs_;

TEST_F(ClientTls, AClientTrustingTheCaJoinsSubscribesAndHearsItself) {
    const auto server = start_server();
    EventLog log;
    Client client(options_for(url_of("wss", "127.0.0.1", server->port()), certs_->file("ca.pem")), log.events());
    ASSERT_TRUE(join(client, log));
    client.subscribe("room");
    ASSERT_TRUE(log.wait_for("channel+ [room] " + log.session_id() + "/alice/alice's info"));
    client.publish("over tls", "room");
    EXPECT_TRUE(log.wait_for("publish [room] " + log.session_id() + "/alice/alice's info over tls"));
    client.close();
    EXPECT_TRUE(log.wait_for("disconnect 1000 "));
    EXPECT_EQ(log.count_prefix("error"), 0u);
}

TEST_F(ClientTls, AHostNameIsVerifiedAgainstTheCertificate) {
    const auto server = start_server();
    EventLog log;
    Client client(options_for(url_of("wss", "localhost", server->port()), certs_->file("ca.pem")), log.events());
    ASSERT_TRUE(join(client, log));
    EXPECT_TRUE(hears_itself(client, log, "by name"));
    EXPECT_EQ(log.count_prefix("error"), 0u);
}

TEST_F(ClientTls, ACertificateFromAnUntrustedCaIsRefused) {
    const auto server = start_server();
    const std::string error =
        refused(options_for(url_of("wss", "127.0.0.1", server->port()), certs_->file("other-ca.pem")));
    EXPECT_NE(error.find("certificate"), std::string::npos) << error;
    EXPECT_NE(error.find("could not be verified"), std::string::npos) << error;
}

TEST_F(ClientTls, ACertificateForAnotherAddressIsRefused) {
    // 127.0.0.2 is loopback too, but the certificate names only 127.0.0.1 and localhost.
    const auto server = start_server("127.0.0.2");
    const std::string error = refused(options_for(url_of("wss", "127.0.0.2", server->port()), certs_->file("ca.pem")));
    EXPECT_NE(error.find("could not be verified: IP address mismatch"), std::string::npos) << error;
}

TEST_F(ClientTls, AnUnreadableCaFileIsNamed) {
    const auto server = start_server();
    const std::string missing = certs_->file("missing.pem");
    const std::string error = refused(options_for(url_of("wss", "127.0.0.1", server->port()), missing));
    EXPECT_NE(error.find(missing), std::string::npos) << error;
}

TEST_F(ClientTls, ATlsHandshakeIsBoundedByTheConnectTimeout) {
    // A port whose connections the kernel completes and nobody ever answers.
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    ClientOptions options = options_for(url_of("wss", "127.0.0.1", silent.local_endpoint().port()), "");
    options.connect_timeout = 200ms;
    const std::string error = refused(options);
    EXPECT_NE(error.find("TLS handshake with 127.0.0.1:"), std::string::npos) << error;
}

TEST_F(ClientTls, AFailedConnectLeavesTheClientReadyToConnectAgain) {
    const auto server = start_server();
    EventLog log;
    ClientOptions options = options_for(url_of("wss", "127.0.0.1", server->port()), certs_->file("other-ca.pem"));
    Client refused_client(options, log.events());
    refused_client.connect();
    ASSERT_TRUE(log.wait_for_prefix("error ", 1));
    refused_client.connect();
    ASSERT_TRUE(log.wait_for_prefix("error ", 2));
    for (const std::string& line : log.lines()) EXPECT_NE(line.find("could not be verified"), std::string::npos) << line;
}

TEST(ClientHeartbeat, AStalledServerIsGivenUpWhileAnAnsweringOneStaysConnected) {
    ServerOptions server_options;
    server_options.port = 0;
    server_options.heartbeat.interval = 0ms;  // only the clients ping
    server_options.presence.resume.grace = 0ms;  // a lost connection ends the client's connect()
    Server server(server_options);
    server.start();
    FaultProxy proxy(server.port());
    ASSERT_TRUE(proxy.started());
    const auto options_for = [](const std::string& name, int port) {
        ClientOptions o;
        o.url = url_of("ws", "127.0.0.1", port);
        o.name = name;
        // The stalled client gives up after interval + timeout; the answering one has
        // the timeout to hear each answer, and pings several times meanwhile.
        o.heartbeat_interval = 300ms;
        o.heartbeat_timeout = 3s;
        return o;
    };
    EventLog stalled_log, answering_log;
    Client stalled(options_for("stalled", proxy.port()), stalled_log.events());
    Client answering(options_for("answering", server.port()), answering_log.events());
    ASSERT_TRUE(join(stalled, stalled_log));
    ASSERT_TRUE(join(answering, answering_log));

    ASSERT_TRUE(proxy.stall());
    EXPECT_TRUE(stalled_log.wait_for("error heartbeat timeout: the server stopped answering", 1, 60s));
    EXPECT_TRUE(stalled_log.wait_for_prefix("disconnect 1006 ", 1, 60s));
    EXPECT_EQ(stalled.session_id(), "");

    // The answering client has been idle for longer than its heartbeat all along.
    EXPECT_TRUE(hears_itself(answering, answering_log, "still here"));
    EXPECT_EQ(answering_log.count_prefix("disconnect"), 0u);
    EXPECT_EQ(answering_log.count_prefix("error"), 0u);
}

}  // namespace
}  // namespace presence::test
