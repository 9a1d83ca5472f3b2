// SPDX-License-Identifier: Apache-2.0
// Limits and grants in the presence rules, over links that record what they are sent.
#include <gtest/gtest.h>

#include "engine/memory/memory_engine.h"
#include "domain/presence_service.h"
#include "recording_link.h"

namespace presence {
namespace {

using protocol::Method;

PresenceOptions no_limits() {
    PresenceOptions o;
    o.max_requests_per_second = 0;
    o.max_channels_per_member = 0;
    o.max_invitations_per_minute = 0;
    o.max_channel_members = 0;
    return o;
}

class LimitsTest : public ::testing::Test {
protected:
    void start(PresenceOptions options) { service.emplace(engine, options, hooks); }

    void join(RecordingLink& link, Grant grant = {}, std::string_view name = "n") {
        service->connect(link, std::move(grant));
        send(link, "sgc@presence@member@new", R"("member":{"name":")" + std::string(name) + "\"}");
    }
    void send(RecordingLink& link, std::string_view method, std::string_view rest = {}) {
        service->receive(link, request_frame(method, rest));
    }
    void subscribe(RecordingLink& link, std::string_view channel) {
        send(link, "sgc@presence@channel@member@new", R"("channel":{"name":")" + std::string(channel) + "\"}");
    }
    void publish(RecordingLink& link, std::string_view channel) {
        send(link, "sgc@presence@publish@msg",
             R"("channel":{"name":")" + std::string(channel) + R"("},"message":{"text":"hi"})");
    }
    static int last_error(const RecordingLink& link) {
        return link.last().error ? link.last().error->code : 0;
    }
    static std::string id_of(const RecordingLink& link) { return *link.of(Method::session).at(0).text; }

    ServerHooks hooks;
    MemoryEngine engine;
    std::optional<PresenceService> service;
    RecordingLink a, b, c;
};

TEST_F(LimitsTest, RequestsOverTheRateAreRefusedAndAFloodIsClosed) {
    PresenceOptions o = no_limits();
    o.max_requests_per_second = 0.001;  // no refill within the test
    o.request_burst = 3;
    o.max_invalid_frames = 2;
    start(o);
    join(a);                                   // 1
    send(a, "sgc@presence@get@members");      // 2
    send(a, "sgc@presence@get@members");      // 3
    EXPECT_EQ(a.last().method, Method::send_members);
    send(a, "sgc@presence@get@members");
    EXPECT_EQ(last_error(a), 41);
    EXPECT_EQ(a.closed, 0);
    send(a, "not even JSON");
    send(a, "sgc@presence@get@members");
    EXPECT_EQ(a.closed, 1008);
    EXPECT_EQ(service->limits_hit().requests, 3u);
}

TEST_F(LimitsTest, AMemberIsInAtMostSoManyChannels) {
    PresenceOptions o = no_limits();
    o.max_channels_per_member = 2;
    start(o);
    join(a);
    subscribe(a, "one");
    subscribe(a, "two");
    subscribe(a, "three");
    EXPECT_EQ(last_error(a), 42);
    EXPECT_EQ(engine.channels_of(id_of(a)).size(), 2u);
    send(a, "sgc@presence@channel@member@remove", R"("channel":{"name":"one"})");
    subscribe(a, "three");
    EXPECT_TRUE(engine.is_subscribed("three", id_of(a)));
    EXPECT_EQ(service->limits_hit().channels, 1u);
}

TEST_F(LimitsTest, AFullChannelRefusesNewcomers) {
    PresenceOptions o = no_limits();
    o.max_channel_members = 1;
    start(o);
    join(a);
    join(b);
    subscribe(a, "room");
    subscribe(b, "room");
    EXPECT_EQ(last_error(b), 44);
    EXPECT_EQ(engine.member_count("room"), 1u);
}

