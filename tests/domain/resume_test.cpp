// SPDX-License-Identifier: Apache-2.0
// The resume extension in the presence rules, over links that record what they are sent.
// The wire-level behaviour (a real server, a proxy that cuts connections) is tested in
// tests/interop/test_resume.py.
#include <gtest/gtest.h>

#include "engine/memory/memory_engine.h"
#include "domain/presence_service.h"
#include "protocol/codec.h"
#include "recording_link.h"

namespace presence {
namespace {

using protocol::Method;

class ResumeTest : public ::testing::Test {
protected:
    ResumeTest() : service(engine, options(), hooks) {}

    static PresenceOptions options() {
        PresenceOptions o;
        o.resume.backlog_frames = 4;
        return o;
    }

    // Connects, says hello (asking to resume when `resume`), joins and enters "room".
    std::string join(RecordingLink& link, bool resume, Grant grant = {}) {
        service.connect(link, std::move(grant));
        if (resume) {
            service.receive(link, request_frame("ext@presence@hello", R"("message":{"text":"resume"})"));
            EXPECT_EQ(link.last().method, Method::resume_token);
        }
        service.receive(link, request_frame("sgc@presence@member@new", R"("member":{"name":"n"})"));
        service.receive(link, request_frame("sgc@presence@channel@member@new", R"("channel":{"name":"room"})"));
        return link.of(Method::resume_token).empty() ? "" : *link.of(Method::resume_token).back().text;
    }

    void say(RecordingLink& link, const std::string& text) {
        service.receive(link, request_frame("sgc@presence@publish@msg",
                                    R"("channel":{"name":"room"},"message":{"text":")" + text + "\"}"));
    }

    void resume(RecordingLink& link, const std::string& token, std::size_t received, Grant grant = {}) {
        service.connect(link, std::move(grant));
        service.receive(link, request_frame("ext@presence@resume",
                                    R"("message":{"text":")" + token + ":" + std::to_string(received) + "\"}"));
    }

    // Frames `link` received after its token frame that a resume counts.
    static std::size_t numbered(const RecordingLink& link) {
        std::size_t n = 0;
        bool counting = false;
        for (const auto& m : link.frames) {
            if (m.method == Method::resume_token) counting = true, n = 0;
            else if (counting && m.method != Method::pong) ++n;
        }
        return n;
    }

    void subscribe(RecordingLink& link, const std::string& channel) {
        service.receive(link, request_frame("sgc@presence@channel@member@new",
                                            R"("channel":{"name":")" + channel + "\"}"));
    }

    static std::string id_of(const RecordingLink& link) { return *link.of(Method::session).at(0).text; }

    ServerHooks hooks;
    MemoryEngine engine;
    PresenceService service;
    RecordingLink a, a2, b;
};

// A grant of every channel, as a token with `"channels":["*"]` gives.
Grant wide(std::optional<std::string> id = std::nullopt) {
    Grant g;
    g.restricted = true;
    g.id = std::move(id);
    g.join = {"*"};
    g.publish = {"*"};
    return g;
}

Grant only(std::string channel, std::optional<std::string> id = std::nullopt) {
    Grant g = wide(std::move(id));
    g.join = {channel};
    g.publish = {std::move(channel)};
    return g;
}

TEST_F(ResumeTest, ALostMemberResumesUnseenAndGetsWhatItMissed) {
    const std::string token = join(a, true);
    join(b, false);
    const std::size_t received = numbered(a);
    service.lose(a);
    say(b, "while away");
    const std::size_t b_frames = b.frames.size();

    resume(a2, token, received);

    ASSERT_EQ(a2.of(Method::resume).size(), 1u);
    EXPECT_EQ(a2.of(Method::resume)[0].text, "resumed");
    ASSERT_EQ(a2.of(Method::publish_msg).size(), 1u);
    EXPECT_EQ(a2.of(Method::publish_msg)[0].text, "while away");
    EXPECT_TRUE(b.of(Method::member_remove).empty());
    EXPECT_TRUE(b.of(Method::channel_member_remove).empty());
    EXPECT_EQ(b.frames.size(), b_frames);
    EXPECT_EQ(service.connections(), 2u);
    EXPECT_EQ(service.detached(), 0u);
    say(b, "after");
    EXPECT_EQ(a2.of(Method::publish_msg).back().text, "after");
}

TEST_F(ResumeTest, FramesLostInFlightAreSentAgain) {
    const std::string token = join(a, true);
    join(b, false);
    const std::size_t received = numbered(a);
    say(b, "one");  // reached a's link, but say the client never read it
    say(b, "two");
    service.lose(a);
    resume(a2, token, received);
    ASSERT_EQ(a2.of(Method::publish_msg).size(), 2u);
    EXPECT_EQ(a2.of(Method::publish_msg)[0].text, "one");
    EXPECT_EQ(a2.of(Method::publish_msg)[1].text, "two");
}

