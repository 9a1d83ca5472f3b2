// SPDX-License-Identifier: Apache-2.0
// presence::Client resuming its member after a lost connection, against our own server in
// process. The resuming client, A, reaches the server through two fault proxies in a row:
// stalling the inner one keeps what the server sends from A without anyone noticing;
// cutting the outer one then tells A, and only A, that its connection is lost. So what A
// misses, and when it notices, are both up to the test. B is connected directly.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "child_process.h"
#include "event_log.h"
#include "fault_proxy.h"
#include "presence/client.h"
#include "presence/server.h"

namespace presence::test {
namespace {

// A client and the log of its events; the log outlives the client.
struct Person {
    std::string name;
    ClientOptions options;
    EventLog log;
    std::unique_ptr<Client> client;

    // As others see this member now.
    std::string me() const { return describe(Member{client->session_id(), name, name + "'s info"}); }
};

class ClientResume : public testing::Test {
protected:
    // Starts the server and the proxies; A through both proxies and B directly join and
    // enter "room", each seeing the other there. Set a.options before, to change them.
    void meet(ServerOptions server_options) {
        server_options.host = "127.0.0.1";
        server_options.port = 0;
        ServerHooks hooks;
        hooks.on_remove_member = [this](const Member& m) { departures.add("member- " + describe(m)); };
        server = std::make_unique<Server>(server_options, hooks);
        server->start();
        inner = std::make_unique<FaultProxy>(server->port());
        ASSERT_TRUE(inner->started());
        outer = std::make_unique<FaultProxy>(inner->port());
        ASSERT_TRUE(outer->started());
        ASSERT_TRUE(join(a, outer->port()));
        ASSERT_TRUE(join(b, server->port()));
        a.client->subscribe("room");
        ASSERT_TRUE(a.log.wait_for("channel+ [room] " + a.me()));
        b.client->subscribe("room");
        ASSERT_TRUE(a.log.wait_for("channel+ [room] " + b.me()));
        ASSERT_TRUE(b.log.wait_for("channel+ [room] " + b.me()));
    }

    // Connects and waits for the member's own announcement.
    static testing::AssertionResult join(Person& p, int port) {
        p.options.url = "ws://127.0.0.1:" + std::to_string(port) + "/";
        p.options.name = p.name;
        p.options.info = p.name + "'s info";
        p.client = std::make_unique<Client>(p.options, p.log.events());
        p.client->connect();
        if (auto session = p.log.wait_for_prefix("session "); !session) return session;
        return p.log.wait_for("member+ " + p.me());
    }