// Each invitee named takes one invitation of the rate, a member or not; the invitation is
// answered with one error, about the first invitee refused.
TEST_F(LimitsTest, EveryNamedInviteeCountsAgainstTheRateAndOneErrorAnswers) {
    PresenceOptions o = no_limits();
    o.max_invitations_per_minute = 3;
    start(o);
    join(a);
    join(b);
    const std::size_t frames = a.frames.size();
    send(a, "sgc@presence@channel@invitation",
         R"("channel":{"name":"room"},"members":[{"id":"x"},{"id":"y"},{"id":"z"},{"id":")" + id_of(b) + R"("}])");
    EXPECT_TRUE(b.of(Method::channel_invitation).empty());
    ASSERT_EQ(a.frames.size(), frames + 1);
    EXPECT_EQ(last_error(a), 3);
    EXPECT_EQ(a.last().member->id, "x");
    EXPECT_EQ(service->limits_hit().invitations, 1u);
}

TEST_F(LimitsTest, AnInvitationNamesAtMostSoManyInvitees) {
    PresenceOptions o = no_limits();
    o.max_invitees = 2;
    start(o);
    join(a);
    join(b);
    const std::string invitees = R"({"id":")" + id_of(b) + R"("},{"id":"x"})";
    send(a, "sgc@presence@channel@invitation", R"("channel":{"name":"room"},"members":[)" + invitees + ",{\"id\":\"y\"}]");
    EXPECT_EQ(last_error(a), -32602);
    EXPECT_EQ(a.last().error->text, "members[] names more than 2 invitees");
    EXPECT_TRUE(b.of(Method::channel_invitation).empty());
    send(a, "sgc@presence@channel@invitation", R"("channel":{"name":"room"},"members":[)" + invitees + "]");
    EXPECT_EQ(b.of(Method::channel_invitation).size(), 1u);
    EXPECT_EQ(last_error(a), 3);
}

// However many inviters there are, a member is sent so many invitations at most.
TEST_F(LimitsTest, AMemberIsSentSoManyInvitationsAtMost) {
    PresenceOptions o = no_limits();
    o.max_invitations_received_per_minute = 2;
    start(o);
    join(a);
    join(b);
    join(c);
    const std::string to_c = R"("members":[{"id":")" + id_of(c) + R"("}])";
    send(a, "sgc@presence@channel@invitation", R"("channel":{"name":"one"},)" + to_c);
    send(b, "sgc@presence@channel@invitation", R"("channel":{"name":"two"},)" + to_c);
    send(a, "sgc@presence@channel@invitation", R"("channel":{"name":"three"},)" + to_c);
    ASSERT_EQ(c.of(Method::channel_invitation).size(), 2u);
    EXPECT_EQ(c.of(Method::channel_invitation)[1].channel, "two");
    EXPECT_EQ(service->limits_hit().invitations_received, 1u);
}

TEST_F(LimitsTest, InvitationsOverTheRateAreRefusedPerInvitee) {
    PresenceOptions o = no_limits();
    o.max_invitations_per_minute = 1;
    start(o);
    join(a);
    join(b);
    join(c);
    send(a, "sgc@presence@channel@invitation",
         R"("channel":{"name":"room"},"members":[{"id":")" + id_of(b) + R"("},{"id":")" + id_of(c) + R"("}])");
    EXPECT_EQ(b.of(Method::channel_invitation).size(), 1u);
    EXPECT_TRUE(c.of(Method::channel_invitation).empty());
    EXPECT_EQ(last_error(a), 43);
    EXPECT_EQ(a.last().member->id, id_of(c));
}

Grant team_grant() {
    Grant g;
    g.restricted = true;
    g.id = "alice";
    g.name = "Alice";
    g.join = {"team:*"};
    g.publish = {"team:a"};
    return g;
}

TEST_F(LimitsTest, AGrantFixesTheIdentity) {
    start(no_limits());
    join(a, team_grant(), "Mallory");
    EXPECT_EQ(id_of(a), "alice");
    ASSERT_NE(engine.find_member("alice"), nullptr);
    EXPECT_EQ(engine.find_member("alice")->name, "Alice");
    join(b, team_grant());
    EXPECT_EQ(last_error(b), 1);
}