TEST_F(ResumeTest, AGapLongerThanTheBacklogIsToldAndResynced) {
    const std::string token = join(a, true);
    join(b, false);
    const std::size_t received = numbered(a);
    service.lose(a);
    for (int i = 0; i < 5; ++i) say(b, "m" + std::to_string(i));
    resume(a2, token, received);
    ASSERT_EQ(a2.of(Method::resume).size(), 1u);
    EXPECT_EQ(a2.of(Method::resume)[0].text, "resync");
    EXPECT_TRUE(a2.of(Method::publish_msg).empty());
    const auto lists = a2.of(Method::send_members);
    ASSERT_EQ(lists.size(), 1u);
    EXPECT_EQ(lists[0].channel, "room");
    EXPECT_EQ(lists[0].members->size(), 2u);
    EXPECT_TRUE(b.of(Method::member_remove).empty());
}

TEST_F(ResumeTest, AfterTheGraceTheMemberLeaves) {
    const std::string token = join(a, true);
    join(b, false);
    service.lose(a);
    service.expire(protocol::Clock::now());
    EXPECT_TRUE(b.of(Method::member_remove).empty());
    service.expire(protocol::Clock::now() + options().resume.grace);
    EXPECT_EQ(b.of(Method::member_remove).size(), 1u);
    EXPECT_EQ(b.of(Method::channel_member_remove).size(), 1u);
    resume(a2, token, 0);
    EXPECT_EQ(a2.last().method, Method::resume);
    EXPECT_EQ(a2.last().text, "expired");
    EXPECT_EQ(service.connections(), 2u);  // a2 goes on as a fresh connection
}

TEST_F(ResumeTest, AResumeTakesOverALinkThatStillLooksAlive) {
    const std::string token = join(a, true);
    join(b, false);
    resume(a2, token, numbered(a));
    EXPECT_TRUE(a.dropped);
    EXPECT_EQ(a2.of(Method::resume)[0].text, "resumed");
    EXPECT_TRUE(b.of(Method::member_remove).empty());
    service.disconnect(a);  // the dropped link's late end changes nothing
    EXPECT_TRUE(b.of(Method::member_remove).empty());
    say(b, "still here?");
    EXPECT_EQ(a2.of(Method::publish_msg).back().text, "still here?");
}

TEST_F(ResumeTest, AClientThatDidNotAskLeavesAtOnce) {
    join(a, false);
    join(b, false);
    service.lose(a);
    EXPECT_EQ(b.of(Method::member_remove).size(), 1u);
    EXPECT_EQ(service.detached(), 0u);
}

TEST_F(ResumeTest, AClosedConnectionLeavesAtOnceEvenIfResumable) {
    join(a, true);
    join(b, false);
    service.disconnect(a);
    EXPECT_EQ(b.of(Method::member_remove).size(), 1u);
}

TEST_F(ResumeTest, UnknownTokensAndLateOrMalformedRequestsAreRefused) {
    resume(a, "not-a-token", 0);
    EXPECT_EQ(a.last().text, "expired");
    join(b, true);
    service.receive(b, request_frame("ext@presence@resume", R"("message":{"text":"x:1"})"));
    EXPECT_EQ(b.last().method, Method::error_member_channel);
    EXPECT_EQ(b.last().error->code, -32602);
    service.connect(a2);
    service.receive(a2, request_frame("ext@presence@resume", R"("message":{"text":"token-without-count"})"));
    EXPECT_EQ(a2.last().error->code, -32602);
}

TEST_F(ResumeTest, HelloNamesTheFeaturesAndPingIsAnswered) {
    service.connect(a);
    service.receive(a, request_frame("ext@presence@hello", R"("message":{"text":"invitation-response"})"));
    ASSERT_EQ(a.of(Method::hello).size(), 1u);
    EXPECT_EQ(a.of(Method::hello)[0].text, "invitation-response,heartbeat,resume");
    EXPECT_TRUE(a.of(Method::resume_token).empty());
    service.receive(a, request_frame("ext@presence@ping"));
    EXPECT_EQ(a.last().method, Method::pong);
}

// A peer that answers the close of its ended grant with a reset must not leave a member
// that anyone may resume.
TEST_F(ResumeTest, AMemberWhoseGrantEndsIsGoneNotLost) {
    const auto now = std::chrono::system_clock::now();
    Grant ending = wide();
    ending.expires = now + std::chrono::seconds(60);
    const std::string token = join(a, true, ending);
    join(b, false);
    service.end_grants(now + std::chrono::seconds(61));
    EXPECT_EQ(a.closed, 1008);
    EXPECT_EQ(b.of(Method::channel_member_remove).size(), 1u);
    ASSERT_EQ(b.of(Method::member_remove).size(), 1u);
    EXPECT_EQ(a.of(Method::member_remove).size(), 1u) << "its departure comes before the close";
    service.lose(a);
    EXPECT_EQ(service.detached(), 0u);
    resume(a2, token, numbered(a));
    EXPECT_EQ(a2.last().text, "expired");
    EXPECT_EQ(engine.find_member(id_of(a)), nullptr);
}

