// SPDX-License-Identifier: Apache-2.0
// presence::Client against our own presence::Server, in process, over loopback.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <tuple>

#include "event_log.h"
#include "presence/client.h"
#include "presence/server.h"

namespace presence::test {
namespace {

// A client and the log of its events; the log outlives the client.
struct Person {
    std::string name;
    EventLog log;
    std::unique_ptr<Client> client;

    std::string me() const { return describe(Member{log.session_id(), name, name + "'s info"}); }
    std::string id() const { return log.session_id(); }
};

class ClientServer : public testing::Test {
protected:
    ClientServer() : server_(server_options()) { server_.start(); }

    static ServerOptions server_options() {
        ServerOptions o;
        o.host = "127.0.0.1";
        o.port = 0;
        o.presence.user_leave_grace = std::chrono::milliseconds(0);
        return o;
    }

    ClientOptions options_for(const std::string& name) const {
        ClientOptions o;
        o.url = "ws://127.0.0.1:" + std::to_string(server_.port()) + "/";
        o.name = name;
        o.info = name + "'s info";
        return o;
    }

    // Connects and waits for the member's own announcement.
    void join(Person& p, ClientEvents events) {
        p.client = std::make_unique<Client>(options_for(p.name), std::move(events));
        p.client->connect();
        ASSERT_TRUE(p.log.wait_for_prefix("session "));
        ASSERT_TRUE(p.log.wait_for("member+ " + p.me()));
    }
    void join(Person& p) { join(p, p.log.events()); }

