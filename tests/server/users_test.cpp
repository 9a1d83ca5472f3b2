// SPDX-License-Identifier: Apache-2.0
// The users extension over real loopback sockets: the connections of one user are one entry
// of the lists and one join and one leave for the connections that asked for users, while
// every other connection is told of each connection as sgcWebSockets does.
#include <gtest/gtest.h>

#include "presence/server.h"
#include "test_peer.h"

namespace presence::test {
namespace {

using protocol::Message;
using protocol::Method;

class UsersTest : public ::testing::Test {
protected:
    void start(std::chrono::milliseconds leave_grace,
               std::chrono::milliseconds diff_interval = PresenceOptions{}.diff_interval) {
        ServerOptions options;
        options.port = 0;
        options.presence.user_leave_grace = leave_grace;
        options.presence.diff_interval = diff_interval;
        server = std::make_unique<Server>(options);
        server->start();
    }
    // Joined, in "room"; with `hello` it said hello with it first.
    std::unique_ptr<TestPeer> watcher(const std::string& name, const std::string& hello = "") {
        auto p = std::make_unique<TestPeer>(server->port());
        if (!hello.empty()) p->hello(hello);
        p->join(name);
        p->subscribe("room");
        return p;
    }
    // A connection of `user`, joined and in "room".
    std::unique_ptr<TestPeer> tab(const std::string& user, const std::string& info) {
        auto p = std::make_unique<TestPeer>(server->port());
        Message join = request(Method::member_new);
        join.member = Member{p->session_id(), user, info, user};
        p->send(join);
        EXPECT_EQ(p->expect(Method::member_new).member->user, user);
        p->send(request(Method::channel_member_new, "room"));
        EXPECT_EQ(p->expect(Method::channel_member_new).member, join.member);
        return p;
    }
    // Every frame `p` was sent before now is read: the answer to a request comes after them.
    static Message users_of(TestPeer& p, const std::string& channel) {
        p.send(request(Method::get_users, channel));
        return p.expect(Method::users);
    }
    // A plain watcher's frames for one tab's arrival or departure.
    static void expect_plain(TestPeer& p, Method first, Method second, const std::string& id) {
        EXPECT_EQ(p.expect(first).member->id, id);
        EXPECT_EQ(p.expect(second).member->id, id);
    }