TEST_F(LimitsTest, AGrantLimitsChannels) {
    start(no_limits());
    join(a, team_grant());
    join(b);
    subscribe(a, "team:b");
    EXPECT_TRUE(engine.is_subscribed("team:b", "alice"));
    subscribe(a, "lobby");
    EXPECT_EQ(last_error(a), 10);
    subscribe(a, "team:a");
    publish(a, "team:a");
    EXPECT_EQ(a.last().method, Method::publish_msg);
    publish(a, "team:b");
    EXPECT_EQ(last_error(a), 20);
    publish(a, "");
    EXPECT_EQ(last_error(a), 20);
    send(a, "sgc@presence@get@members");
    EXPECT_EQ(last_error(a), 30);
    send(a, "sgc@presence@get@members", R"("channel":{"name":"team:b"})");
    EXPECT_EQ(a.last().method, Method::send_members);
    send(a, "sgc@presence@channel@invitation", R"("channel":{"name":"lobby"},"members":[{"id":")" + id_of(b) + R"("}])");
    EXPECT_EQ(last_error(a), 40);
    EXPECT_TRUE(b.of(Method::channel_invitation).empty());
}

// A forbidden channel gets the same answer whether it exists or not.
TEST_F(LimitsTest, AGrantRefusesAChannelBeforeSayingWhetherItExists) {
    start(no_limits());
    join(a, team_grant());
    join(b);
    subscribe(b, "staff");
    const auto answers = [&](std::string_view method, std::string_view more = {}) {
        std::vector<int> codes;
        for (const std::string channel : {"staff", "nowhere"}) {
            send(a, method, R"("channel":{"name":")" + channel + "\"}" + std::string(more));
            codes.push_back(last_error(a));
        }
        return codes;
    };
    EXPECT_EQ(answers("sgc@presence@channel@member@new"), (std::vector<int>{10, 10}));
    EXPECT_EQ(answers("sgc@presence@channel@member@remove"), (std::vector<int>{12, 12}));
    EXPECT_EQ(answers("sgc@presence@publish@msg", R"(,"message":{"text":"hi"})"), (std::vector<int>{20, 20}));
    EXPECT_EQ(answers("sgc@presence@get@members"), (std::vector<int>{30, 30}));
    EXPECT_EQ(answers("ext@presence@get@members@page", R"(,"message":{"text":"10"})"), (std::vector<int>{30, 30}));
    EXPECT_EQ(answers("ext@presence@get@count"), (std::vector<int>{30, 30}));
    EXPECT_EQ(answers("ext@presence@get@users"), (std::vector<int>{30, 30}));
    EXPECT_EQ(answers("sgc@presence@channel@invitation", R"(,"members":[{"id":"x"}])"), (std::vector<int>{40, 40}));
}

// A member whose grant does not let it list every member hears nothing of presence as a
// whole: only of the members of the channels it may be in, and of its own changes.
TEST_F(LimitsTest, ARestrictedMemberHearsOnlyOfItsChannels) {
    start(no_limits());
    service->connect(a, team_grant());
    send(a, "ext@presence@hello", R"("message":{"text":"updates"})");
    send(a, "sgc@presence@member@new");
    subscribe(a, "team:a");
    join(b);
    subscribe(b, "elsewhere");
    send(b, "ext@presence@member@update", R"("member":{"info":"new"})");
    subscribe(b, "team:a");
    send(b, "sgc@presence@member@remove");
    send(a, "ext@presence@member@update", R"("member":{"info":"mine"})");

    ASSERT_EQ(a.of(Method::member_new).size(), 1u);
    EXPECT_EQ(a.of(Method::member_new)[0].member->id, "alice");
    EXPECT_TRUE(a.of(Method::member_remove).empty());
    EXPECT_EQ(a.of(Method::channel_member_new).size(), 2u);
    EXPECT_EQ(a.of(Method::channel_member_remove).size(), 1u);
    ASSERT_EQ(a.of(Method::update_member).size(), 1u);
    EXPECT_EQ(a.of(Method::update_member)[0].member->id, "alice");
}