    Server server_;
    Person alice{"alice", {}, {}};
    Person bob{"bob", {}, {}};
};

// The large-room extensions through the client's API: a page, a count, a diff instead of
// one event per member, and counts only.
TEST_F(ClientServer, PagesCountsDiffsAndCountsOnly) {
    ClientOptions watcher_options = options_for("watcher");
    watcher_options.diffs = true;
    Person watcher{"watcher", {}, {}};
    watcher.client = std::make_unique<Client>(watcher_options, watcher.log.events());
    watcher.client->connect();
    ASSERT_TRUE(watcher.log.wait_for_prefix("session "));
    ASSERT_TRUE(watcher.log.wait_for("member+ " + watcher.me()));
    watcher.client->subscribe("room");
    ASSERT_TRUE(watcher.log.wait_for("channel+ [room] " + watcher.me()));
    // Its own subscription is summed up too, alone, as nobody else is in the room yet.
    ASSERT_TRUE(watcher.log.wait_for("diff [room] +" + watcher.me() + " - 1"));
    join(alice);
    alice.client->subscribe("room");
    ASSERT_TRUE(alice.log.wait_for("channel+ [room] " + alice.me()));
    ASSERT_TRUE(watcher.log.wait_for("diff [room] +" + alice.me() + " - 2"));
    EXPECT_EQ(watcher.log.count("channel+ [room] " + alice.me()), 0u);
    EXPECT_EQ(watcher.log.count("member+ " + alice.me()), 0u);

    alice.client->get_members_page("room", 1);
    ASSERT_TRUE(alice.log.wait_for_prefix("page [room] "));
    alice.client->get_count("room");
    EXPECT_TRUE(alice.log.wait_for("count [room] 2"));

    alice.client->set_counts_only("room", true);
    EXPECT_TRUE(alice.log.wait_for("count [room] 2", 2));
    join(bob);
    bob.client->subscribe("room");
    EXPECT_TRUE(alice.log.wait_for("count [room] 3"));
    ASSERT_TRUE(watcher.log.wait_for("diff [room] +" + bob.me() + " - 3"));
    EXPECT_EQ(alice.log.count("channel+ [room] " + bob.me()), 0u);
    EXPECT_EQ(watcher.log.count_prefix("error"), 0u);
}

// A member update through the client's API: a client with `updates` hears of it, its own
// included; one without does not, and lists show the new info.
TEST_F(ClientServer, MemberUpdatesReachTheClientsThatAsked) {
    ClientOptions watcher_options = options_for("watcher");
    watcher_options.updates = true;
    Person watcher{"watcher", {}, {}};
    watcher.client = std::make_unique<Client>(watcher_options, watcher.log.events());
    watcher.client->connect();
    ASSERT_TRUE(watcher.log.wait_for_prefix("session "));
    ASSERT_TRUE(watcher.log.wait_for("member+ " + watcher.me()));
    join(alice);
    ASSERT_TRUE(watcher.log.wait_for("member+ " + alice.me()));

    alice.client->update_member(std::nullopt, "away");
    const std::string away = describe(Member{alice.id(), "alice", "away"});
    EXPECT_TRUE(watcher.log.wait_for("update " + away));
    watcher.client->update_member("Wendy", std::nullopt);
    EXPECT_TRUE(watcher.log.wait_for("update " + describe(Member{watcher.id(), "Wendy", "watcher's info"})));
    alice.client->get_members();
    // Listed by name: "Wendy" sorts before "alice".
    EXPECT_TRUE(alice.log.wait_for("members [] " + describe(Member{watcher.id(), "Wendy", "watcher's info"}) +
                                   ", " + away));
    EXPECT_EQ(alice.log.count_prefix("update "), 0u);
    EXPECT_EQ(alice.log.count_prefix("error"), 0u);
    EXPECT_EQ(watcher.log.count_prefix("error"), 0u);
}

// Two clients of one user: a client that asked for users hears of the first only, lists
// both under the user, and hears of the user's leave when the last one closes.
TEST_F(ClientServer, TwoConnectionsOfOneUserAreOneJoinAndOneLeave) {
    ClientOptions watcher_options = options_for("watcher");
    watcher_options.users = true;
    Person watcher{"watcher", {}, {}};
    watcher.client = std::make_unique<Client>(watcher_options, watcher.log.events());
    watcher.client->connect();
    ASSERT_TRUE(watcher.log.wait_for_prefix("session "));
    ASSERT_TRUE(watcher.log.wait_for("member+ " + watcher.me()));
    join(bob);
    ASSERT_TRUE(watcher.log.wait_for("member+ " + bob.me()));

    std::vector<std::unique_ptr<Person>> tabs;
    for (int i = 0; i < 2; ++i) {
        tabs.push_back(std::make_unique<Person>());
        tabs.back()->name = "alice";
        ClientOptions o = options_for("alice");
        o.user = "alice";
        tabs.back()->client = std::make_unique<Client>(o, tabs.back()->log.events());
        tabs.back()->client->connect();
        ASSERT_TRUE(tabs.back()->log.wait_for_prefix("session "));
        ASSERT_TRUE(tabs.back()->log.wait_for("member+ " + tabs.back()->me()));
        ASSERT_TRUE(bob.log.wait_for("member+ " + tabs.back()->me()));
    }
    // By user, then by id: the members of no user first.
    std::vector<std::tuple<std::string, std::string, std::string>> listed{
        {"", watcher.id(), watcher.me()}, {"", bob.id(), bob.me()}};
    for (const auto& tab : tabs) listed.emplace_back("alice:", tab->id(), tab->me());
    std::sort(listed.begin(), listed.end());
    std::string expected = "users []";
    for (const auto& [user, id, me] : listed) expected += " " + user + me;
    watcher.client->get_users("");
    EXPECT_TRUE(watcher.log.wait_for(expected));
    EXPECT_EQ(watcher.log.count("member+ " + tabs[0]->me()), 1u);
    EXPECT_EQ(watcher.log.count("member+ " + tabs[1]->me()), 0u);

    tabs[0]->client->close();
    ASSERT_TRUE(bob.log.wait_for("member- " + tabs[0]->me()));
    tabs[1]->client->close();
    ASSERT_TRUE(watcher.log.wait_for("member- " + tabs[1]->me()));
    EXPECT_EQ(watcher.log.count("member- " + tabs[0]->me()), 0u);
}

TEST_F(ClientServer, TwoClientsSeeEachOtherJoinTalkAndLeave) {
    join(alice);
    join(bob);
    ASSERT_TRUE(alice.log.wait_for("member+ " + bob.me()));
    alice.client->get_members();
    EXPECT_TRUE(alice.log.wait_for("members [] " + alice.me() + ", " + bob.me()));

    alice.client->subscribe("room");
    ASSERT_TRUE(alice.log.wait_for("channel+ [room] " + alice.me()));
    bob.client->subscribe("room");
    ASSERT_TRUE(alice.log.wait_for("channel+ [room] " + bob.me()));

    alice.client->publish("hi room", "room");
    EXPECT_TRUE(bob.log.wait_for("publish [room] " + alice.me() + " hi room"));
    bob.client->publish("hi all");
    EXPECT_TRUE(alice.log.wait_for("publish [] " + bob.me() + " hi all"));
    bob.client->get_members("room");
    EXPECT_TRUE(bob.log.wait_for("members [room] " + alice.me() + ", " + bob.me()));
    bob.client->publish("lost", "nowhere");
    EXPECT_TRUE(bob.log.wait_for("error-publish [nowhere] " + bob.me() + " lost 5 Channel not exists"));

    bob.client->close();
    EXPECT_TRUE(alice.log.wait_for("channel- [room] " + bob.me()));
    EXPECT_TRUE(alice.log.wait_for("member- " + bob.me()));
    EXPECT_EQ(alice.log.count_prefix("error"), 0u);
}

TEST_F(ClientServer, InvitationsAreAcceptedOrRefusedAndTheInviterIsTold) {
    bob.log.accept_invitation = [](const std::string& channel) { return channel == "vip"; };
    join(alice);
    join(bob);

    alice.client->invite("vip", bob.id());
    EXPECT_TRUE(bob.log.wait_for("invitation " + alice.me() + " [vip] accept"));
    EXPECT_TRUE(bob.log.wait_for("channel+ [vip] " + bob.me()));
    EXPECT_TRUE(alice.log.wait_for("invitation-response " + bob.me() + " [vip] accepted"));

    alice.client->invite("secret", bob.id());
    EXPECT_TRUE(bob.log.wait_for("invitation " + alice.me() + " [secret] refuse"));
    EXPECT_TRUE(alice.log.wait_for("invitation-response " + bob.me() + " [secret] refused"));

    alice.client->invite("vip", "nobody");
    EXPECT_TRUE(alice.log.wait_for("error-member-channel [vip] nobody// 3 Member not exists."));
}

TEST_F(ClientServer, CallbacksMayCallTheClientWhichCanConnectAgain) {
    ClientEvents events = alice.log.events();
    // From the io thread: subscribe once joined, close when told to.
    events.on_session = [&, logged = events.on_session](const std::string& id) {
        logged(id);
        alice.client->subscribe("lobby");
    };
    events.on_publish_msg = [&, logged = events.on_publish_msg](const std::string& channel, const Member& m,
                                                                  const std::string& text) {
        logged(channel, m, text);
        if (text == "bye") alice.client->close();
    };
    join(alice, std::move(events));
    ASSERT_TRUE(alice.log.wait_for("channel+ [lobby] " + alice.me()));
    join(bob);
    bob.client->publish("bye");
    ASSERT_TRUE(alice.log.wait_for("disconnect 1000 "));
    EXPECT_TRUE(bob.log.wait_for("member- " + alice.me()));

    alice.client->connect();
    ASSERT_TRUE(alice.log.wait_for_prefix("session ", 2));
    EXPECT_TRUE(alice.log.wait_for_prefix("channel+ [lobby] ", 2));
    EXPECT_EQ(alice.log.count_prefix("error"), 0u);
}

TEST(ClientServerHooks, EveryRefusalReachesTheClientWithItsCode) {
    ServerHooks hooks;
    hooks.before_new_member = [](const Member& m) { return m.name != "mallory"; };
    hooks.before_new_channel = [](const std::string& c, const Member&) { return c != "forbidden"; };
    hooks.before_new_channel_member = [](const std::string& c, const Member&) { return c != "closed"; };
    hooks.before_publish = [](const std::string&, const Member&, const std::string& t) { return t != "spam"; };
    hooks.before_send_members = [](const std::string& c, const Member&) { return !c.empty(); };
    hooks.before_invite = [](const std::string& c, const Member&, const Member&) { return c != "private"; };
    ServerOptions server_options;
    server_options.port = 0;
    Server server(server_options, hooks);
    server.start();
    const auto options_for = [&](const std::string& name) {
        ClientOptions o;
        o.url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/";
        o.name = name;
        return o;
    };

    EventLog mallory_log;
    Client mallory(options_for("mallory"), mallory_log.events());
    mallory.connect();
    ASSERT_TRUE(mallory_log.wait_for_prefix("session "));
    EXPECT_TRUE(mallory_log.wait_for("error-member-channel [] " + mallory_log.session_id() +
                                     "/mallory/ 2 Create New Member request has been denied."));

    EventLog log;
    Client alice(options_for("alice"), log.events());
    alice.connect();
    ASSERT_TRUE(log.wait_for_prefix("member+ "));
    const std::string me = log.session_id() + "/alice/";
    EventLog bob_log;
    Client bob(options_for("bob"), bob_log.events());
    bob.connect();
    ASSERT_TRUE(log.wait_for_prefix("member+ ", 2));

    alice.subscribe("forbidden");
    EXPECT_TRUE(log.wait_for("error-member-channel [forbidden] " + me + " 6 Create New Channel request has been denied."));
    alice.subscribe("closed");
    EXPECT_TRUE(log.wait_for("error-member-channel [closed] " + me + " 10 Create Subscription request has been denied."));
    alice.publish("spam");
    EXPECT_TRUE(log.wait_for("error-publish [] " + me + " spam 20 Publish Message request has been denied."));
    alice.get_members();
    EXPECT_TRUE(log.wait_for("error-member-channel [] " + me + " 30 Send Members request has been denied."));
    alice.invite("private", bob_log.session_id());
    EXPECT_TRUE(log.wait_for_prefix("error-member-channel [private] " + bob_log.session_id() + "/bob/ 40 "));

    // Refusals change nothing: the same member goes on as usual.
    alice.subscribe("room");
    ASSERT_TRUE(log.wait_for("channel+ [room] " + me));
    bob.subscribe("room");
    ASSERT_TRUE(log.wait_for("channel+ [room] " + bob_log.session_id() + "/bob/"));
    alice.unsubscribe("room");
    EXPECT_TRUE(bob_log.wait_for("channel- [room] " + me));
    bob.close();
    alice.close();
    mallory.close();
}

// Re-sends, give-ups and duplicate ids are driven frame by frame elsewhere (a raw peer
// against the server, a scripted server against the client); here both ends tag every
// frame with an id and the conversation must come through whole, each message once.
TEST(ClientServerAcknowledgment, WithIdsBothWaysEveryMessageArrivesOnce) {
    const AckOptions ack{true, 50ms, 100ms, 3};
    ServerOptions server_options;
    server_options.port = 0;
    server_options.presence.ack = ack;
    auto server = std::make_unique<Server>(server_options);
    server->start();
    const auto options_for = [&](const std::string& name) {
        ClientOptions o;
        o.url = "ws://127.0.0.1:" + std::to_string(server->port()) + "/";
        o.name = name;
        o.ack = ack;
        return o;
    };
    EventLog alice_log, bob_log;
    Client alice(options_for("alice"), alice_log.events());
    alice.connect();
    ASSERT_TRUE(alice_log.wait_for_prefix("member+ "));
    Client bob(options_for("bob"), bob_log.events());
    bob.connect();
    ASSERT_TRUE(alice_log.wait_for_prefix("member+ ", 2));
    const std::string alice_me = alice_log.session_id() + "/alice/";
    for (const char* text : {"one", "two", "three"}) alice.publish(text);
    EXPECT_TRUE(bob_log.wait_for("publish [] " + alice_me + " three"));
    alice.get_members();
    ASSERT_TRUE(alice_log.wait_for_prefix("members [] "));
    bob.get_members();
    ASSERT_TRUE(bob_log.wait_for_prefix("members [] "));
    for (const char* text : {"one", "two", "three"})
        EXPECT_EQ(bob_log.count("publish [] " + alice_me + " " + text), 1u) << text;
    EXPECT_EQ(alice_log.count_prefix("error"), 0u);
    EXPECT_EQ(bob_log.count_prefix("error"), 0u);
    bob.close();
    alice.close();
}

}  // namespace
}  // namespace presence::test
