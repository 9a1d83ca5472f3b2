// SPDX-License-Identifier: Apache-2.0
#include "engine/redis/redis_events.h"

#include <gtest/gtest.h>

namespace presence::redis {
namespace {

using Type = Event::Type;
using Target = Event::Target;

Frame frame_of(std::string bytes, std::string ack = {}) {
    Frame f;
    f.bytes = std::move(bytes);
    f.ack_id = std::move(ack);
    return f;
}

TEST(RedisEvents, JoinCarriesTheWholeMember) {
    const Member m{"id-1", "Ann \"A\"\nSmith", "info with spaces\n and newline"};
    const std::string payload = join_event("node-1", member_json(m), frame_of("announce\n", "ack-0"));
    const auto e = parse_event(payload);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->type, Type::join);
    EXPECT_EQ(e->node, "node-1");
    EXPECT_EQ(e->ack_id, "ack-0");
    EXPECT_EQ(e->body, "announce\n");
    const auto back = member_from_json(e->member);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->id, m.id);
    EXPECT_EQ(back->name, m.name);
    EXPECT_EQ(back->info, m.info);
}

TEST(RedisEvents, UpdateCarriesTheMemberAsItIsNow) {
    const Member m{"id-1", "Annie", "away\n now"};
    const std::string payload = update_event("node-1", member_json(m), frame_of("updated", "ack-1"));
    const auto e = parse_event(payload);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->type, Type::update);
    EXPECT_EQ(e->node, "node-1");
    EXPECT_EQ(e->ack_id, "ack-1");
    EXPECT_EQ(e->body, "updated");
    EXPECT_EQ(member_from_json(e->member), m);
}

TEST(RedisEvents, LeaveNamesTheMember) {
    const std::string payload = leave_event("n", "id-7", frame_of("bye"));
    const auto e = parse_event(payload);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->type, Type::leave);
    EXPECT_EQ(e->member_id, "id-7");
    EXPECT_EQ(e->ack_id, "");
    EXPECT_EQ(e->body, "bye");
}

TEST(RedisEvents, SubscriptionsKeepChannelsWithSpacesAndNewlines) {
    for (const Type type : {Type::subscribe, Type::unsubscribe}) {
        const std::string payload =
            subscription_event(type, "n", "id-2", "a room\nwith lines ", frame_of("{}", "ack-9"));
        const auto e = parse_event(payload);
        ASSERT_TRUE(e);
        EXPECT_EQ(e->type, type);
        EXPECT_EQ(e->member_id, "id-2");
        EXPECT_EQ(e->channel, "a room\nwith lines ");
        EXPECT_EQ(e->ack_id, "ack-9");
        EXPECT_EQ(e->body, "{}");
    }
}

TEST(RedisEvents, FramesToEveryoneToAChannelAndToAMember) {
    const Frame f = frame_of("{\"jsonrpc\":\"2.0\"}\n", "ack-1");
    // An event points into its payload, which must outlive it.
    const std::string all_payload = frame_event("n", Target::everyone, "", f);
    const auto all = parse_event(all_payload);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->type, Type::frame);
    EXPECT_EQ(all->target, Target::everyone);
    EXPECT_EQ(all->ack_id, "ack-1");
    EXPECT_EQ(all->body, f.bytes);

    const std::string room_payload = frame_event("n", Target::channel, "r 1\n", frame_of("x"));
    const auto room = parse_event(room_payload);
    ASSERT_TRUE(room);
    EXPECT_EQ(room->target, Target::channel);
    EXPECT_EQ(room->channel, "r 1\n");
    EXPECT_EQ(room->ack_id, "");
    EXPECT_EQ(room->body, "x");

    const std::string one_payload = frame_event("n", Target::member, "id-3", frame_of("y"));
    const auto one = parse_event(one_payload);
    ASSERT_TRUE(one);
    EXPECT_EQ(one->target, Target::member);
    EXPECT_EQ(one->member_id, "id-3");
    EXPECT_EQ(one->body, "y");
}