    // The server's departures, from its on_remove_member hook; outlives the server.
    EventLog departures;
    std::unique_ptr<Server> server;
    std::unique_ptr<FaultProxy> inner;
    std::unique_ptr<FaultProxy> outer;
    Person a{"alice", {}, {}, {}};
    Person b{"bob", {}, {}, {}};
};

TEST_F(ClientResume, ALostConnectionComesBackAsTheSameMemberWithWhatItMissed) {
    ASSERT_NO_FATAL_FAILURE(meet(ServerOptions{}));
    const std::string alice = a.me();
    ASSERT_TRUE(inner->stall());
    b.client->publish("while you were away", "room");
    ASSERT_TRUE(b.log.wait_for("publish [room] " + b.me() + " while you were away"));
    ASSERT_TRUE(outer->cut());

    ASSERT_TRUE(a.log.wait_for("resume complete"));
    EXPECT_TRUE(a.log.wait_for("publish [room] " + b.me() + " while you were away"));
    a.client->publish("back", "room");
    EXPECT_TRUE(b.log.wait_for("publish [room] " + alice + " back"));
    b.client->get_members("room");
    EXPECT_TRUE(b.log.wait_for("members [room] " + alice + ", " + b.me()));

    EXPECT_EQ(a.me(), alice);
    EXPECT_EQ(a.log.count("reconnecting"), 1u);
    EXPECT_EQ(a.log.count_prefix("session "), 1u);
    EXPECT_EQ(a.log.count("publish [room] " + b.me() + " while you were away"), 1u);
    EXPECT_EQ(a.log.count_prefix("disconnect "), 0u);
    EXPECT_EQ(departures.lines(), std::vector<std::string>{});
    EXPECT_EQ(b.log.count_prefix("member- "), 0u);
    EXPECT_EQ(b.log.count_prefix("channel- "), 0u);
}

TEST_F(ClientResume, WhenTheServerNoLongerHoldsAllThatWasMissedFreshMemberListsFollow) {
    ServerOptions options;
    options.presence.resume.backlog_frames = 2;
    ASSERT_NO_FATAL_FAILURE(meet(options));
    ASSERT_TRUE(inner->stall());
    for (const char* text : {"one", "two", "three", "four", "five"}) b.client->publish(text, "room");
    ASSERT_TRUE(b.log.wait_for("publish [room] " + b.me() + " five"));
    ASSERT_TRUE(outer->cut());

    ASSERT_TRUE(a.log.wait_for("resume incomplete"));
    EXPECT_TRUE(a.log.wait_for("members [room] " + a.me() + ", " + b.me()));
    EXPECT_EQ(a.log.count_prefix("publish [room] " + b.me()), 0u);
    EXPECT_EQ(a.log.count_prefix("session "), 1u);
    a.client->publish("back", "room");
    EXPECT_TRUE(b.log.wait_for("publish [room] " + a.me() + " back"));
    EXPECT_EQ(departures.lines(), std::vector<std::string>{});
}

TEST_F(ClientResume, AMemberTheServerForgotJoinsAgainAsANewOneAndEntersItsChannels) {
    ServerOptions options;
    options.heartbeat = HeartbeatOptions{250ms, 1s};
    options.presence.resume.grace = 300ms;
    ASSERT_NO_FATAL_FAILURE(meet(options));
    const std::string before = a.me();
    ASSERT_TRUE(inner->stall());
    // The server finds A silent, keeps it for its grace period, then lets it go.
    ASSERT_TRUE(departures.wait_for("member- " + before));
    EXPECT_TRUE(b.log.wait_for("member- " + before));
    ASSERT_TRUE(outer->cut());

    ASSERT_TRUE(a.log.wait_for_prefix("session ", 2));
    const std::string after = a.me();
    EXPECT_NE(after, before);
    EXPECT_TRUE(a.log.wait_for("channel+ [room] " + after));
    EXPECT_TRUE(b.log.wait_for("member+ " + after));
    EXPECT_TRUE(b.log.wait_for("channel+ [room] " + after));
    EXPECT_EQ(a.log.count_prefix("resume "), 0u);
    EXPECT_EQ(a.log.count_prefix("disconnect "), 0u);
}

TEST_F(ClientResume, GivesUpWhenTheServerStaysOutOfReach) {
    a.options.reconnect_delay = 20ms;
    a.options.reconnect_give_up = 500ms;
    ASSERT_NO_FATAL_FAILURE(meet(ServerOptions{}));
    ASSERT_TRUE(inner->stop());

    ASSERT_TRUE(a.log.wait_for("reconnecting"));
    ASSERT_TRUE(a.log.wait_for_prefix("disconnect 1006 "));
    EXPECT_EQ(a.client->session_id(), "");
    EXPECT_EQ(a.log.count_prefix("resume "), 0u);
    EXPECT_EQ(a.log.count("connect"), 1u);
}

TEST_F(ClientResume, CloseStopsReconnecting) {
    ASSERT_NO_FATAL_FAILURE(meet(ServerOptions{}));
    ASSERT_TRUE(inner->stop());
    ASSERT_TRUE(a.log.wait_for("reconnecting"));
    a.client->close();

    EXPECT_TRUE(a.log.wait_for("disconnect 1000 "));
    EXPECT_EQ(a.log.count_prefix("disconnect "), 1u);
    EXPECT_EQ(a.client->session_id(), "");
}

TEST_F(ClientResume, WithoutResumeALostConnectionEndsTheConnect) {
    a.options.resume = false;
    ASSERT_NO_FATAL_FAILURE(meet(ServerOptions{}));
    ASSERT_TRUE(outer->cut());

    ASSERT_TRUE(a.log.wait_for_prefix("disconnect 1006 "));
    EXPECT_EQ(a.log.count("reconnecting"), 0u);
    EXPECT_EQ(a.client->session_id(), "");
}

}  // namespace
}  // namespace presence::test
