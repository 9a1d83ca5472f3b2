// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "domain/connection.h"
#include "engine/memory/memory_engine.h"

namespace presence {
namespace {

// A connection, as the engine delivers to it, whose link keeps the bytes it is sent.
struct Recipient : Link {
    void send(const Bytes& bytes, MadeAt) override { received.push_back(*bytes); }
    void close(unsigned short, std::string_view) override {}
    void drop() override {}

    std::vector<std::string> received;
    PresenceOptions options;
    LimitsHit limits_hit;
    ServerHooks hooks;
    Connection connection{*this, "session", options, Grant{}, limits_hit, hooks};
};

FramePtr frame(std::string bytes) {
    auto f = std::make_shared<Frame>();
    f->bytes = std::move(bytes);
    return f;
}

class MemoryEngineTest : public ::testing::Test {
protected:
    void add(const std::string& id, Recipient& peer) {
        ASSERT_TRUE(engine.add_member({id, id + "-name", ""}, peer.connection, frame("join " + id)));
        peer.received.clear();
    }
    bool subscribe(const std::string& channel, const std::string& id) {
        return engine.subscribe(channel, id, frame(id + " in " + channel));
    }
    bool unsubscribe(const std::string& channel, const std::string& id) {
        return engine.unsubscribe(channel, id, frame(id + " out of " + channel));
    }
    void forget(std::vector<Recipient*> peers) {
        for (Recipient* p : peers) p->received.clear();
    }

