// SPDX-License-Identifier: Apache-2.0
#include "protocol/acknowledgment.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace presence::protocol {
namespace {

using namespace std::chrono_literals;

// Time is whatever the test says it is: every call gets a time_point built here.
const Clock::time_point t0{};

AckQueue::Bytes bytes(std::string text) {
    return std::make_shared<const std::string>(std::move(text));
}

AckOptions options(std::size_t max_retries) {
    AckOptions o;
    o.enabled = true;
    o.interval = 10s;
    o.timeout = 8s;
    o.max_retries = max_retries;
    return o;
}

// Records what one resend_due round did.
struct Round {
    std::vector<AckQueue::Bytes> resent;
    std::vector<std::string> given_up;
};

Round resend_due(AckQueue& queue, Clock::time_point now, const AckOptions& o) {
    Round r;
    queue.resend_due(
        now, o, [&](const AckQueue::Bytes& b) { r.resent.push_back(b); },
        [&](const std::string& id) { r.given_up.push_back(id); });
    return r;
}

TEST(AckOptions, DefaultsAreSgcsWithAFiniteRetryLimit) {
    const AckOptions o;
    EXPECT_FALSE(o.enabled);
    EXPECT_EQ(o.interval, 300s);
    EXPECT_EQ(o.timeout, 240s);
    EXPECT_EQ(o.max_retries, 5u);
}

TEST(AckQueue, AcknowledgeRemovesOnlyThatMessage) {
    AckQueue q;
    q.track("a", bytes("A"), t0);
    q.track("b", bytes("B"), t0);
    EXPECT_EQ(q.size(), 2u);

    EXPECT_TRUE(q.acknowledge("a"));
    EXPECT_EQ(q.size(), 1u);
    EXPECT_FALSE(q.acknowledge("a")) << "a second acknowledgment is not pending";
    EXPECT_FALSE(q.acknowledge("zzz")) << "an unknown id is not pending";
    EXPECT_EQ(q.size(), 1u);

    const Round r = resend_due(q, t0 + 1h, options(0));
    ASSERT_EQ(r.resent.size(), 1u);
    EXPECT_EQ(*r.resent[0], "B");
}

TEST(AckQueue, NothingIsResentBeforeTheTimeout) {
    AckQueue q;
    q.track("a", bytes("A"), t0);
    const Round r = resend_due(q, t0 + 8s - 1ms, options(5));
    EXPECT_TRUE(r.resent.empty());
    EXPECT_TRUE(r.given_up.empty());
    EXPECT_EQ(q.size(), 1u);
}

TEST(AckQueue, ResendsTheSameBytesOnceTheTimeoutHasPassed) {
    AckQueue q;
    const AckQueue::Bytes frame = bytes(R"({"jsonrpc":"2.0","method":"x","id":"a"})");
    q.track("a", frame, t0);

    const Round r = resend_due(q, t0 + 8s, options(5));
    ASSERT_EQ(r.resent.size(), 1u);
    EXPECT_EQ(r.resent[0], frame) << "the very same buffer, not a copy";
    EXPECT_EQ(*r.resent[0], R"({"jsonrpc":"2.0","method":"x","id":"a"})");
    EXPECT_TRUE(r.given_up.empty());
    EXPECT_EQ(q.size(), 1u) << "still pending until acknowledged";
}

TEST(AckQueue, OnlyMessagesOldEnoughAreResentInTheOrderTheyWereSent) {
    AckQueue q;
    q.track("a", bytes("A"), t0);
    q.track("b", bytes("B"), t0 + 3s);
    q.track("c", bytes("C"), t0 + 6s);

    Round r = resend_due(q, t0 + 11s, options(5));
    ASSERT_EQ(r.resent.size(), 2u);
    EXPECT_EQ(*r.resent[0], "A");
    EXPECT_EQ(*r.resent[1], "B");

    r = resend_due(q, t0 + 14s, options(5));
    ASSERT_EQ(r.resent.size(), 1u);
    EXPECT_EQ(*r.resent[0], "C");
}

TEST(AckQueue, AResendRestartsTheTimeout) {
    AckQueue q;
    q.track("a", bytes("A"), t0);
    EXPECT_EQ(resend_due(q, t0 + 10s, options(5)).resent.size(), 1u);
    EXPECT_EQ(resend_due(q, t0 + 17s, options(5)).resent.size(), 0u);
    EXPECT_EQ(resend_due(q, t0 + 18s, options(5)).resent.size(), 1u);
}

TEST(AckQueue, AcknowledgedAfterAResendIsNotResentAgain) {
    AckQueue q;
    q.track("a", bytes("A"), t0);
    EXPECT_EQ(resend_due(q, t0 + 10s, options(5)).resent.size(), 1u);
    EXPECT_TRUE(q.acknowledge("a"));
    const Round r = resend_due(q, t0 + 1h, options(5));
    EXPECT_TRUE(r.resent.empty());
    EXPECT_TRUE(r.given_up.empty());
    EXPECT_EQ(q.size(), 0u);
}

TEST(AckQueue, GivesUpExactlyAfterMaxRetriesResends) {
    for (const std::size_t max_retries : {1u, 2u, 5u}) {
        AckQueue q;
        q.track("a", bytes("A"), t0);
        std::size_t resends = 0;
        std::vector<std::string> given_up;
        // One round per interval, each a full timeout after the previous one.
        for (int round = 1; round <= 20; ++round) {
            const Round r = resend_due(q, t0 + round * 10s, options(max_retries));
            resends += r.resent.size();
            given_up.insert(given_up.end(), r.given_up.begin(), r.given_up.end());
            if (round <= static_cast<int>(max_retries)) {
                EXPECT_EQ(r.resent.size(), 1u) << "round " << round;
                EXPECT_TRUE(r.given_up.empty()) << "round " << round;
            } else if (round == static_cast<int>(max_retries) + 1) {
                EXPECT_TRUE(r.resent.empty()) << "no re-send beyond the limit";
                EXPECT_EQ(r.given_up, std::vector<std::string>{"a"});
            }
        }
        EXPECT_EQ(resends, max_retries);
        EXPECT_EQ(given_up, std::vector<std::string>{"a"}) << "given up once";
        EXPECT_EQ(q.size(), 0u);
        EXPECT_FALSE(q.acknowledge("a")) << "a late acknowledgment finds nothing";
    }
}

TEST(AckQueue, TheLimitCountsPerMessage) {
    AckQueue q;
    q.track("old", bytes("O"), t0);
    EXPECT_EQ(resend_due(q, t0 + 10s, options(2)).resent.size(), 1u);
    q.track("new", bytes("N"), t0 + 10s);
    EXPECT_EQ(resend_due(q, t0 + 20s, options(2)).resent.size(), 2u);

    const Round r = resend_due(q, t0 + 30s, options(2));
    EXPECT_EQ(r.given_up, std::vector<std::string>{"old"});
    ASSERT_EQ(r.resent.size(), 1u);
    EXPECT_EQ(*r.resent[0], "N");
    EXPECT_EQ(q.size(), 1u);
}

TEST(AckQueue, ZeroMaxRetriesMeansNoLimit) {
    AckQueue q;
    q.track("a", bytes("A"), t0);
    for (int round = 1; round <= 1000; ++round) {
        const Round r = resend_due(q, t0 + round * 10s, options(0));
        ASSERT_EQ(r.resent.size(), 1u) << "round " << round;
        ASSERT_TRUE(r.given_up.empty()) << "round " << round;
    }
    EXPECT_EQ(q.size(), 1u);
    EXPECT_TRUE(q.acknowledge("a"));
}

TEST(SeenIds, FirstTimeOnlyOnce) {
    SeenIds seen;
    EXPECT_TRUE(seen.first_time("a"));
    EXPECT_FALSE(seen.first_time("a"));
    EXPECT_TRUE(seen.first_time("b"));
    EXPECT_FALSE(seen.first_time("b"));
    EXPECT_FALSE(seen.first_time("a"));
}

TEST(SeenIds, RemembersTheMostRecentCapacityIds) {
    SeenIds seen(3);
    for (const char* id : {"a", "b", "c", "d"}) EXPECT_TRUE(seen.first_time(id)) << id;
    // "a" was pushed out by "d"; "b", "c" and "d" are still known.
    EXPECT_FALSE(seen.first_time("b"));
    EXPECT_FALSE(seen.first_time("c"));
    EXPECT_FALSE(seen.first_time("d"));
    EXPECT_TRUE(seen.first_time("a"));
    // Taking "a" back in pushed out "b", the oldest.
    EXPECT_TRUE(seen.first_time("b"));
    EXPECT_FALSE(seen.first_time("a"));
}

TEST(SeenIds, DefaultCapacityIs1024Ids) {
    SeenIds seen;
    for (int i = 0; i < 1024; ++i) ASSERT_TRUE(seen.first_time(std::to_string(i)));
    for (int i = 0; i < 1024; ++i) ASSERT_FALSE(seen.first_time(std::to_string(i))) << i;
    EXPECT_TRUE(seen.first_time("1024"));
    EXPECT_TRUE(seen.first_time("0")) << "the oldest is forgotten first";
}

TEST(SeenIds, CountsTheBytesOfTheIdsItRemembers) {
    SeenIds seen(2);
    EXPECT_EQ(seen.bytes(), 0u);
    seen.first_time("a");
    seen.first_time("bb");
    EXPECT_EQ(seen.bytes(), SeenIds::cost("a") + SeenIds::cost("bb"));
    seen.first_time("bb");
    seen.first_time("cccc");  // pushes "a" out
    EXPECT_EQ(seen.bytes(), SeenIds::cost("bb") + SeenIds::cost("cccc"));
    EXPECT_FALSE(seen.remembers("a"));
    EXPECT_TRUE(seen.remembers("cccc"));
}

TEST(AckQueue, CountsTheBytesOfWhatIsPending) {
    AckQueue q;
    const AckQueue::Bytes frame = bytes(std::string(1000, 'x'));
    q.track("a", frame, t0);
    q.track("b", frame, t0);
    const std::size_t two = q.bytes();
    EXPECT_GE(two, 2000u) << "a frame shared by both counts for each";
    EXPECT_TRUE(q.acknowledge("a"));
    EXPECT_EQ(q.bytes(), two / 2);
    resend_due(q, t0 + 1h, options(1));
    resend_due(q, t0 + 2h, options(1));  // "b" is given up
    EXPECT_EQ(q.bytes(), 0u);
}

TEST(Admit, SettlesAcknowledgmentsAnswersIdsAndLetsEachIdThroughOnce) {
    AckQueue sent;
    SeenIds seen;
    std::vector<std::string> replies;
    const auto reply = [&](std::string ack) { replies.push_back(std::move(ack)); };
    sent.track("mine", std::make_shared<const std::string>("x"), Clock::now());

    EXPECT_FALSE(admit(decode(encode_acknowledgment("mine")), sent, seen, reply));
    EXPECT_EQ(sent.size(), 0u);

    const std::string request = R"({"jsonrpc":"2.0","method":"sgc@presence@get@members","id":"r1"})";
    EXPECT_TRUE(admit(decode(request), sent, seen, reply));
    EXPECT_FALSE(admit(decode(request), sent, seen, reply)) << "a re-send has one effect";
    EXPECT_TRUE(admit(decode(R"({"jsonrpc":"1.0","id":"bad"})"), sent, seen, reply))
        << "a bad frame is still to be reported";
    EXPECT_TRUE(admit(decode(R"({"jsonrpc":"2.0","method":"sgc@presence@get@members"})"), sent, seen, reply));
    EXPECT_EQ(replies, (std::vector<std::string>{encode_acknowledgment("r1"), encode_acknowledgment("r1"),
                                                 encode_acknowledgment("bad")}));
}

}  // namespace
}  // namespace presence::protocol
