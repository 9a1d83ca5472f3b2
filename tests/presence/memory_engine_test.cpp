#include <gtest/gtest.h>

#include "engine/memory_engine.h"

namespace presence {
namespace {

struct RecordingPeer : Peer {
    void deliver(const FramePtr& frame) override { received.push_back(frame->bytes); }
    std::vector<std::string> received;
};

FramePtr frame(std::string bytes) { return std::make_shared<Frame>(Frame{std::move(bytes), {}}); }

class MemoryEngineTest : public ::testing::Test {
protected:
    void add(const std::string& id, RecordingPeer& peer) { ASSERT_TRUE(engine.add_member({id, id + "-name", ""}, peer)); }

    MemoryEngine engine;
    RecordingPeer a, b, c;
};

TEST_F(MemoryEngineTest, AMemberIdIsTakenOnce) {
    add("a", a);
    EXPECT_FALSE(engine.add_member({"a", "other", ""}, b));
    EXPECT_EQ(engine.find_member("a")->name, "a-name");
}

TEST_F(MemoryEngineTest, ChannelsAreCreatedByTheFirstAndFreedAfterTheLastMember) {
    add("a", a);
    add("b", b);
    EXPECT_TRUE(engine.subscribe("room", "a"));
    EXPECT_FALSE(engine.subscribe("room", "b"));
    EXPECT_EQ(engine.channels(), (std::vector<ChannelSummary>{{"room", 2}}));
    EXPECT_FALSE(engine.unsubscribe("room", "a"));
    EXPECT_TRUE(engine.unsubscribe("room", "b"));
    EXPECT_FALSE(engine.channel_exists("room"));
    EXPECT_TRUE(engine.channels_of("a").empty());
}

TEST_F(MemoryEngineTest, PublishReachesTheChannelOrEveryone) {
    add("a", a);
    add("b", b);
    add("c", c);
    engine.subscribe("room", "a");
    engine.subscribe("room", "c");
    engine.publish("room", frame("in room"));
    engine.publish("", frame("to all"));
    engine.publish("nowhere", frame("lost"));
    EXPECT_EQ(a.received, (std::vector<std::string>{"in room", "to all"}));
    EXPECT_EQ(b.received, (std::vector<std::string>{"to all"}));
    EXPECT_EQ(c.received, (std::vector<std::string>{"in room", "to all"}));
}

TEST_F(MemoryEngineTest, RemovingAMemberTakesItOutOfEveryChannel) {
    add("a", a);
    add("b", b);
    engine.subscribe("x", "a");
    engine.subscribe("y", "a");
    engine.subscribe("y", "b");
    engine.remove_member("a");
    EXPECT_EQ(engine.find_member("a"), nullptr);
    EXPECT_FALSE(engine.channel_exists("x"));
    EXPECT_EQ(engine.members("y"), (std::vector<Member>{{"b", "b-name", ""}}));
    EXPECT_EQ(engine.all_members().size(), 1u);
    engine.publish("", frame("after"));
    EXPECT_TRUE(a.received.empty());
}

TEST_F(MemoryEngineTest, RemovalFromTheMiddleKeepsEveryOtherMemberReachable) {
    std::vector<RecordingPeer> peers(5);
    for (int i = 0; i < 5; ++i) {
        add(std::to_string(i), peers[i]);
        engine.subscribe("room", std::to_string(i));
    }
    engine.unsubscribe("room", "1");
    engine.unsubscribe("room", "3");
    engine.publish("room", frame("m"));
    for (int i = 0; i < 5; ++i) EXPECT_EQ(peers[i].received.size(), (i == 1 || i == 3) ? 0u : 1u) << i;
    EXPECT_TRUE(engine.is_subscribed("room", "4"));
    EXPECT_FALSE(engine.is_subscribed("room", "3"));
}

TEST_F(MemoryEngineTest, SendToMemberReachesOnlyThatMember) {
    add("a", a);
    add("b", b);
    EXPECT_TRUE(engine.send_to_member("b", frame("hi")));
    EXPECT_FALSE(engine.send_to_member("zz", frame("hi")));
    EXPECT_TRUE(a.received.empty());
    EXPECT_EQ(b.received, std::vector<std::string>{"hi"});
}

}  // namespace
}  // namespace presence