TEST_F(LimitsTest, ARestrictedMemberTakesDiffsOfItsChannelsOnly) {
    start(no_limits());
    service->connect(a, team_grant());
    send(a, "ext@presence@hello", R"("message":{"text":"diffs"})");
    send(a, "sgc@presence@member@new");
    subscribe(a, "team:a");
    join(b);
    subscribe(b, "team:a");
    service->flush_views(*service->next_flush());
    const auto diffs = a.of(Method::diff);
    ASSERT_EQ(diffs.size(), 1u);
    EXPECT_EQ(diffs[0].channel, "team:a");
}

// With tokens every grant fixes the user ("" for none): a member cannot declare another.
TEST_F(LimitsTest, AGrantsUserCannotBeDeclaredOtherwise) {
    start(no_limits());
    Grant g = team_grant();
    g.user = "alice";
    service->connect(a, g);
    send(a, "sgc@presence@member@new", R"("member":{"name":"n","user":"bob"})");
    EXPECT_EQ(last_error(a), -32602);
    EXPECT_EQ(engine.find_member("alice"), nullptr);
    send(a, "sgc@presence@member@new", R"("member":{"name":"n","user":"alice"})");
    EXPECT_EQ(engine.find_member("alice")->user, "alice");

    Grant anonymous;
    anonymous.restricted = true;
    anonymous.user = "";
    service->connect(b, anonymous);
    send(b, "sgc@presence@member@new", R"("member":{"name":"n","user":"bob"})");
    EXPECT_EQ(last_error(b), -32602);
    send(b, "sgc@presence@member@new", R"("member":{"name":"n"})");
    EXPECT_EQ(engine.find_member(id_of(b))->user, "");
}

TEST_F(LimitsTest, AGrantKeepsTheNameItFixesAcrossAnUpdate) {
    start(no_limits());
    join(a, team_grant());
    send(a, "ext@presence@member@update", R"("member":{"name":"Mallory","info":"desk 4"})");
    EXPECT_EQ(*engine.find_member("alice"), (Member{"alice", "Alice", "desk 4"}));
}

// Error 45 is an ordinary answer, as 43 is: however many in a row, the connection stays.
TEST_F(LimitsTest, UpdatesOverTheRateAreRefusedWithoutClosing) {
    PresenceOptions o = no_limits();
    o.max_info_updates_per_second = 0.001;  // no refill within the test
    o.info_update_burst = 2;
    o.max_invalid_frames = 2;
    start(o);
    join(a);
    send(a, "ext@presence@member@update", R"("member":{"info":"1"})");
    send(a, "ext@presence@member@update", R"("member":{"info":"2"})");
    for (int i = 0; i < 5; ++i) {
        send(a, "ext@presence@member@update", R"("member":{"info":"3"})");
        EXPECT_EQ(last_error(a), 45);
        EXPECT_EQ(a.last().member->info, "2");
    }
    EXPECT_EQ(a.closed, 0);
    EXPECT_EQ(engine.find_member(id_of(a))->info, "2");
    EXPECT_EQ(service->limits_hit().updates, 5u);
    send(a, "sgc@presence@get@members");
    EXPECT_EQ(a.last().method, Method::send_members);
}

TEST_F(LimitsTest, AConnectionIsClosedWhenItsGrantEnds) {
    start(no_limits());
    Grant g = team_grant();
    const auto now = std::chrono::system_clock::now();
    g.expires = now + std::chrono::seconds(60);
    join(a, g);
    service->end_grants(now);
    EXPECT_EQ(a.closed, 0);
    service->end_grants(now + std::chrono::seconds(61));
    EXPECT_EQ(a.closed, 1008);
    EXPECT_EQ(engine.find_member("alice"), nullptr) << "gone before the close";
    service->disconnect(a);
    service->end_grants(now + std::chrono::seconds(120));  // nothing left to end
    EXPECT_EQ(engine.find_member("alice"), nullptr);
}

}  // namespace
}  // namespace presence
