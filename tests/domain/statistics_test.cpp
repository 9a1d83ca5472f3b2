// SPDX-License-Identifier: Apache-2.0
// What the presence rules count for operators: the errors answered by code, the members'
// activity and the limits hit. The admin API and metrics that show them are tested in
// tests/server/operations_test.cpp.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "service_fixture.h"

namespace presence {
namespace {

class StatisticsTest : public ServiceTest {
protected:
    void SetUp() override { start(); }

    // Every code answered at least once, and how often.
    std::map<int, std::uint64_t> answered() const {
        std::map<int, std::uint64_t> counts;
        const auto& errors = service->errors_answered();
        for (std::size_t i = 0; i < errors.codes.size(); ++i)
            if (errors.at(i) != 0) counts[static_cast<int>(errors.codes[i])] = errors.at(i);
        return counts;
    }
};

TEST_F(StatisticsTest, ErrorsAnsweredAreCountedByCode) {
    connect(a);
    subscribe(a, "room");          // 3
    publish(a, "room");            // 3, as a publish error
    join(b);
    subscribe(b, "room");
    subscribe(b, "room");          // 11
    unsubscribe(b, "nowhere");     // 5
    publish(b, "other");           // 5
    subscribe(b, "");              // -32602
    service->receive(b, "{");     // -32700
    invite(b, "room", {"x", "y"});  // 3, once for the invitation
    EXPECT_EQ(answered(), (std::map<int, std::uint64_t>{{3, 3}, {5, 2}, {11, 1}, {-32602, 1}, {-32700, 1}}));
}

TEST_F(StatisticsTest, RefusalsOfTheHooksAreCounted) {
    const auto no = [](auto&&...) { return false; };
    hooks.before_new_channel = no;
    hooks.before_send_members = no;
    hooks.before_invite = no;
    join(a);
    const std::string bob = join(b);
    subscribe(a, "room");                  // 6
    send(a, Method::get_members);          // 30
    invite(a, "room", {bob});              // 40
    hooks.before_new_member = no;
    connect(c);
    send_join(c);                          // 2
    EXPECT_EQ(answered(), (std::map<int, std::uint64_t>{{2, 1}, {6, 1}, {30, 1}, {40, 1}}));
}

TEST_F(StatisticsTest, AnErrorNotAnsweredIsNotCounted) {
    join(a);
    send(a, Method::get_members);
    publish(a, "");
    EXPECT_TRUE(answered().empty());
}

TEST_F(StatisticsTest, ActivityCountsJoinsLeavesAndPublishes) {
    PresenceService::Activity expected;
    join(a);
    join(b);
    join(c);
    expected.joins = 3;
    EXPECT_EQ(service->activity(), expected);
    subscribe(a, "room");
    publish(a, "room");
    publish(a, "");
    publish(a, "nowhere");  // refused: not counted
    EXPECT_TRUE(service->broadcast("news", ""));
    expected.publishes = 3;
    EXPECT_EQ(service->activity(), expected);
    send(a, Method::member_remove);
    service->disconnect(b);
    EXPECT_TRUE(service->close_connection(id_of(c), 4000, "bye"));
    expected.leaves = 3;
    EXPECT_EQ(service->activity(), expected);
    send_join(a);
    connect(d);
    send_join(d, std::string(300, 'x'));  // refused: not counted
    expected.joins = 4;
    EXPECT_EQ(service->activity(), expected);
}

// A member leaves the same way when its grace or its grant ends: counted once.
TEST_F(StatisticsTest, LeavesAtTheEndOfAGraceOrAGrantAreCountedOnce) {
    join(a, "n", {}, "resume");
    service->lose(a);
    EXPECT_EQ(service->activity().leaves, 0u);
    service->expire(later());
    EXPECT_EQ(service->activity().leaves, 1u);
    const auto now = std::chrono::system_clock::now();
    Grant g;
    g.expires = now + std::chrono::minutes(1);
    connect(b, g);
    send_join(b);
    service->end_grants(now + std::chrono::minutes(2));
    service->disconnect(b);
    EXPECT_EQ(service->activity().leaves, 2u);
}

TEST_F(StatisticsTest, EveryLimitHitIsCountedUnderItsName) {
    PresenceOptions o = open_options();
    o.max_channels_per_member = 1;
    o.max_channel_members = 1;
    o.max_invitations_per_minute = 1;
    o.max_invitations_received_per_minute = 1;
    o.max_info_updates_per_second = 0.001;
    o.info_update_burst = 1;
    start(o);
    join(a);
    const std::string bob = join(b);
    join(c);
    subscribe(a, "one");
    subscribe(a, "two");   // channels
    subscribe(b, "one");   // channel_full
    invite(a, "x", {bob});
    invite(a, "y", {bob});  // invitations
    invite(c, "z", {bob});  // invitations_received
    update(a, "m", std::nullopt);
    update(a, "n", std::nullopt);  // updates
    LimitsHit expected;
    expected.channels = 1;
    expected.channel_full = 1;
    expected.invitations = 1;
    expected.invitations_received = 1;
    expected.updates = 1;
    EXPECT_EQ(service->limits_hit(), expected);
    EXPECT_EQ(answered(), (std::map<int, std::uint64_t>{{42, 1}, {43, 1}, {44, 1}, {45, 1}}));
}

TEST_F(StatisticsTest, RequestsOverTheRateAreCountedAsALimitAndAnError) {
    PresenceOptions o = open_options();
    o.max_requests_per_second = 0.001;
    o.request_burst = 2;
    start(o);
    join(a);
    send(a, Method::get_members);
    send(a, Method::get_members);
    send(a, Method::get_members);
    EXPECT_EQ(service->limits_hit().requests, 2u);
    EXPECT_EQ(answered(), (std::map<int, std::uint64_t>{{41, 2}}));
}

TEST_F(StatisticsTest, StatisticsSumOverServices) {
    PresenceService::ErrorsAnswered one, two;
    one.count(ErrorCode::channel_full);
    two.count(ErrorCode::channel_full);
    two.count(ErrorCode::parse_error);
    one += two;
    std::size_t full = 0, parse = 0;
    for (std::size_t i = 0; i < one.codes.size(); ++i) {
        if (one.codes[i] == ErrorCode::channel_full) full = i;
        if (one.codes[i] == ErrorCode::parse_error) parse = i;
    }
    EXPECT_EQ(one.at(full), 2u);
    EXPECT_EQ(one.at(parse), 1u);
    PresenceService::Activity sum{1, 2, 3};
    sum += PresenceService::Activity{10, 20, 30};
    EXPECT_EQ(sum, (PresenceService::Activity{11, 22, 33}));
    LimitsHit hits;
    hits.requests = 1;
    LimitsHit more;
    more.requests = 2;
    more.state_budget = 5;
    hits += more;
    EXPECT_EQ(hits.requests, 3u);
    EXPECT_EQ(hits.state_budget, 5u);
}

}  // namespace
}  // namespace presence
