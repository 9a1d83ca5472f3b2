// The resume extension in the presence rules, over links that record what they are sent.
// The wire-level behaviour (a real server, a proxy that cuts connections) is tested in
// tests/interop/test_resume.py.
#include <gtest/gtest.h>

#include "engine/memory_engine.h"
#include "presence/presence_service.h"
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
    std::string join(RecordingLink& link, bool resume) {
        service.connect(link);
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

    void resume(RecordingLink& link, const std::string& token, std::size_t received) {
        service.connect(link);
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

    ServerHooks hooks;
    MemoryEngine engine;
    PresenceService service;
    RecordingLink a, a2, b;
};

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

TEST_F(ResumeTest, AShutdownEndsTheMembersWaitingToResume) {
    join(a, true);
    join(b, false);
    service.lose(a);
    service.close_all(1001, "bye");
    EXPECT_EQ(b.of(Method::member_remove).size(), 1u);
    EXPECT_EQ(service.detached(), 0u);
}

}  // namespace
}  // namespace presence