TEST_F(ResumeTest, ALostMemberWhoseGrantEndsLeavesBeforeItsGrace) {
    const auto now = std::chrono::system_clock::now();
    Grant ending = wide();
    ending.expires = now + std::chrono::seconds(60);
    const std::string token = join(a, true, ending);
    join(b, false);
    service.lose(a);
    ASSERT_EQ(service.detached(), 1u);
    service.end_grants(now + std::chrono::seconds(61));
    EXPECT_EQ(service.detached(), 0u);
    EXPECT_EQ(b.of(Method::member_remove).size(), 1u);
    resume(a2, token, 0);
    EXPECT_EQ(a2.last().text, "expired");
}

// The resumed member may do what the new connection's credentials allow, until they end;
// the channels they do not allow are left, and everyone there is told.
TEST_F(ResumeTest, AResumeTakesTheGrantOfTheNewConnection) {
    const std::string token = join(a, true, wide("alice"));
    subscribe(a, "lobby");
    join(b, false);
    subscribe(b, "lobby");
    service.lose(a);

    const auto now = std::chrono::system_clock::now();
    Grant narrower = only("lobby", "alice");
    narrower.expires = now + std::chrono::seconds(60);
    RecordingLink unfixed;
    resume(unfixed, token, 0);
    EXPECT_EQ(unfixed.last().text, "expired") << "its grant does not fix the id alice";
    resume(a2, token, numbered(a), narrower);
    ASSERT_EQ(a2.of(Method::resume).back().text, "resumed");
    ASSERT_EQ(b.of(Method::channel_member_remove).size(), 1u);
    EXPECT_EQ(b.of(Method::channel_member_remove)[0].channel, "room");
    EXPECT_EQ(a2.of(Method::channel_member_remove).size(), 1u);
    EXPECT_TRUE(engine.is_subscribed("lobby", "alice"));
    EXPECT_FALSE(engine.is_subscribed("room", "alice"));

    service.receive(a2, request_frame("sgc@presence@publish@msg", R"("message":{"text":"to all"})"));
    EXPECT_EQ(a2.last().error->code, 20);
    subscribe(a2, "room");
    EXPECT_EQ(a2.last().error->code, 10);

    service.end_grants(now + std::chrono::seconds(61));
    EXPECT_EQ(a2.closed, 1008);
    EXPECT_EQ(b.of(Method::member_remove).size(), 1u);
}

// Without a token-fixed id, a member is known by its resume token: a claimant whose grant
// fixes another user (or a user where there was none) does not take it.
TEST_F(ResumeTest, AResumeWithAnotherUserIsRefused) {
    Grant alice = wide();
    alice.user = "alice";
    const std::string token = join(a, true, alice);
    service.lose(a);
    Grant bob = wide();
    bob.user = "bob";
    resume(a2, token, 0, bob);
    EXPECT_EQ(a2.last().text, "expired");
    RecordingLink anonymous;
    Grant nobody = only("lobby");
    nobody.user = "";
    resume(anonymous, token, 0, nobody);
    EXPECT_EQ(anonymous.last().text, "expired");
    EXPECT_EQ(service.detached(), 1u);
}

// A connection that asked for views before resuming counts no more once it is replaced.
TEST_F(ResumeTest, TheViewsOfTheReplacedConnectionAreDropped) {
    const std::string token = join(a, true);
    const std::size_t received = numbered(a);
    service.lose(a);
    EXPECT_FALSE(service.next_flush());
    service.connect(a2);
    service.receive(a2, request_frame("ext@presence@hello", R"("message":{"text":"diffs"})"));
    service.receive(a2, request_frame("ext@presence@resume",
                                      R"("message":{"text":")" + token + ":" + std::to_string(received) + "\"}"));
    ASSERT_EQ(a2.of(Method::resume).back().text, "resumed");
    join(b, false);
    EXPECT_FALSE(service.next_flush()) << "no connection takes diffs";
}

TEST_F(ResumeTest, AShutdownEndsTheMembersWaitingToResume) {
    join(a, true);
    join(b, false);
    service.lose(a);
    service.close_all(1001, "bye");
    EXPECT_EQ(b.closed, 1001);
    EXPECT_EQ(engine.find_member(id_of(a)), nullptr);
    EXPECT_EQ(service.detached(), 0u);
}

}  // namespace
}  // namespace presence