    std::unique_ptr<Server> server;
};

TEST_F(UsersTest, HelloOffersUsersOnlyWhenAsked) {
    start(std::chrono::milliseconds(0));
    TestPeer p(server->port());
    EXPECT_NE(p.hello("users").find("users"), std::string::npos);
    TestPeer q(server->port());
    EXPECT_EQ(q.hello("diffs").find("users"), std::string::npos);
}

TEST_F(UsersTest, ThreeConnectionsOfOneUserAreOneJoinAndOneLeave) {
    start(std::chrono::milliseconds(0));
    auto users = watcher("users", "users");
    auto plain = watcher("plain");
    EXPECT_EQ(users->expect(Method::member_new).member->name, "plain");
    EXPECT_EQ(users->expect(Method::channel_member_new).member->name, "plain");

    std::vector<std::unique_ptr<TestPeer>> tabs;
    for (const std::string info : {"tab 1", "tab 2", "tab 3"}) {
        tabs.push_back(tab("alice", info));
        expect_plain(*plain, Method::member_new, Method::channel_member_new, tabs.back()->session_id());
    }
    const Message joined = users->expect(Method::member_new);
    EXPECT_EQ(joined.member->id, tabs[0]->session_id());
    EXPECT_EQ(joined.member->user, "alice");
    EXPECT_EQ(users->expect(Method::channel_member_new).member->id, tabs[0]->session_id());

    const Message listed = users_of(*users, "room");
    ASSERT_TRUE(listed.members);
    std::size_t of_alice = 0;
    for (const Member& m : *listed.members) of_alice += m.user == "alice";
    EXPECT_EQ(of_alice, 3u);
    EXPECT_EQ(listed.members->size(), 5u);

    for (std::size_t i = 0; i < 2; ++i) {
        tabs[i]->close();
        expect_plain(*plain, Method::channel_member_remove, Method::member_remove, tabs[i]->session_id());
    }
    EXPECT_EQ(users_of(*users, "room").members->size(), 3u);  // nothing came before the answer

    tabs[2]->close();
    expect_plain(*plain, Method::channel_member_remove, Method::member_remove, tabs[2]->session_id());
    const Message left = users->expect(Method::channel_member_remove);
    EXPECT_EQ(left.member->id, tabs[2]->session_id());
    EXPECT_EQ(left.member->user, "alice");
    EXPECT_EQ(users->expect(Method::member_remove).member->id, tabs[2]->session_id());
}

TEST_F(UsersTest, MembersOfNoUserAreToldOneByOneAsAlways) {
    start(std::chrono::milliseconds(0));
    auto users = watcher("users", "users");
    auto other = watcher("other");
    EXPECT_EQ(users->expect(Method::member_new).member->id, other->session_id());
    EXPECT_EQ(users->expect(Method::channel_member_new).member->id, other->session_id());
    other->close();
    EXPECT_EQ(users->expect(Method::channel_member_remove).member->id, other->session_id());
    EXPECT_EQ(users->expect(Method::member_remove).member->id, other->session_id());
}

// The grace is an hour, so the leave cannot be told before the answer that ends the test.
TEST_F(UsersTest, ALeaveFollowedByAJoinWithinTheGraceIsNotTold) {
    start(std::chrono::hours(1));
    auto users = watcher("users", "users");
    auto plain = watcher("plain");
    users->expect(Method::member_new);
    users->expect(Method::channel_member_new);
    auto first = tab("bob", "page");
    EXPECT_EQ(users->expect(Method::member_new).member->id, first->session_id());
    EXPECT_EQ(users->expect(Method::channel_member_new).member->id, first->session_id());
    expect_plain(*plain, Method::member_new, Method::channel_member_new, first->session_id());

    first->close();
    expect_plain(*plain, Method::channel_member_remove, Method::member_remove, first->session_id());
    auto reloaded = tab("bob", "page");
    expect_plain(*plain, Method::member_new, Method::channel_member_new, reloaded->session_id());
    const Message listed = users_of(*users, "room");
    ASSERT_EQ(listed.members->size(), 3u);
    EXPECT_EQ(listed.members->back().id, reloaded->session_id());
}

// Once the grace has passed without the user coming back, the leave is told.
TEST_F(UsersTest, ALeaveIsToldOnceTheGraceHasPassed) {
    start(std::chrono::milliseconds(50));
    auto users = watcher("users", "users");
    auto first = tab("carol", "page");
    EXPECT_EQ(users->expect(Method::member_new).member->id, first->session_id());
    EXPECT_EQ(users->expect(Method::channel_member_new).member->id, first->session_id());
    first->close();
    EXPECT_EQ(users->expect(Method::channel_member_remove).member->user, "carol");
    EXPECT_EQ(users->expect(Method::member_remove).member->user, "carol");
}

// The leave waits for its grace, not for the diff interval, which is an hour here: it
// comes long before the test's wait runs out.
TEST_F(UsersTest, ALeaveIsToldAtTheEndOfTheGraceHoweverLongTheDiffInterval) {
    start(std::chrono::milliseconds(50), std::chrono::hours(1));
    auto users = watcher("users", "users");
    auto first = tab("dave", "page");
    EXPECT_EQ(users->expect(Method::member_new).member->id, first->session_id());
    EXPECT_EQ(users->expect(Method::channel_member_new).member->id, first->session_id());
    first->close();
    EXPECT_EQ(users->expect(Method::channel_member_remove).member->user, "dave");
    EXPECT_EQ(users->expect(Method::member_remove).member->user, "dave");
}

TEST_F(UsersTest, ADeclaredUserIsCheckedLikeAName) {
    start(std::chrono::milliseconds(0));
    TestPeer p(server->port());
    Message join = request(Method::member_new);
    join.member = Member{p.session_id(), "long", "", std::string(ServerOptions{}.presence.max_name_bytes + 1, 'u')};
    p.send(join);
    const Message error = p.expect(Method::error_member_channel);
    EXPECT_EQ(error.error->code, -32602);
    EXPECT_NE(error.error->text.find("member.user"), std::string::npos) << error.error->text;
}

}  // namespace
}  // namespace presence::test
