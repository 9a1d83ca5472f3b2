// SPDX-License-Identifier: Apache-2.0
// presence::Client against scripted_server.py, a Python server that speaks raw sgc
// Presence frames and checks each frame the client sends. Each test runs one scenario
// of the script; the script's verdict is part of the test.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string_view>
#include <thread>

#include "child_process.h"
#include "event_log.h"
#include "presence/client.h"

namespace presence::test {
namespace {

// The same people as in scripted_server.py.
const std::string alice_name = "alice";
const std::string alice_info = "line one\nline two";
const std::string bob = describe(Member{"bob-id", "bob", "bob's info"});

// One run of scripted_server.py: started with the scenario, it prints its port first
// and its verdict last.
class ScriptedServer {
public:
    explicit ScriptedServer(const std::string& scenario)
        : process_({PRESENCE_TEST_PYTHON, PRESENCE_SCRIPTED_SERVER, scenario}) {
        const std::optional<std::string> line = process_.read_line(30s);
        if (line && line->starts_with("PORT ")) port_ = std::stoi(line->substr(5));
    }

    bool started() const { return port_ != 0; }
    int port() const { return port_; }

    ClientOptions alice() const {
        ClientOptions o;
        o.url = "ws://127.0.0.1:" + std::to_string(port_) + "/presence";
        o.name = alice_name;
        o.info = alice_info;
        return o;
    }