TEST(RedisEvents, InvitationsCarryInviterChannelAndWhetherToAnswer) {
    Frame f = frame_of("bytes", "ack-2");
    f.invitation = Invitation{"inviter-1", "the room", true};
    const std::string payload = frame_event("n", Target::member, "invitee-1", f);
    const auto e = parse_event(payload);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->type, Type::frame);
    EXPECT_EQ(e->member_id, "invitee-1");
    EXPECT_EQ(e->ack_id, "ack-2");
    EXPECT_EQ(e->body, "bytes");
    const auto carried = redis::frame_of(*e);
    ASSERT_TRUE(carried->invitation);
    EXPECT_EQ(carried->invitation->inviter_id, "inviter-1");
    EXPECT_EQ(carried->invitation->channel, "the room");
    EXPECT_TRUE(carried->invitation->wants_answer);
    EXPECT_EQ(carried->ack_id, "ack-2");
    EXPECT_EQ(carried->bytes, "bytes");
}

// What a frame is to each recipient travels untouched, whatever the event: the node that
// takes it in delivers it as the sender's node did.
TEST(RedisEvents, AFrameArrivesWithItsDelivery) {
    Frame f = frame_of("{\"a\":1}", "ack-3");
    f.view = View::change;
    f.about = "id-4";
    f.channel = "a room:7\n";
    f.of_user = true;
    for (const std::string& payload :
         {join_event("n", member_json({"id-4", "x", ""}), f), leave_event("n", "id-4", f),
          update_event("n", member_json({"id-4", "x", ""}), f),
          subscription_event(Type::subscribe, "n", "id-4", "a room:7\n", f),
          frame_event("n", Target::channel, "a room:7\n", f)}) {
        const auto e = parse_event(payload);
        ASSERT_TRUE(e) << payload;
        const auto carried = redis::frame_of(*e);
        EXPECT_EQ(carried->bytes, f.bytes) << payload;
        EXPECT_EQ(carried->ack_id, f.ack_id);
        EXPECT_EQ(carried->view, View::change);
        EXPECT_EQ(carried->about, "id-4");
        EXPECT_EQ(carried->channel, "a room:7\n");
        EXPECT_TRUE(carried->of_user);
        EXPECT_FALSE(carried->invitation);
    }
    const std::string plain = frame_event("n", Target::everyone, "", frame_of("p"));
    const auto publish = redis::frame_of(*parse_event(plain));
    EXPECT_EQ(publish->view, View::any);
    EXPECT_EQ(publish->bytes, "p");
}

TEST(RedisEvents, RegisteredAndDead) {
    const std::string registered = registered_event("n-1");
    const auto r = parse_event(registered);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->type, Type::registered);
    const std::string dead = dead_event("n-1", "n-2");
    const auto d = parse_event(dead);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->type, Type::dead);
    EXPECT_EQ(d->node, "n-1");
    EXPECT_EQ(d->reaper, "n-2");
}

TEST(RedisEvents, MalformedPayloadsAreRefused) {
    for (const std::string_view bad :
         {"", "J", "Jx n", "X n", "J n -", "J n - 9\n{}", "M n -", "M n - 9\n{}", "L n", "L n a", "L n a b c",
          "S n a -", "S n a - 5\nab", "F n - c", "F n - c 99\nabc", "F n - z 0\n", "F n - c x\n",
          "I n - a b 2 0\n", "I n - a b 1 9\nab", "D n", "D n m\nbody", "R n\nbody",
          // a delivery tag too long for the body, or not one the domain writes
          "F n - a 0 9\nc0", "F n - a 0 2\nzz", "F n - a 0 6\nc01:a0", "L n a - 3\nc0x"}) {
        EXPECT_FALSE(parse_event(bad)) << bad;
    }
}

TEST(RedisEvents, MemberJsonMustHoldAnIdAndStrings) {
    EXPECT_FALSE(member_from_json("not json"));
    EXPECT_FALSE(member_from_json("[]"));
    EXPECT_FALSE(member_from_json(R"({"id":"","name":"","info":""})"));
    EXPECT_FALSE(member_from_json(R"({"id":"a","name":1,"info":""})"));
    EXPECT_TRUE(member_from_json(R"({"id":"a","name":"","info":""})"));
}

}  // namespace
}  // namespace presence::redis