    MemoryEngine engine;
    Recipient a, b, c;
};

TEST_F(MemoryEngineTest, AMemberIdIsTakenOnce) {
    add("a", a);
    EXPECT_FALSE(engine.add_member({"a", "other", ""}, b.connection, frame("join again")));
    EXPECT_TRUE(a.received.empty());
    EXPECT_TRUE(b.received.empty());
    EXPECT_EQ(engine.find_member("a")->name, "a-name");
}

TEST_F(MemoryEngineTest, AnUpdateKeepsTheIdAndChannelsAndReachesEveryone) {
    add("a", a);
    add("b", b);
    subscribe("room", "a");
    forget({&a, &b});
    engine.update_member({"a", "Ann", "away"}, frame("a updated"));
    EXPECT_EQ(a.received, std::vector<std::string>{"a updated"});
    EXPECT_EQ(b.received, std::vector<std::string>{"a updated"});
    const Member ann{"a", "Ann", "away"};
    EXPECT_EQ(engine.members("room"), std::vector<Member>{ann});
    EXPECT_EQ(engine.members_page("", "", 1), std::vector<Member>{ann});
    EXPECT_EQ(engine.members_page("room", "", 5), std::vector<Member>{ann});
    EXPECT_TRUE(engine.is_subscribed("room", "a"));
    engine.update_member({"nobody", "x", ""}, frame("nobody updated"));
    EXPECT_EQ(a.received.size(), 1u);
}

TEST_F(MemoryEngineTest, ChannelsAreCreatedByTheFirstAndFreedAfterTheLastMember) {
    add("a", a);
    add("b", b);
    EXPECT_TRUE(subscribe("room", "a"));
    EXPECT_FALSE(subscribe("room", "b"));
    EXPECT_EQ(engine.channels(), (std::vector<ChannelSummary>{{"room", 2}}));
    EXPECT_FALSE(unsubscribe("room", "a"));
    EXPECT_TRUE(unsubscribe("room", "b"));
    EXPECT_FALSE(engine.channel_exists("room"));
    EXPECT_TRUE(engine.channels_of("a").empty());
}

TEST_F(MemoryEngineTest, PublishReachesTheChannelOrEveryone) {
    add("a", a);
    add("b", b);
    add("c", c);
    subscribe("room", "a");
    subscribe("room", "c");
    forget({&a, &b, &c});
    engine.publish("room", frame("in room"));
    engine.publish("", frame("to all"));
    engine.publish("nowhere", frame("lost"));
    EXPECT_EQ(a.received, (std::vector<std::string>{"in room", "to all"}));
    EXPECT_EQ(b.received, (std::vector<std::string>{"to all"}));
    EXPECT_EQ(c.received, (std::vector<std::string>{"in room", "to all"}));
}

TEST_F(MemoryEngineTest, ErasingAMemberTakesItOutOfEveryChannel) {
    add("a", a);
    add("b", b);
    subscribe("x", "a");
    subscribe("y", "a");
    subscribe("y", "b");
    forget({&a, &b});
    engine.erase_member("a");
    EXPECT_EQ(engine.find_member("a"), nullptr);
    EXPECT_FALSE(engine.channel_exists("x"));
    EXPECT_EQ(engine.members("y"), (std::vector<Member>{{"b", "b-name", ""}}));
    EXPECT_EQ(engine.all_members().size(), 1u);
    engine.publish("", frame("after"));
    EXPECT_TRUE(a.received.empty());
}

TEST_F(MemoryEngineTest, RemovalFromTheMiddleKeepsEveryOtherMemberReachable) {
    std::vector<Recipient> peers(5);
    for (int i = 0; i < 5; ++i) {
        add(std::to_string(i), peers[i]);
        subscribe("room", std::to_string(i));
    }
    unsubscribe("room", "1");
    unsubscribe("room", "3");
    for (Recipient& p : peers) p.received.clear();
    engine.publish("room", frame("m"));
    for (int i = 0; i < 5; ++i) EXPECT_EQ(peers[i].received.size(), (i == 1 || i == 3) ? 0u : 1u) << i;
    EXPECT_TRUE(engine.is_subscribed("room", "4"));
    EXPECT_FALSE(engine.is_subscribed("room", "3"));
}

TEST_F(MemoryEngineTest, ChangesAreAnnouncedToTheMembersConcerned) {
    add("a", a);
    ASSERT_TRUE(engine.add_member({"b", "b-name", ""}, b.connection, frame("join b")));
    EXPECT_EQ(a.received, std::vector<std::string>{"join b"});
    EXPECT_EQ(b.received, std::vector<std::string>{"join b"});
    forget({&a, &b});
    subscribe("room", "a");
    subscribe("room", "b");
    unsubscribe("room", "a");
    EXPECT_EQ(a.received, (std::vector<std::string>{"a in room", "b in room", "a out of room"}));
    EXPECT_EQ(b.received, (std::vector<std::string>{"b in room", "a out of room"}));
    engine.remove_member("a", frame("a left"));
    EXPECT_EQ(a.received.back(), "a left");
    EXPECT_EQ(b.received.back(), "a left");
}

TEST_F(MemoryEngineTest, AReplicaListsRemoteMembersButDeliversOnlyToLocalOnes) {
    add("a", a);
    ASSERT_TRUE(engine.insert_member({"r", "remote", ""}, nullptr));
    EXPECT_TRUE(engine.insert_subscription("room", "r"));
    EXPECT_FALSE(engine.insert_subscription("room", "a"));
    EXPECT_TRUE(engine.is_local("a"));
    EXPECT_FALSE(engine.is_local("r"));
    EXPECT_EQ(engine.members("room").size(), 2u);
    engine.publish("room", frame("m"));
    EXPECT_TRUE(engine.send_to_member("r", frame("to r")));
    EXPECT_EQ(a.received, std::vector<std::string>{"m"});
    engine.erase_member("r");
    EXPECT_EQ(engine.members("room"), (std::vector<Member>{{"a", "a-name", ""}}));
}

TEST_F(MemoryEngineTest, SendToMemberReachesOnlyThatMember) {
    add("a", a);
    add("b", b);
    forget({&a, &b});
    EXPECT_TRUE(engine.send_to_member("b", frame("hi")));
    EXPECT_FALSE(engine.send_to_member("zz", frame("hi")));
    EXPECT_TRUE(a.received.empty());
    EXPECT_EQ(b.received, std::vector<std::string>{"hi"});
}

}  // namespace
}  // namespace presence
