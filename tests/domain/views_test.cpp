// SPDX-License-Identifier: Apache-2.0
// What a connection asks to see of presence: the hello that names the extensions, diffs,
// counts and counts only, the users extension, pages of members and member updates.
// Times are passed explicitly: diffs at next_flush(), users' leaves once their grace is
// over. The wire: tests/server/large_rooms_test.cpp, users_test.cpp, member_update_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "service_fixture.h"

namespace presence {
namespace {

using namespace std::chrono_literals;

class ViewsTest : public ServiceTest {
protected:
    void SetUp() override { start(); }

    // The diff of `channel` that `link` was sent; fails the test when there is not one.
    static Message diff_of(const RecordingLink& link, const std::string& channel) {
        std::vector<Message> found;
        for (const Message& m : link.of(Method::diff))
            if (m.channel == channel) found.push_back(m);
        EXPECT_EQ(found.size(), 1u) << "diffs of '" << channel << "'";
        return found.empty() ? Message{} : found[0];
    }
    static std::vector<std::string> sorted(std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
    }
};

// --- Hello -----------------------------------------------------------------------------

TEST_F(ViewsTest, HelloNamesTheServersFeaturesAndTheAskedExtensionsOnly) {
    connect(a);
    hello(a, "invitation-response");
    EXPECT_EQ(a.of(Method::hello).back().text, "invitation-response,heartbeat,resume");
    connect(b);
    hello(b, "member-pages,diffs,users,updates,teleport");
    EXPECT_EQ(b.of(Method::hello).back().text,
              "invitation-response,heartbeat,resume,member-pages,diffs,users,updates");
}

TEST_F(ViewsTest, HelloLeavesOutWhatTheOperatorTurnedOff) {
    PresenceOptions o = open_options();
    o.diff_interval = 0ms;
    o.resume.grace = 0ms;
    start(o);
    connect(a);
    hello(a, "diffs,resume,users");
    EXPECT_EQ(a.last().text, "invitation-response,heartbeat,users");
    EXPECT_TRUE(a.of(Method::resume_token).empty());
}

TEST_F(ViewsTest, WithoutDiffsEachChangeIsAnnouncedAtOnce) {
    PresenceOptions o = open_options();
    o.diff_interval = 0ms;
    start(o);
    join(a, "Ann", {}, "diffs");
    const std::string bob = join(b);
    EXPECT_EQ(a.last().method, Method::member_new);
    EXPECT_EQ(a.last().member->id, bob);
    EXPECT_FALSE(service->next_flush());
}

// --- Diffs -----------------------------------------------------------------------------

TEST_F(ViewsTest, DiffsReplaceTheAnnouncementsOfOthersNotOfOneself) {
    const std::string ann = join(a, "Ann", {}, "diffs");
    subscribe(a, "room");
    EXPECT_EQ(about(a, Method::member_new), (std::vector<std::string>{ann}));
    EXPECT_EQ(about(a, Method::channel_member_new), (std::vector<std::string>{ann}));
    flush_diffs();
    a.frames.clear();
    const std::string bob = join(b);
    subscribe(b, "room");
    const std::string cid = join(c);
    EXPECT_TRUE(a.frames.empty());
    flush_diffs();
    const Message everyone = diff_of(a, "");
    EXPECT_EQ(everyone.text, "2 3");
    EXPECT_EQ(ids(everyone), (std::vector<std::string>{bob, cid}));
    const Message room = diff_of(a, "room");
    EXPECT_EQ(room.text, "1 2");
    EXPECT_EQ(ids(room), (std::vector<std::string>{bob}));
    EXPECT_FALSE(service->next_flush());
}

TEST_F(ViewsTest, ADiffListsTheJoinedFirstThenTheLeft) {
    join(a, "Ann", {}, "diffs");
    join(b);
    flush_diffs();
    a.frames.clear();
    const std::string cid = join(c);
    service->disconnect(b);
    const std::string bob = id_of(b);
    flush_diffs();
    const Message diff = diff_of(a, "");
    EXPECT_EQ(diff.text, "1 2");
    EXPECT_EQ(ids(diff), (std::vector<std::string>{cid, bob}));
}

TEST_F(ViewsTest, AJoinThenALeaveWithinOneIntervalCancelOut) {
    join(a, "Ann", {}, "diffs");
    flush_diffs();
    a.frames.clear();
    join(b);
    send(b, Method::member_remove);
    service->flush_views(later());
    EXPECT_TRUE(a.of(Method::diff).empty());
    const std::string cid = join(c);
    flush_diffs();
    EXPECT_EQ(ids(diff_of(a, "")), (std::vector<std::string>{cid}));
}

// The member may have come back with another name: the diff has it in both lists.
TEST_F(ViewsTest, ALeaveThenAJoinStayBoth) {
    join(a, "Ann", {}, "diffs");
    const std::string bob = join(b, "Bob");
    flush_diffs();
    a.frames.clear();
    send(b, Method::member_remove);
    send_join(b, "Robert");
    flush_diffs();
    const Message diff = diff_of(a, "");
    EXPECT_EQ(diff.text, "1 2");
    ASSERT_EQ(diff.members->size(), 2u);
    EXPECT_EQ((*diff.members)[0], (Member{bob, "Robert", ""}));
    EXPECT_EQ((*diff.members)[1], (Member{bob, "Bob", ""}));
}

// A list is never older than the diffs that follow it.
TEST_F(ViewsTest, AListIsPrecededByItsChannelsPendingDiff) {
    join(a, "Ann", {}, "diffs");
    subscribe(a, "room");
    flush_diffs();
    a.frames.clear();
    join(b);
    subscribe(b, "room");
    send(a, Method::get_members, "room");
    ASSERT_EQ(a.frames.size(), 2u);
    EXPECT_EQ(a.frames[0].method, Method::diff);
    EXPECT_EQ(a.frames[0].channel, "room");
    EXPECT_EQ(a.frames[1].method, Method::send_members);
    EXPECT_TRUE(service->next_flush()) << "the diff of presence as a whole still waits";
    flush_diffs();
    EXPECT_EQ(a.of(Method::diff).size(), 2u);
}

TEST_F(ViewsTest, AnotherMembersDiffsChangeNothingForAClientThatDidNotAsk) {
    join(a, "Ann", {}, "diffs");
    const std::string bob = join(b);
    const std::string cid = join(c);
    EXPECT_EQ(about(b, Method::member_new), (std::vector<std::string>{bob, cid}));
    flush_diffs();
    EXPECT_TRUE(b.of(Method::diff).empty());
}

// --- Counts ----------------------------------------------------------------------------

TEST_F(ViewsTest, ACountIsOfTheChannelOfEveryMemberOrZero) {
    join(a);
    join(b);
    subscribe(b, "room");
    send(a, Method::get_count, "room");
    EXPECT_EQ(a.last().method, Method::count);
    EXPECT_EQ(a.last().channel, "room");
    EXPECT_EQ(a.last().text, "1");
    send(a, Method::get_count);
    EXPECT_EQ(a.last().text, "2");
    send(a, Method::get_count, "nowhere");
    EXPECT_EQ(a.last().text, "0");
}

TEST_F(ViewsTest, ACountsOnlyChannelSendsCountsInsteadOfItsMembers) {
    const std::string ann = join(a);
    subscribe(a, "stage");
    send(a, Method::channel_counts, "stage", "on");
    EXPECT_EQ(a.last().method, Method::count);
    EXPECT_EQ(a.last().text, "1");
    a.frames.clear();
    const std::string bob = join(b);
    subscribe(b, "stage");
    EXPECT_EQ(about(a, Method::member_new), (std::vector<std::string>{bob})) << "presence is not counts only";
    EXPECT_TRUE(a.of(Method::channel_member_new).empty());
    flush_diffs();
    ASSERT_EQ(a.of(Method::count).size(), 1u);
    EXPECT_EQ(a.last().channel, "stage");
    EXPECT_EQ(a.last().text, "2");
    EXPECT_TRUE(a.of(Method::diff).empty());

    send(a, Method::channel_counts, "stage", "off");
    EXPECT_EQ(a.last().method, Method::count);
    const std::string cid = join(c);
    subscribe(c, "stage");
    EXPECT_EQ(about(a, Method::channel_member_new), (std::vector<std::string>{cid}));
}

TEST_F(ViewsTest, CountsOnlyWantsOnOrOff) {
    join(a);
    send(a, Method::channel_counts, "stage", "yes");
    EXPECT_EQ(last_error(a), -32602);
    EXPECT_EQ(a.last().error->text, "message.text must be \"on\" or \"off\"");
    send(a, Method::channel_counts, "stage");
    EXPECT_EQ(last_error(a), -32602);
    join(b);
    subscribe(b, "stage");
    EXPECT_EQ(a.of(Method::channel_member_new).size(), 0u);
    EXPECT_FALSE(service->next_flush()) << "nobody takes counts";
}

// --- Users -----------------------------------------------------------------------------

class UserViewsTest : public ViewsTest {};

TEST_F(UserViewsTest, AUsersFirstJoinAndLastLeaveAreToldOnce) {
    const std::string ann = join(a, "Ann", {}, "users");
    subscribe(a, "room");
    const std::string tab1 = join(b, "Bo", "bo");
    subscribe(b, "room");
    join(c, "Bo", "bo");
    subscribe(c, "room");
    EXPECT_EQ(about(a, Method::member_new), (std::vector<std::string>{ann, tab1}));
    EXPECT_EQ(about(a, Method::channel_member_new), (std::vector<std::string>{ann, tab1}));
    service->disconnect(b);
    service->flush_views(later());
    EXPECT_TRUE(a.of(Method::member_remove).empty()) << "bo is still here";
    const std::string tab2 = id_of(c);
    service->disconnect(c);
    EXPECT_TRUE(a.of(Method::member_remove).empty()) << "not before the grace";
    service->flush_views(later());
    EXPECT_EQ(about(a, Method::channel_member_remove), (std::vector<std::string>{tab2}));
    EXPECT_EQ(about(a, Method::member_remove), (std::vector<std::string>{tab2}));
}

TEST_F(UserViewsTest, ALeaveFollowedByAJoinWithinTheGraceIsNotTold) {
    join(a, "Ann", {}, "users");
    join(b, "Bo", "bo");
    service->disconnect(b);
    join(c, "Bo", "bo");
    service->flush_views(later());
    EXPECT_EQ(a.of(Method::member_new).size(), 2u) << "ann and bo's first connection";
    EXPECT_TRUE(a.of(Method::member_remove).empty());
    EXPECT_FALSE(service->next_flush());
    service->disconnect(c);
    service->flush_views(later());
    EXPECT_EQ(a.of(Method::member_remove).size(), 1u);
}

TEST_F(UserViewsTest, WithoutGraceALastLeaveIsToldAtOnce) {
    PresenceOptions o = open_options();
    o.user_leave_grace = 0ms;
    start(o);
    join(a, "Ann", {}, "users");
    const std::string bob = join(b, "Bo", "bo");
    service->disconnect(b);
    EXPECT_EQ(about(a, Method::member_remove), (std::vector<std::string>{bob}));
    EXPECT_FALSE(service->next_flush());
}

TEST_F(UserViewsTest, MembersOfNoUserAndOnesOwnChangesComeOneByOne) {
    const std::string ann = join(a, "Ann", "ann", "users");
    join(b, "Ann", "ann");
    const std::string x = join(c);
    const std::string y = join(d);
    EXPECT_EQ(about(a, Method::member_new), (std::vector<std::string>{ann, x, y}));
    send(a, Method::member_remove);
    EXPECT_EQ(about(a, Method::member_remove), (std::vector<std::string>{ann})) << "its own leave, at once";
}

// Each channel counts a user's connections on its own: leaving one channel is not
// leaving presence.
TEST_F(UserViewsTest, AUsersLastLeaveOfAChannelIsToldForThatChannelOnly) {
    PresenceOptions o = open_options();
    o.user_leave_grace = 0ms;
    start(o);
    join(a, "Ann", {}, "users");
    subscribe(a, "room");
    const std::string t1 = join(b, "Bo", "bo");
    const std::string t2 = join(c, "Bo", "bo");
    subscribe(b, "room");
    subscribe(c, "room");
    unsubscribe(b, "room");
    EXPECT_TRUE(a.of(Method::channel_member_remove).empty());
    unsubscribe(c, "room");
    EXPECT_EQ(about(a, Method::channel_member_remove), (std::vector<std::string>{t2}));
    EXPECT_TRUE(a.of(Method::member_remove).empty());
    subscribe(c, "room");
    EXPECT_EQ(about(a, Method::channel_member_new), (std::vector<std::string>{id_of(a), t1, t2}));
}

TEST_F(UserViewsTest, AClientThatDidNotAskHearsEveryConnection) {
    join(a);
    const std::string t1 = join(b, "Bo", "bo");
    const std::string t2 = join(c, "Bo", "bo");
    EXPECT_EQ(about(a, Method::member_new), (std::vector<std::string>{id_of(a), t1, t2}));
    service->disconnect(b);
    EXPECT_EQ(about(a, Method::member_remove), (std::vector<std::string>{t1}));
}

TEST_F(UserViewsTest, AClientWithDiffsGetsDiffsOfConnections) {
    join(a, "Ann", {}, "diffs,users");
    flush_diffs();
    a.frames.clear();
    const std::string t1 = join(b, "Bo", "bo");
    const std::string t2 = join(c, "Bo", "bo");
    EXPECT_TRUE(a.of(Method::member_new).empty());
    flush_diffs();
    EXPECT_EQ(ids(diff_of(a, "")), (std::vector<std::string>{t1, t2}));
}

TEST_F(UserViewsTest, TheListByUserIsSortedByUserThenId) {
    const std::string ann = join(a, "Ann", "ann");
    const std::string zed = join(b, "Zed", "zed");
    const std::string ann2 = join(c, "Ann", "ann");
    const std::string loner = join(d, "Lo");
    send(a, Method::get_users);
    const Message& list = a.last();
    ASSERT_EQ(list.method, Method::users);
    EXPECT_EQ(list.member, (Member{ann, "Ann", "", "ann"}));
    std::vector<std::string> anns = sorted({ann, ann2});
    EXPECT_EQ(ids(list), (std::vector<std::string>{loner, anns[0], anns[1], zed}));
    std::vector<std::string> users;
    for (const Member& m : *list.members) users.push_back(m.user);
    EXPECT_EQ(users, (std::vector<std::string>{"", "ann", "ann", "zed"}));
    subscribe(b, "room");
    send(a, Method::get_users, "room");
    EXPECT_EQ(ids(a.last()), (std::vector<std::string>{zed}));
    send(a, Method::get_users, "nowhere");
    EXPECT_EQ(last_error(a), 5);
}

TEST_F(UserViewsTest, ADeclaredUserIsCheckedLikeAName) {
    PresenceOptions o = open_options();
    o.max_name_bytes = 4;
    start(o);
    const std::string id = connect(a);
    send_join(a, "Bo", "bobby");
    EXPECT_EQ(last_error(a), -32602);
    EXPECT_EQ(a.last().error->text, "member.user is longer than 4 bytes");
    EXPECT_EQ(engine.find_member(id), nullptr);
}

// --- Pages -----------------------------------------------------------------------------

class MemberPagesTest : public ViewsTest {
protected:
    void SetUp() override {
        PresenceOptions o = open_options();
        o.max_page_members = 3;
        start(o);
        for (RecordingLink* link : {&a, &b, &c, &d}) {
            everyone.push_back(join(*link));
            subscribe(*link, "room");
        }
        std::sort(everyone.begin(), everyone.end());
    }
    Message page(const std::string& text, const std::string& channel = "room") {
        send(a, Method::get_members_page, channel, text);
        return a.last();
    }
    std::vector<std::string> everyone;
};

TEST_F(MemberPagesTest, PagesListEveryMemberOnceInTheOrderOfIds) {
    const Message first = page("3");
    ASSERT_EQ(first.method, Method::members_page);
    EXPECT_EQ(first.member->id, id_of(a));
    EXPECT_EQ(first.channel, "room");
    EXPECT_EQ(ids(first), (std::vector<std::string>(everyone.begin(), everyone.begin() + 3)));
    EXPECT_EQ(first.text, everyone[2]) << "a full page names its last id";
    const Message second = page("3:" + *first.text);
    EXPECT_EQ(ids(second), (std::vector<std::string>{everyone[3]}));
    EXPECT_EQ(second.text, "") << "nothing after a page that is not full";
}

TEST_F(MemberPagesTest, AFullLastPageIsFollowedByAnEmptyOne) {
    const Message first = page("2");
    const Message second = page("2:" + *first.text);
    EXPECT_EQ(second.text, everyone[3]);
    const Message third = page("2:" + *second.text);
    EXPECT_EQ(third.method, Method::members_page);
    EXPECT_TRUE(ids(third).empty());
    EXPECT_EQ(third.text, "");
}

TEST_F(MemberPagesTest, AnEmptyChannelNamePagesEveryMember) {
    send(d, Method::channel_member_remove, "room");
    EXPECT_EQ(ids(page("3", "")).size(), 3u);
    EXPECT_EQ(ids(page("3:" + everyone[2], "")), (std::vector<std::string>{everyone[3]}));
}

TEST_F(MemberPagesTest, BadPageRequestsAreRefused) {
    for (const std::string text : {"0", "4", "x", "", "-1", "2x:abc"}) {
        page(text);
        EXPECT_EQ(last_error(a), -32602) << text;
    }
    EXPECT_EQ(a.last().error->text, "message.text must be LIMIT or LIMIT:CURSOR, with LIMIT from 1 to 3");
    page("2", "nowhere");
    EXPECT_EQ(last_error(a), 5);
    hooks.before_send_members = [](const std::string&, const Member&) { return false; };
    page("2");
    EXPECT_EQ(last_error(a), 30);
}

// --- Member updates --------------------------------------------------------------------

class MemberUpdatesTest : public ViewsTest {};

TEST_F(MemberUpdatesTest, AnUpdateReachesTheMembersThatAskedTheRequesterIncluded) {
    std::vector<Member> notified;
    hooks.on_update_member = [&](const Member& m) { notified.push_back(m); };
    const std::string ann = join(a, "Ann", {}, "updates");
    join(b, "Bob", {}, "updates");
    join(c, "Cid");
    update(a, std::nullopt, "away");
    const Member now{ann, "Ann", "away"};
    for (const RecordingLink* link : {&a, &b}) {
        ASSERT_EQ(link->of(Method::update_member).size(), 1u);
        EXPECT_EQ(link->last().member, now);
    }
    EXPECT_TRUE(c.of(Method::update_member).empty());
    EXPECT_EQ(*engine.find_member(ann), now);
    EXPECT_EQ(notified, (std::vector<Member>{now}));
    send(c, Method::get_members);
    const auto& listed = *c.last().members;
    EXPECT_NE(std::find(listed.begin(), listed.end(), now), listed.end());
}

TEST_F(MemberUpdatesTest, AnUpdateChangesTheFieldsItCarriesAndIsToldEvenWhenNothingChanged) {
    const std::string ann = join(a, "Ann", {}, "updates");
    update(a, "Annie", std::nullopt);
    EXPECT_EQ(*engine.find_member(ann), (Member{ann, "Annie", ""}));
    update(a, "Annie", "");
    EXPECT_EQ(a.of(Method::update_member).size(), 2u);
    update(a, std::nullopt, std::nullopt);
    EXPECT_EQ(a.of(Method::update_member).size(), 3u);
    EXPECT_EQ(*engine.find_member(ann), (Member{ann, "Annie", ""}));
}

TEST_F(MemberUpdatesTest, UpdateErrorsChangeNothing) {
    PresenceOptions o = open_options();
    o.max_info_bytes = 4;
    start(o);
    connect(d);
    update(d, "X", std::nullopt);
    EXPECT_EQ(last_error(d), 3);
    const std::string ann = join(a, "Ann", {}, "updates");
    const std::string bob = join(b, "Bob", {}, "updates");
    Message m = request(Method::update_member);
    m.member = Member{bob, "Mallory", ""};
    send(a, m);
    EXPECT_EQ(last_error(a), 3);
    update(a, "Ann2", "too long");
    EXPECT_EQ(last_error(a), -32602);
    EXPECT_EQ(a.last().error->text, "member.info is longer than 4 bytes");
    EXPECT_EQ(*engine.find_member(ann), (Member{ann, "Ann", ""}));
    EXPECT_EQ(*engine.find_member(bob), (Member{bob, "Bob", ""}));
    EXPECT_TRUE(b.of(Method::update_member).empty());
}

// A diff must not undo an update that came after the join it carries.
TEST_F(MemberUpdatesTest, AJoinWaitingInADiffGoesOutWithTheNewValues) {
    join(a, "Ann", {}, "diffs");
    flush_diffs();
    a.frames.clear();
    const std::string bob = join(b, "Bob");
    update(b, std::nullopt, "away");
    flush_diffs();
    ASSERT_EQ(diff_of(a, "").members->size(), 1u);
    EXPECT_EQ(diff_of(a, "").members->front(), (Member{bob, "Bob", "away"}));
}

TEST_F(MemberUpdatesTest, FramesAfterAnUpdateCarryTheNewValues) {
    join(a, "Ann");
    const std::string bob = join(b, "Bob");
    subscribe(a, "room");
    subscribe(b, "room");
    update(b, "Robert", std::nullopt);
    publish(b, "room");
    EXPECT_EQ(a.last().member, (Member{bob, "Robert", ""}));
    service->disconnect(b);
    EXPECT_EQ(a.last().method, Method::member_remove);
    EXPECT_EQ(a.last().member, (Member{bob, "Robert", ""}));
}

}  // namespace
}  // namespace presence
