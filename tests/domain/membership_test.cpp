// SPDX-License-Identifier: Apache-2.0
// Joining, leaving, subscribing, publishing and listing members: the rules of the
// sgcWebSockets methods and their error codes, the server's hooks and notifications.
// The same over the wire: tests/interop/test_channels.py, test_publish.py, test_members.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "service_fixture.h"

namespace presence {
namespace {

class MembershipTest : public ServiceTest {
protected:
    void SetUp() override { start(); }
};

TEST_F(MembershipTest, AJoinIsAnnouncedToEveryMemberTheNewOneIncluded) {
    std::vector<std::string> joined;
    hooks.on_new_member = [&](const Member& m) { joined.push_back(m.id); };
    const std::string ann = join(a, "Ann");
    const std::string bob = join(b, "Bob");
    EXPECT_EQ(about(a, Method::member_new), (std::vector<std::string>{ann, bob}));
    EXPECT_EQ(about(b, Method::member_new), (std::vector<std::string>{bob}));
    EXPECT_EQ(b.last().member, (Member{bob, "Bob", ""}));
    EXPECT_EQ(joined, (std::vector<std::string>{ann, bob}));
}

TEST_F(MembershipTest, ASecondJoinIsError1AndAnnouncesNothing) {
    join(a);
    join(b);
    const std::size_t heard = b.frames.size();
    send_join(a, "again");
    EXPECT_EQ(a.last().method, Method::error_member_channel);
    EXPECT_EQ(last_error(a), 1);
    EXPECT_EQ(a.last().error->text, "Member already exists.");
    EXPECT_EQ(b.frames.size(), heard);
}

TEST_F(MembershipTest, AJoinWithAnotherIdIsError3AndNothingIsAnnounced) {
    join(b);
    connect(a);
    Message m = request(Method::member_new);
    m.member = Member{"someone-else", "Eve", ""};
    const std::size_t heard = b.frames.size();
    send(a, m);
    EXPECT_EQ(last_error(a), 3);
    EXPECT_EQ(engine.find_member("someone-else"), nullptr);
    EXPECT_EQ(engine.find_member(id_of(a)), nullptr);
    EXPECT_EQ(b.frames.size(), heard);
}

TEST_F(MembershipTest, AJoinRefusedByTheHookIsError2AboutTheWouldBeMember) {
    std::vector<int> reported;
    hooks.before_new_member = [](const Member& m) { return m.name != "Eve"; };
    hooks.on_error_member_channel = [&](const std::string&, const Member& m, int code, const std::string&) {
        EXPECT_EQ(m.name, "Eve");
        reported.push_back(code);
    };
    const std::string id = connect(a);
    send_join(a, "Eve");
    EXPECT_EQ(last_error(a), 2);
    EXPECT_EQ(a.last().member, (Member{id, "Eve", ""}));
    EXPECT_EQ(engine.find_member(id), nullptr);
    EXPECT_EQ(reported, (std::vector<int>{2}));
    send_join(a, "Ann");
    EXPECT_EQ(a.last().method, Method::member_new);
}

TEST_F(MembershipTest, ANameOrInfoOverTheLimitIsInvalidParams) {
    PresenceOptions o = open_options();
    o.max_name_bytes = 3;
    o.max_info_bytes = 4;
    start(o);
    const std::string id = connect(a);
    send_join(a, "Anna");
    EXPECT_EQ(last_error(a), -32602);
    EXPECT_EQ(a.last().error->text, "member.name is longer than 3 bytes");
    Message m = request(Method::member_new);
    m.member = Member{"", "Ann", "desk 4"};
    send(a, m);
    EXPECT_EQ(a.last().error->text, "member.info is longer than 4 bytes");
    EXPECT_EQ(engine.find_member(id), nullptr);
    send_join(a, "Ann");
    EXPECT_EQ(a.last().method, Method::member_new);
}

// Until it has joined, a connection is answered error 3 about its session id.
TEST_F(MembershipTest, RequestsBeforeJoiningAreError3) {
    const std::string id = connect(a);
    for (const Method method : {Method::channel_member_new, Method::channel_member_remove, Method::get_members,
                                Method::member_remove, Method::get_members_page, Method::get_count,
                                Method::get_users, Method::update_member, Method::channel_counts}) {
        send(a, method, "room", "1");
        EXPECT_EQ(a.last().method, Method::error_member_channel) << protocol::method_name(method);
        EXPECT_EQ(last_error(a), 3) << protocol::method_name(method);
        EXPECT_EQ(a.last().member, (Member{id, "", ""}));
    }
    publish(a, "room", "hello?");
    EXPECT_EQ(a.last().method, Method::error_publish_msg);
    EXPECT_EQ(last_error(a), 3);
    EXPECT_EQ(a.last().text, "hello?");
}

// A connection acts only as its own member: another id in a request changes nothing.
TEST_F(MembershipTest, ARequestInTheNameOfAnotherMemberIsError3) {
    join(a);
    const std::string bob = join(b);
    subscribe(b, "room");
    for (const Method method : {Method::channel_member_new, Method::channel_member_remove, Method::member_remove,
                                Method::publish_msg, Method::get_members}) {
        Message m = request(method, "room", "hi");
        m.member = Member{bob, "", ""};
        send(a, m);
        EXPECT_EQ(last_error(a), 3) << protocol::method_name(method);
    }
    EXPECT_TRUE(engine.is_subscribed("room", bob));
    EXPECT_NE(engine.find_member(bob), nullptr);
    EXPECT_EQ(engine.member_count("room"), 1u);
}

TEST_F(MembershipTest, ALeaveAnnouncesTheChannelsThenPresenceToTheLeaverToo) {
    std::vector<std::string> events;
    hooks.on_remove_channel_member = [&](const std::string& ch, const Member&) { events.push_back("left " + ch); };
    hooks.on_remove_channel = [&](const std::string& ch) { events.push_back("freed " + ch); };
    hooks.on_remove_member = [&](const Member&) { events.push_back("gone"); };
    const std::string ann = join(a);
    join(b);
    subscribe(a, "room");
    subscribe(b, "room");
    subscribe(a, "solo");
    const std::size_t before = b.frames.size();
    send(a, Method::member_remove);
    ASSERT_EQ(b.frames.size(), before + 2) << "b is not in solo";
    EXPECT_EQ(b.frames[before].method, Method::channel_member_remove);
    EXPECT_EQ(b.frames[before].channel, "room");
    EXPECT_EQ(b.frames[before + 1].method, Method::member_remove);
    EXPECT_EQ(b.frames[before + 1].member->id, ann);
    EXPECT_EQ(a.last().method, Method::member_remove);
    EXPECT_EQ(a.of(Method::channel_member_remove).size(), 2u);
    EXPECT_EQ(events, (std::vector<std::string>{"left room", "left solo", "freed solo", "gone"}));
    EXPECT_EQ(engine.find_member(ann), nullptr);
    EXPECT_FALSE(engine.channel_exists("solo"));
    EXPECT_EQ(engine.member_count("room"), 1u);
}

TEST_F(MembershipTest, AfterLeavingAConnectionMayJoinAgainWithTheSameId) {
    const std::string id = join(a, "Ann");
    send(a, Method::member_remove);
    EXPECT_EQ(a.closed, 0);
    send_join(a, "Ann again");
    EXPECT_EQ(a.last().method, Method::member_new);
    EXPECT_EQ(a.last().member, (Member{id, "Ann again", ""}));
}

TEST_F(MembershipTest, ASubscriptionIsAnnouncedToTheChannelsMembersOnly) {
    const std::string ann = join(a);
    const std::string bob = join(b);
    join(c);
    subscribe(a, "room");
    const std::size_t outside = c.frames.size();
    subscribe(b, "room");
    EXPECT_EQ(about(a, Method::channel_member_new), (std::vector<std::string>{ann, bob}));
    EXPECT_EQ(about(b, Method::channel_member_new), (std::vector<std::string>{bob}));
    EXPECT_EQ(b.last().channel, "room");
    EXPECT_EQ(b.last().member->name, "n");
    EXPECT_EQ(c.frames.size(), outside);
}

TEST_F(MembershipTest, ASubscribeNeedsAChannelNameWithinTheLimit) {
    PresenceOptions o = open_options();
    o.max_channel_bytes = 4;
    start(o);
    join(a);
    send(a, Method::channel_member_new);
    EXPECT_EQ(last_error(a), -32602);
    EXPECT_EQ(a.last().error->text, "channel.name is required");
    subscribe(a, "");
    EXPECT_EQ(last_error(a), -32602);
    subscribe(a, "lobby");
    EXPECT_EQ(a.last().error->text, "channel.name is longer than 4 bytes");
    EXPECT_EQ(engine.count_channels(), 0u);
    subscribe(a, "room");
    EXPECT_EQ(a.last().method, Method::channel_member_new);
}

TEST_F(MembershipTest, ARepeatedSubscribeIsError11AndAnnouncedOnce) {
    join(a);
    join(b);
    subscribe(a, "room");
    subscribe(b, "room");
    const std::size_t heard = b.frames.size();
    subscribe(a, "room");
    EXPECT_EQ(last_error(a), 11);
    EXPECT_EQ(a.last().channel, "room");
    EXPECT_EQ(b.frames.size(), heard);
    EXPECT_EQ(engine.member_count("room"), 2u);
}

// The before-new-channel hook runs for a channel's creation only: again once it was freed.
TEST_F(MembershipTest, CreatingAChannelRefusedByTheHookIsError6) {
    std::vector<std::string> asked;
    bool allow = true;
    hooks.before_new_channel = [&](const std::string& channel, const Member&) {
        asked.push_back(channel);
        return allow;
    };
    join(a);
    join(b);
    subscribe(a, "room");
    allow = false;
    subscribe(b, "room");
    EXPECT_EQ(b.last().method, Method::channel_member_new) << "the channel exists: no creation to refuse";
    subscribe(b, "other");
    EXPECT_EQ(last_error(b), 6);
    EXPECT_FALSE(engine.channel_exists("other"));
    unsubscribe(a, "room");
    unsubscribe(b, "room");
    subscribe(a, "room");
    EXPECT_EQ(last_error(a), 6);
    EXPECT_EQ(asked, (std::vector<std::string>{"room", "other", "room"}));
}

TEST_F(MembershipTest, ASubscriptionRefusedByTheHookIsError10) {
    hooks.before_new_channel_member = [](const std::string& channel, const Member&) { return channel != "vip"; };
    const std::string ann = join(a);
    subscribe(a, "vip");
    EXPECT_EQ(last_error(a), 10);
    EXPECT_EQ(a.last().error->text, "Create Subscription request has been denied.");
    EXPECT_FALSE(engine.is_subscribed("vip", ann));
    subscribe(a, "room");
    EXPECT_TRUE(engine.is_subscribed("room", ann));
}

TEST_F(MembershipTest, ChannelNotificationsFollowCreationSubscriptionAndRelease) {
    std::vector<std::string> events;
    hooks.on_new_channel = [&](const std::string& ch) { events.push_back("new " + ch); };
    hooks.on_new_channel_member = [&](const std::string& ch, const Member& m) {
        events.push_back("in " + ch + " " + m.name);
    };
    hooks.on_remove_channel_member = [&](const std::string& ch, const Member& m) {
        events.push_back("out " + ch + " " + m.name);
    };
    hooks.on_remove_channel = [&](const std::string& ch) { events.push_back("freed " + ch); };
    join(a, "A");
    join(b, "B");
    subscribe(a, "room");
    subscribe(b, "room");
    unsubscribe(a, "room");
    unsubscribe(b, "room");
    EXPECT_EQ(events, (std::vector<std::string>{"new room", "in room A", "in room B", "out room A", "out room B",
                                                "freed room"}));
}

TEST_F(MembershipTest, AnUnsubscribeIsAnnouncedToTheChannelTheLeaverIncluded) {
    join(a);
    const std::string bob = join(b);
    join(c);
    subscribe(a, "room");
    subscribe(b, "room");
    const std::size_t outside = c.frames.size();
    unsubscribe(b, "room");
    EXPECT_EQ(about(a, Method::channel_member_remove), (std::vector<std::string>{bob}));
    EXPECT_EQ(about(b, Method::channel_member_remove), (std::vector<std::string>{bob}));
    EXPECT_EQ(c.frames.size(), outside);
    EXPECT_FALSE(engine.is_subscribed("room", bob));
}

TEST_F(MembershipTest, UnsubscribeErrors) {
    join(a);
    join(b);
    subscribe(b, "room");
    send(a, Method::channel_member_remove);
    EXPECT_EQ(last_error(a), -32602);
    unsubscribe(a, "nowhere");
    EXPECT_EQ(last_error(a), 5);
    EXPECT_EQ(a.last().error->text, "Channel not exists");
    unsubscribe(a, "room");
    EXPECT_EQ(last_error(a), 12);
    EXPECT_EQ(engine.member_count("room"), 1u);
}

TEST_F(MembershipTest, APublishReachesTheChannelsMembersAsTheServerKnowsTheSender) {
    const std::string ann = join(a, "Ann");
    join(b);
    join(c);
    subscribe(a, "room");
    subscribe(b, "room");
    Message m = request(Method::publish_msg, "room", "hello, room");
    m.member = Member{"", "Mallory", "forged"};
    send(a, m);
    for (const RecordingLink* link : {&a, &b}) {
        ASSERT_EQ(link->last().method, Method::publish_msg);
        EXPECT_EQ(link->last().member, (Member{ann, "Ann", ""}));
        EXPECT_EQ(link->last().channel, "room");
        EXPECT_EQ(link->last().text, "hello, room");
    }
    EXPECT_TRUE(c.of(Method::publish_msg).empty());
}

TEST_F(MembershipTest, APublishToNoChannelReachesEveryMemberAndAnEmptyTextIsAllowed) {
    join(a);
    join(b);
    publish(a, "", "");
    ASSERT_EQ(b.of(Method::publish_msg).size(), 1u);
    EXPECT_EQ(b.last().text, "");
    EXPECT_EQ(a.last().method, Method::publish_msg);
}

// Publish errors come as error@publish@msg, with the text the request carried.
TEST_F(MembershipTest, PublishErrors) {
    std::vector<int> reported;
    hooks.on_error_publish_msg = [&](const std::string&, const Member&, int code, const std::string&) {
        reported.push_back(code);
    };
    join(a);
    join(b);
    subscribe(b, "room");
    send(a, Method::publish_msg, "room");
    EXPECT_EQ(last_error(a), -32602);
    EXPECT_EQ(a.last().error->text, "message.text is required");
    publish(a, "nowhere", "t1");
    EXPECT_EQ(last_error(a), 5);
    publish(a, "room", "t2");
    EXPECT_EQ(last_error(a), 12);
    EXPECT_EQ(a.last().method, Method::error_publish_msg);
    EXPECT_EQ(a.last().channel, "room");
    EXPECT_EQ(a.last().text, "t2");
    EXPECT_EQ(reported, (std::vector<int>{-32602, 5, 12}));
    EXPECT_TRUE(b.of(Method::publish_msg).empty());
}

TEST_F(MembershipTest, APublishRefusedByTheHookIsError20) {
    std::vector<std::string> seen;
    hooks.before_publish = [&](const std::string& channel, const Member&, const std::string& text) {
        seen.push_back(channel + ":" + text);
        return text != "spam";
    };
    join(a);
    join(b);
    subscribe(a, "room");
    subscribe(b, "room");
    publish(a, "room", "spam");
    EXPECT_EQ(last_error(a), 20);
    EXPECT_EQ(a.last().text, "spam");
    EXPECT_TRUE(b.of(Method::publish_msg).empty());
    publish(a, "room", "ham");
    EXPECT_EQ(b.last().text, "ham");
    EXPECT_EQ(seen, (std::vector<std::string>{"room:spam", "room:ham"}));
}

TEST_F(MembershipTest, MembersAreListedToTheRequesterOnly) {
    const std::string ann = join(a, "Ann");
    const std::string bob = join(b, "Bob");
    const std::string cid = join(c, "Cid");
    subscribe(b, "room");
    subscribe(c, "room");
    const std::size_t heard = b.frames.size();
    send(a, Method::get_members, "room");
    const Message& list = a.last();
    ASSERT_EQ(list.method, Method::send_members) << "not subscribed, and allowed";
    EXPECT_EQ(list.member, (Member{ann, "Ann", ""}));
    EXPECT_EQ(list.channel, "room");
    std::vector<std::string> listed = ids(list);
    std::sort(listed.begin(), listed.end());
    std::vector<std::string> expected{bob, cid};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(listed, expected);
    EXPECT_EQ(b.frames.size(), heard);
    send(a, Method::get_members);
    EXPECT_EQ(a.last().members->size(), 3u) << "no channel: every member";
    EXPECT_EQ(a.last().channel, "");
}

TEST_F(MembershipTest, ListingErrors) {
    bool allow = false;
    hooks.before_send_members = [&](const std::string&, const Member&) { return allow; };
    join(a);
    join(b);
    subscribe(b, "room");
    send(a, Method::get_members, "nowhere");
    EXPECT_EQ(last_error(a), 5);
    send(a, Method::get_members, "room");
    EXPECT_EQ(last_error(a), 30);
    EXPECT_EQ(a.last().error->text, "Send Members request has been denied.");
    allow = true;
    send(a, Method::get_members, "room");
    EXPECT_EQ(a.last().method, Method::send_members);
}

TEST_F(MembershipTest, AServerBroadcastHasAnEmptyMemberAndRefusesNonUtf8) {
    join(a);
    join(b);
    subscribe(a, "room");
    EXPECT_TRUE(service->broadcast("news", "room"));
    ASSERT_EQ(a.of(Method::publish_msg).size(), 1u);
    EXPECT_EQ(a.last().member, (Member{"", "", ""}));
    EXPECT_EQ(a.last().text, "news");
    EXPECT_TRUE(b.of(Method::publish_msg).empty());
    EXPECT_FALSE(service->broadcast("bad \xff", ""));
    EXPECT_FALSE(service->broadcast("ok", "bad \xc3"));
    EXPECT_EQ(a.of(Method::publish_msg).size(), 1u);
    EXPECT_TRUE(service->broadcast("everyone", ""));
    EXPECT_EQ(b.last().text, "everyone");
}

TEST_F(MembershipTest, MethodsOnlyTheServerSendsAreRefused) {
    join(a);
    for (const Method method : {Method::session, Method::send_members, Method::error_member_channel,
                                Method::diff, Method::count, Method::users, Method::members_page}) {
        send(a, method, "room", "x");
        EXPECT_EQ(last_error(a), -32601) << protocol::method_name(method);
    }
    service->receive(a, "not json");
    EXPECT_EQ(last_error(a), -32700);
    service->receive(a, R"({"jsonrpc":"1.0","method":"sgc@presence@get@members"})");
    EXPECT_EQ(last_error(a), -32600);
    service->receive(a, request_frame("sgc@presence@nothing"));
    EXPECT_EQ(last_error(a), -32601);
    EXPECT_EQ(a.closed, 0);
}

TEST_F(MembershipTest, APingIsAnsweredWithAPong) {
    connect(a);
    send(a, Method::ping);
    EXPECT_EQ(a.last().method, Method::pong);
}

// Publishing to a channel takes being allowed to join it as well as to publish to it.
TEST_F(MembershipTest, AGrantToPublishIsNotEnoughWithoutOneToJoin) {
    Grant g;
    g.restricted = true;
    g.join = {"room"};
    g.publish = {"room", "news"};
    g.info = "from the token";
    const std::string id = connect(a, g);
    Message m = request(Method::member_new);
    m.member = Member{"", "Ann", "mine"};
    send(a, m);
    EXPECT_EQ(engine.find_member(id)->info, "from the token");
    join(b);
    subscribe(b, "news");
    publish(a, "news");
    EXPECT_EQ(last_error(a), 20);
    subscribe(a, "room");
    publish(a, "room");
    EXPECT_EQ(a.last().method, Method::publish_msg);
}

}  // namespace
}  // namespace presence