    // "PASS", or what the script found wrong.
    std::string verdict() {
        int status = 0;
        std::string out = process_.finish(30s, status);
        while (!out.empty() && out.back() == '\n') out.pop_back();
        if (status == -1) out += " [killed: the script did not finish]";
        return out;
    }

private:
    ChildProcess process_;
    int port_ = 0;
};

ClientOptions with_url(std::string url) {
    ClientOptions o;
    o.url = std::move(url);
    return o;
}

std::string alice(const EventLog& log) { return describe(Member{log.session_id(), alice_name, alice_info}); }

// The lines after "connect" and "session <id>".
std::vector<std::string> after_join(const EventLog& log) {
    const std::vector<std::string> lines = log.lines();
    if (lines.size() < 2) return {};
    return {lines.begin() + 2, lines.end()};
}

TEST(ClientScripted, JoinsWithTheSessionIdAsMemberId) {
    ScriptedServer server("join");
    ASSERT_TRUE(server.started());
    EventLog log;
    Client client(server.alice(), log.events());
    client.connect();
    ASSERT_TRUE(log.wait_for_prefix("member+ "));
    EXPECT_EQ(client.session_id(), log.session_id());
    client.close();
    EXPECT_EQ(log.lines(), (std::vector<std::string>{"connect", "session " + log.session_id(),
                                                     "member+ " + alice(log), "disconnect 1000 "}));
    EXPECT_EQ(client.session_id(), "");
    EXPECT_EQ(server.verdict(), "PASS");
}

// The client closes while the server's own close frame is already buffered behind two
// frames: its closing handshake and its read of that frame cross, and both must end the
// connection. (The deadlock the transport now avoids needs a narrower interleaving than a
// test can force; a loop of connect and close found it about once in 3,000 runs.)
TEST(ClientScripted, ClosesWhileTheServersCloseFrameIsAlreadyBuffered) {
    ScriptedServer server("close_crossing");
    ASSERT_TRUE(server.started());
    EventLog log;
    Client* closing = nullptr;
    ClientEvents events = log.events();
    events.on_new_member = [&, logged = events.on_new_member](const Member& m) {
        logged(m);
        if (m.id == "bob-id") closing->close();
    };
    Client client(server.alice(), events);
    closing = &client;
    client.connect();
    ASSERT_TRUE(log.wait_for_prefix("disconnect "));
    EXPECT_EQ(log.count("member+ " + bob), 1u);
    EXPECT_EQ(server.verdict(), "PASS");
}

TEST(ClientScripted, EveryServerEventFiresItsCallbackAndEveryRequestIsSent) {
    ScriptedServer server("events");
    ASSERT_TRUE(server.started());
    EventLog log;
    Client client(server.alice(), log.events());
    client.connect();
    ASSERT_TRUE(log.wait_for("member- " + bob));
    client.subscribe("room");
    client.unsubscribe("room");
    client.publish("hello room", "room");
    client.publish("hello all");
    client.get_members();
    client.get_members("room");
    client.invite("room", "bob-id");
    client.write_data(R"({"jsonrpc":"2.0","method":"custom","n":1})");
    ASSERT_TRUE(log.wait_for_prefix("disconnect "));  // the script ends it, passed or not
    EXPECT_EQ(server.verdict(), "PASS");
    const std::string me = alice(log);
    EXPECT_EQ(after_join(log), (std::vector<std::string>{
                                   "member+ " + bob,
                                   "channel+ [room] " + bob,
                                   "publish [room] " + bob + " hi room",
                                   "publish [] " + bob + " hi all",
                                   "members [room] " + me + ", " + bob,
                                   "error-member-channel [room] " + me + " 12 Subscription not exists.",
                                   "error-publish [room] " + me + " lost 20 Publish Message request has been denied.",
                                   "invitation-response " + bob + " [room] accepted",
                                   "invitation-response " + bob +
                                       " [vip] accepted 6 Create New Channel request has been denied.",
                                   "invitation-response " + bob + " [secret] refused",
                                   "channel- [room] " + bob,
                                   "member- " + bob,
                                   "disconnect 4000 scenario over",
                               }));
}

TEST(ClientScripted, Base64EncodesAllItSendsAndDecodesAllItGets) {
    ScriptedServer server("base64");
    ASSERT_TRUE(server.started());
    EventLog log;
    ClientOptions options = server.alice();
    options.encode_base64 = true;
    Client client(options, log.events());
    client.connect();
    ASSERT_TRUE(log.wait_for_prefix("error-member-channel "));
    client.publish("ünïcode ✓", "room");
    client.publish("to all");
    ASSERT_TRUE(log.wait_for_prefix("disconnect "));  // the script ends it, passed or not
    EXPECT_EQ(server.verdict(), "PASS");
    const std::string me = alice(log);
    EXPECT_EQ(after_join(log), (std::vector<std::string>{
                                   "member+ " + bob,
                                   "publish [room] " + bob + " héllo wörld ✓",
                                   "members [room] " + me + ", " + bob,
                                   "error-member-channel [room] " + me + " 5 Channel not exists",
                                   "disconnect 4000 scenario over",
                               }));
}

TEST(ClientScripted, AcknowledgesEveryFrameWithAnIdAndActsOnEachIdOnce) {
    ScriptedServer server("ack_receive");
    ASSERT_TRUE(server.started());
    EventLog log;
    Client client(server.alice(), log.events());
    client.connect();
    ASSERT_TRUE(log.wait_for_prefix("disconnect "));  // the script ends it, passed or not
    EXPECT_EQ(server.verdict(), "PASS");
    EXPECT_EQ(log.count("member+ " + bob), 1u);
    EXPECT_EQ(log.count_prefix("error "), 1u);  // the bad frame; not the unknown acknowledgment
    EXPECT_EQ(log.count("publish [room] " + bob + " after"), 1u);
}

TEST(ClientScripted, ResendsWhatIsNotAcknowledgedThenGivesUp) {
    ScriptedServer server("ack_resend");
    ASSERT_TRUE(server.started());
    EventLog log;
    ClientOptions options = server.alice();
    options.ack = AckOptions{true, 50ms, 100ms, 2};
    Client client(options, log.events());
    client.connect();
    ASSERT_TRUE(log.wait_for_prefix("error message "));  // member@new given up on
    client.publish("after give-up");
    ASSERT_TRUE(log.wait_for("publish [] " + bob + " acked"));
    client.publish("second");
    ASSERT_TRUE(log.wait_for_prefix("disconnect "));  // the script ends it, passed or not
    EXPECT_EQ(server.verdict(), "PASS");
    EXPECT_EQ(log.count_prefix("error "), 1u);
}

TEST(ClientScripted, AcceptedInvitationsSubscribeRefusalsAreToldOnlyAfterTheHello) {
    ScriptedServer server("invitation");
    ASSERT_TRUE(server.started());
    EventLog log;
    log.accept_invitation = [](const std::string& channel) { return channel.starts_with("yes"); };
    Client client(server.alice(), log.events());
    client.connect();
    ASSERT_TRUE(log.wait_for_prefix("disconnect "));  // the script ends it, passed or not
    EXPECT_EQ(server.verdict(), "PASS");
    EXPECT_EQ(after_join(log), (std::vector<std::string>{
                                   "invitation " + bob + " [no-1] refuse",
                                   "invitation " + bob + " [yes-1] accept",
                                   "invitation " + bob + " [no-2] refuse",
                                   "invitation " + bob + " [yes-2] accept",
                                   "disconnect 4000 scenario over",
                               }));
}

TEST(ClientScripted, BadFramesAreReportedAndTheConnectionCarriesOn) {
    ScriptedServer server("bad_frames");
    ASSERT_TRUE(server.started());
    EventLog log;
    Client client(server.alice(), log.events());
    client.connect();
    ASSERT_TRUE(log.wait_for("publish [] " + bob + " still alive"));
    EXPECT_EQ(log.count_prefix("error "), 9u);
    client.close();
    EXPECT_EQ(log.count("disconnect 1000 "), 1u);
    EXPECT_EQ(server.verdict(), "PASS");
}

TEST(ClientScripted, GivesUpWhenTheHandshakeIsNeverAnswered) {
    ScriptedServer server("silent");
    ASSERT_TRUE(server.started());
    EventLog log;
    ClientOptions options = server.alice();
    options.connect_timeout = 200ms;
    Client client(options, log.events());
    client.connect();
    ASSERT_TRUE(log.wait_for_prefix("error WebSocket handshake with "));
    client.close();
    EXPECT_EQ(log.count("connect"), 0u);
    EXPECT_EQ(log.count_prefix("disconnect "), 0u);
    EXPECT_EQ(server.verdict(), "PASS");
}

TEST(ClientScripted, RunsOnAnIoContextOfTheCaller) {
    ScriptedServer server("join");
    ASSERT_TRUE(server.started());
    boost::asio::io_context io;
    auto work = boost::asio::make_work_guard(io);
    std::thread runner([&io] { io.run(); });
    EventLog log;
    {
        Client client(io, server.alice(), log.events());
        client.connect();
        EXPECT_TRUE(log.wait_for_prefix("member+ "));
        client.close();
        EXPECT_TRUE(log.wait_for("disconnect 1000 "));
    }
    work.reset();
    runner.join();
    EXPECT_EQ(server.verdict(), "PASS");
}

TEST(ClientScripted, ResumesALostConnectionWithItsTokenAndTheCountOfFramesReceived) {
    ScriptedServer server("resume");
    ASSERT_TRUE(server.started());
    EventLog log;
    Client client(server.alice(), log.events());
    client.connect();
    ASSERT_TRUE(log.wait_for("publish [] " + bob + " missed"));
    EXPECT_EQ(client.session_id(), log.session_id());
    client.publish("back");
    ASSERT_TRUE(log.wait_for_prefix("disconnect "));  // the script ends it, passed or not
    EXPECT_EQ(server.verdict(), "PASS");
    EXPECT_EQ(after_join(log), (std::vector<std::string>{
                                   "member+ " + alice(log),
                                   "member+ " + bob,
                                   "reconnecting",
                                   "connect",
                                   "resume complete",
                                   "publish [] " + bob + " missed",
                                   "disconnect 4000 scenario over",
                               }));
}

TEST(ClientScripted, JoinsAgainWithTheNewSessionWhenTheServerForgotTheMember) {
    ScriptedServer server("resume_expired");
    ASSERT_TRUE(server.started());
    EventLog log;
    Client client(server.alice(), log.events());
    client.connect();
    ASSERT_TRUE(log.wait_for("member+ " + bob));
    client.subscribe("room");
    ASSERT_TRUE(log.wait_for_prefix("session ", 2));
    // From the event: the script may end the connection, and clear client.session_id(), at
    // any moment now.
    std::string renewed;
    for (const std::string& line : log.lines())
        if (line.starts_with("session ")) renewed = line.substr(std::string_view("session ").size());
    EXPECT_FALSE(renewed.empty());
    EXPECT_NE(renewed, log.session_id());
    ASSERT_TRUE(log.wait_for_prefix("disconnect "));  // the script ends it, passed or not
    EXPECT_EQ(server.verdict(), "PASS");
    EXPECT_EQ(after_join(log), (std::vector<std::string>{
                                   "member+ " + alice(log),
                                   "member+ " + bob,
                                   "channel+ [room] " + alice(log),
                                   "reconnecting",
                                   "connect",
                                   "session " + renewed,
                                   "disconnect 4000 scenario over",
                               }));
}

TEST(Client, ReportsARefusedConnectionAndCallsWhileNotConnected) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor closed(io, {boost::asio::ip::address_v4::loopback(), 0});
    const auto port = closed.local_endpoint().port();
    closed.close();
    EventLog log;
    Client client(with_url("ws://127.0.0.1:" + std::to_string(port)), log.events());
    client.connect();
    ASSERT_TRUE(log.wait_for_prefix("error cannot connect to 127.0.0.1:" + std::to_string(port)));
    client.subscribe("room");
    ASSERT_TRUE(log.wait_for("error not connected"));
    client.close();
    EXPECT_EQ(log.count("connect"), 0u);
}

TEST(Client, RejectsUrlsItCannotServe) {
    for (const char* url : {"https://example.com/", "http://127.0.0.1:8080/", "ws://", "wss://", "ws://host:0/",
                            "wss://h:99999"})
        EXPECT_THROW(Client(with_url(url)), std::invalid_argument) << url;
    try {
        Client client(with_url("tcp://example.com/"));
        ADD_FAILURE() << "accepted tcp://";
    } catch (const std::invalid_argument& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("ws://"), std::string::npos) << what;
        EXPECT_NE(what.find("wss://"), std::string::npos) << what;
    }
}

}  // namespace
}  // namespace presence::test
