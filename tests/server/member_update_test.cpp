// SPDX-License-Identifier: Apache-2.0
// Member updates over real loopback sockets: a member changes its name or info, the
// members that said hello with "updates" are told, the others are not, every list shows
// the new values, and a member over the update rate is refused and carries on.
#include <gtest/gtest.h>

#include <algorithm>

#include "presence/server.h"
#include "test_peer.h"

namespace presence::test {
namespace {

using protocol::Message;
using protocol::Method;

Message update(std::optional<std::string> name, std::optional<std::string> info) {
    Message m = request(Method::update_member);
    m.member = Member{"", name.value_or(""), info.value_or("")};
    m.carried = protocol::Carried{name.has_value(), info.has_value()};
    return m;
}

class MemberUpdateTest : public ::testing::Test {
protected:
    // The default rate refills one update per second: no test waits for it.
    void start(std::size_t burst = 5, double per_second = PresenceOptions{}.max_info_updates_per_second) {
        ServerOptions options;
        options.port = 0;
        // Diffs go out only when a connection that asked for them asks for a list.
        options.presence.diff_interval = std::chrono::hours(1);
        options.presence.info_update_burst = burst;
        options.presence.max_info_updates_per_second = per_second;
        server = std::make_unique<Server>(options);
        server->start();
    }
    std::unique_ptr<TestPeer> peer(const std::string& name, const std::string& hello = "") {
        auto p = std::make_unique<TestPeer>(server->port());
        if (!hello.empty()) p->hello(hello);
        p->join(name, "desk 1");
        return p;
    }
    // Nothing is pending for `p`: the answer to a later request is its next frame.
    static void expect_nothing_before_pong(TestPeer& p) {
        p.send(request(Method::ping));
        p.expect(Method::pong);
    }

    std::unique_ptr<Server> server;
};

TEST_F(MemberUpdateTest, HelloOffersUpdatesOnlyWhenAsked) {
    start();
    TestPeer asking(server->port());
    EXPECT_NE(asking.hello("updates").find("updates"), std::string::npos);
    TestPeer other(server->port());
    EXPECT_EQ(other.hello("heartbeat").find("updates"), std::string::npos);
}

TEST_F(MemberUpdateTest, AnUpdateReachesTheMembersThatAskedAndTheListsShowIt) {
    start();
    auto watcher = peer("watcher", "updates");
    auto plain = peer("plain");
    watcher->expect(Method::member_new);
    auto ann = peer("ann", "updates");
    watcher->expect(Method::member_new);
    plain->expect(Method::member_new);

    ann->send(update("Annie", std::nullopt));
    const Member annie{ann->session_id(), "Annie", "desk 1"};
    EXPECT_EQ(watcher->expect(Method::update_member).member, annie);
    EXPECT_EQ(ann->expect(Method::update_member).member, annie);  // its own, as a confirmation
    expect_nothing_before_pong(*plain);

    plain->send(request(Method::get_members, ""));
    const std::vector<Member> listed = *plain->expect(Method::send_members).members;
    EXPECT_NE(std::find(listed.begin(), listed.end(), annie), listed.end());
    ann->send(request(Method::get_members_page, "", "10"));
    const std::vector<Member> page = *ann->expect(Method::members_page).members;
    EXPECT_NE(std::find(page.begin(), page.end(), annie), page.end());
    const auto members = server->members();
    EXPECT_NE(std::find(members.begin(), members.end(), annie), members.end());

    // Frames about the member carry it as it is now.
    ann->send(request(Method::channel_member_new, "room"));
    EXPECT_EQ(ann->expect(Method::channel_member_new).member, annie);
    watcher->send(request(Method::channel_member_new, "room"));
    watcher->expect(Method::channel_member_new);
    EXPECT_EQ(ann->expect(Method::channel_member_new).member->name, "watcher");
    ann->send(request(Method::publish_msg, "room", "hi"));
    EXPECT_EQ(watcher->expect(Method::publish_msg).member, annie);
}

TEST_F(MemberUpdateTest, AMemberWithoutHelloIsNotToldOfItsOwnUpdate) {
    start();
    auto plain = peer("plain");
    plain->send(update(std::nullopt, "desk 2"));
    expect_nothing_before_pong(*plain);
    plain->send(request(Method::get_members, ""));
    EXPECT_EQ(plain->expect(Method::send_members).members->at(0), (Member{plain->session_id(), "plain", "desk 2"}));
}

TEST_F(MemberUpdateTest, AnUpdateInTheNameOfSomeoneElseIsError3) {
    start();
    auto ann = peer("ann", "updates");
    auto bob = peer("bob", "updates");
    ann->expect(Method::member_new);
    Message m = update("Mallory", std::nullopt);
    m.member->id = bob->session_id();
    ann->send(m);
    const Message error = ann->expect(Method::error_member_channel);
    EXPECT_EQ(error.error->code, 3);
    expect_nothing_before_pong(*bob);

    TestPeer outsider(server->port());
    outsider.send(update("x", std::nullopt));
    EXPECT_EQ(outsider.expect(Method::error_member_channel).error->code, 3);
}

TEST_F(MemberUpdateTest, ANameOverTheLimitIsInvalidParamsAndChangesNothing) {
    start();
    auto ann = peer("ann", "updates");
    ann->send(update(std::string(257, 'x'), "desk 2"));
    EXPECT_EQ(ann->expect(Method::error_member_channel).error->code, -32602);
    ann->send(request(Method::get_members, ""));
    EXPECT_EQ(ann->expect(Method::send_members).members->at(0), ann->member());
}

// The bucket holds two updates; the third is refused, and the connection goes on as
// before. The bucket refills so slowly that however long the test takes, nothing comes
// back into it.
TEST_F(MemberUpdateTest, OverTheRateIsError45AndTheConnectionKeepsWorking) {
    start(2, 0.001);
    auto ann = peer("ann", "updates");
    ann->send(update(std::nullopt, "a"));
    ann->expect(Method::update_member);
    ann->send(update(std::nullopt, "b"));
    ann->expect(Method::update_member);
    for (int i = 0; i < 20; ++i) {
        ann->send(update(std::nullopt, "c"));
        const Message error = ann->expect(Method::error_member_channel);
        ASSERT_EQ(error.error->code, 45);
        EXPECT_EQ(error.member, (Member{ann->session_id(), "ann", "b"}));
    }
    ann->send(request(Method::get_members, ""));
    EXPECT_EQ(ann->expect(Method::send_members).members->at(0), (Member{ann->session_id(), "ann", "b"}));
    ann->send(request(Method::channel_member_new, "room"));
    EXPECT_EQ(ann->expect(Method::channel_member_new).member, (Member{ann->session_id(), "ann", "b"}));
}

// A join still waiting in a diff goes out with the name and info of the update that came
// after it, not with those the update replaced.
TEST_F(MemberUpdateTest, ADiffSentAfterAnUpdateCarriesTheNewValues) {
    start();
    auto watcher = peer("watcher", "diffs,updates");
    auto ann = peer("ann", "updates");
    ann->send(update(std::nullopt, "away"));
    const Member away{ann->session_id(), "ann", "away"};
    EXPECT_EQ(ann->expect(Method::update_member).member, away);
    EXPECT_EQ(watcher->expect(Method::update_member).member, away);
    watcher->send(request(Method::get_members, ""));
    const Message diff = watcher->expect(Method::diff);
    ASSERT_TRUE(diff.members);
    EXPECT_NE(std::find(diff.members->begin(), diff.members->end(), away), diff.members->end());
    watcher->expect(Method::send_members);
}

}  // namespace
}  // namespace presence::test
