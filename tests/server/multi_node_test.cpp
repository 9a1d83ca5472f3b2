// SPDX-License-Identifier: Apache-2.0
// Several Server objects sharing one real redis-server: the library's view of a
// multi-node deployment (broadcast, queries, hooks), driven by bare WebSocket peers.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "engine/redis/redis_connection.h"
#include "presence/server.h"
#include "redis_process.h"
#include "test_peer.h"

namespace presence::test {
namespace {

using protocol::Message;
using protocol::Method;

class MultiNodeTest : public ::testing::Test {
protected:
    ServerOptions options_of(const std::string& id) const {
        ServerOptions options;
        options.presence = presence;
        options.port = 0;
        options.engine.url = "redis://127.0.0.1:" + std::to_string(redis.port());
        options.engine.node_id = id;
        options.engine.key_prefix = "multi-node-test:";
        options.engine.node_timeout = node_timeout;
        return options;
    }
    Server& node(const std::string& id, ServerHooks node_hooks = {}) {
        nodes.push_back(std::make_unique<Server>(options_of(id), std::move(node_hooks)));
        nodes.back()->start();
        return *nodes.back();
    }
    std::unique_ptr<TestPeer> peer(Server& server, const std::string& name) {
        auto p = std::make_unique<TestPeer>(server.port());
        p->join(name);
        return p;
    }
    // Alice on node a, then bob on node b once b knows her: as on one node, bob is not told
    // of alice, who was there before him, and alice is told of bob.
    std::pair<std::unique_ptr<TestPeer>, std::unique_ptr<TestPeer>> pair_on(Server& a, Server& b) {
        auto first = peer(a, "alice");
        EXPECT_TRUE(eventually([&] { return b.members().size() == 1; }));
        auto second = peer(b, "bob");
        EXPECT_EQ(first->expect(Method::member_new).member, second->member());
        return {std::move(first), std::move(second)};
    }
    // For a node's view to catch up with a change made on another node: a bounded wait
    // for a condition on the server's own queries.
    static bool eventually(const std::function<bool()>& done) {
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline) {
            if (done()) return true;
            std::this_thread::sleep_for(10ms);
        }
        return done();
    }
    static std::vector<std::string> names(std::vector<Member> members) {
        std::vector<std::string> out;
        for (const Member& m : members) out.push_back(m.name);
        std::sort(out.begin(), out.end());
        return out;
    }

    // How many PUBLISH commands Redis has run so far, from its own statistics.
    long long publishes() const {
        boost::asio::io_context io;
        std::optional<std::string> info;
        redis::RedisConnectionOptions options;
        options.port = redis.port();
        redis::RedisConnection connection(io.get_executor(), options, {});
        connection.start();
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (!connection.connected() && io.run_one_until(deadline)) {}
        connection.command({"INFO", "commandstats"}, [&](const redis::Reply& r) { info = r.str; });
        while (!info && io.run_one_until(deadline)) {}
        if (!info) return -1;
        const std::size_t at = info->find("cmdstat_publish:calls=");
        return at == std::string::npos ? 0 : std::stoll(info->substr(at + 22));
    }

    RedisProcess redis;
    PresenceOptions presence;  // of the nodes started from now on
    // Of the nodes started from now on. Long enough that no node is declared dead because
    // a loaded machine delayed its renewal; a test about a dead node shortens it.
    std::chrono::milliseconds node_timeout = 60s;
    std::vector<std::unique_ptr<Server>> nodes;
};

TEST_F(MultiNodeTest, MembersOnDifferentNodesSeeOneAnother) {
    Server& a = node("a");
    Server& b = node("b");
    auto [alice, bob] = pair_on(a, b);
    const std::vector<std::string> both{"alice", "bob"};
    EXPECT_EQ(names(a.members()), both);
    EXPECT_EQ(names(b.members()), both);

    alice->subscribe("room");
    // Until node b has heard of alice's subscription, bob would be told of it after his own.
    ASSERT_TRUE(eventually([&] { return names(b.members("room")) == std::vector<std::string>{"alice"}; }));
    bob->subscribe("room");
    EXPECT_EQ(alice->expect(Method::channel_member_new).member, bob->member());
    EXPECT_EQ(names(a.members("room")), both);
    EXPECT_EQ(names(b.members("room")), both);
    ASSERT_EQ(b.channels().size(), 1u);
    EXPECT_EQ(b.channels()[0].members, 2u);

    bob->send(request(Method::publish_msg, "room", "hello"));
    for (TestPeer* p : {alice.get(), bob.get()}) {
        const Message m = p->expect(Method::publish_msg);
        EXPECT_EQ(m.text, "hello");
        EXPECT_EQ(m.member, bob->member());
    }
}

TEST_F(MultiNodeTest, BroadcastFromOneNodeReachesMembersOfEveryNode) {
    Server& a = node("a");
    Server& b = node("b");
    auto [alice, bob] = pair_on(a, b);
    b.broadcast("from b");
    for (TestPeer* p : {alice.get(), bob.get()}) EXPECT_EQ(p->expect(Method::publish_msg).text, "from b");
}

TEST_F(MultiNodeTest, APublishCostsOneRedisMessageWhateverTheNumberOfRecipients) {
    Server& a = node("a");
    Server& b = node("b");
    auto [alice, bob] = pair_on(a, b);
    std::vector<std::unique_ptr<TestPeer>> others;
    for (int i = 0; i < 4; ++i) others.push_back(peer(b, "other " + std::to_string(i)));
    ASSERT_TRUE(eventually([&] { return a.members().size() == 6; }));
    const long long before = publishes();
    for (int i = 0; i < 10; ++i) alice->send(request(Method::publish_msg, "", "m" + std::to_string(i)));
    // Each of them was also told of the others who joined after it.
    const auto next_publish = [](TestPeer& p) -> std::optional<std::string> {
        while (const auto frame = p.next()) {
            const protocol::Decoded d = protocol::decode(*frame);
            if (d.ok() && d.message.method == Method::publish_msg) return d.message.text;
        }
        return std::nullopt;
    };
    for (int i = 0; i < 10; ++i)
        for (auto& p : others) EXPECT_EQ(next_publish(*p), "m" + std::to_string(i));
    EXPECT_EQ(publishes() - before, 10);
}

TEST_F(MultiNodeTest, HooksRunOnTheNodeWhereTheRequestArrives) {
    std::mutex mutex;
    std::vector<std::string> seen;
    const auto hooks_of = [&](const std::string& node_name) {
        ServerHooks h;
        h.on_new_member = [&, node_name](const Member& m) {
            std::lock_guard lock(mutex);
            seen.push_back(node_name + " " + m.name);
        };
        h.before_publish = [node_name](const std::string&, const Member&, const std::string& text) {
            return !(node_name == "a" && text == "forbidden");
        };
        return h;
    };
    Server& a = node("a", hooks_of("a"));
    Server& b = node("b", hooks_of("b"));
    auto [alice, bob] = pair_on(a, b);

    alice->send(request(Method::publish_msg, "", "forbidden"));
    EXPECT_EQ(alice->expect(Method::error_publish_msg).error->code, 20);
    bob->send(request(Method::publish_msg, "", "forbidden"));
    EXPECT_EQ(alice->expect(Method::publish_msg).member, bob->member());
    std::lock_guard lock(mutex);
    EXPECT_EQ(seen, (std::vector<std::string>{"a alice", "b bob"}));
}

TEST_F(MultiNodeTest, ANodeThatStopsTakesItsMembersWithIt) {
    Server& a = node("a");
    Server& b = node("b");
    auto [alice, bob] = pair_on(a, b);
    bob->subscribe("room");
    ASSERT_TRUE(eventually([&] { return a.members("room").size() == 1; }));
    alice->subscribe("room");
    b.stop();
    EXPECT_EQ(alice->expect(Method::channel_member_remove).member, bob->member());
    EXPECT_EQ(alice->expect(Method::member_remove).member, bob->member());
    EXPECT_EQ(names(a.members()), (std::vector<std::string>{"alice"}));
}

// A node whose thread is stuck stops renewing its liveness: another node removes its
// members, announces it, and runs the departure hooks. When the stuck node wakes up, it
// learns it was declared dead and registers again, and its members are announced again.
TEST_F(MultiNodeTest, AStalledNodeIsReapedAndComesBackWhenItWakesUp) {
    node_timeout = 3s;
    std::mutex mutex;
    std::vector<std::string> removed_on_a;
    ServerHooks hooks_a;
    hooks_a.on_remove_member = [&](const Member& m) {
        std::lock_guard lock(mutex);
        removed_on_a.push_back(m.name);
    };
    Server& a = node("a", hooks_a);
    boost::asio::io_context io_b;
    Server b(io_b, options_of("b"));
    b.start();
    std::thread thread_b([&] { io_b.run(); });
    {
        auto [alice, bob] = pair_on(a, b);
        std::promise<void> wake;
        boost::asio::post(io_b, [woken = wake.get_future()] { woken.wait(); });
        EXPECT_EQ(alice->expect(Method::member_remove, 60s).member, bob->member());
        {
            std::lock_guard lock(mutex);
            EXPECT_EQ(removed_on_a, std::vector<std::string>{"bob"});
        }
        wake.set_value();
        EXPECT_EQ(alice->expect(Method::member_new, 60s).member, bob->member());
        EXPECT_EQ(names(a.members()), (std::vector<std::string>{"alice", "bob"}));
    }
    b.stop();
    thread_b.join();
}

TEST_F(MultiNodeTest, WithoutRedisANodeServesItsOwnMembers) {
    redis.kill();
    Server& a = node("a");
    auto alice = peer(a, "alice");
    auto bob = peer(a, "bob");
    EXPECT_EQ(alice->expect(Method::member_new).member, bob->member());
    bob->send(request(Method::publish_msg, "", "still here"));
    EXPECT_EQ(alice->expect(Method::publish_msg).text, "still here");
    EXPECT_EQ(a.members().size(), 2u);
}

// A namespace keeps its state under a Redis key prefix of its own: the nodes share each
// namespace, and namespaces stay apart.
TEST_F(MultiNodeTest, ANamespaceSpansTheNodesAndStaysApartFromTheOthers) {
    std::vector<std::unique_ptr<Server>> sales_nodes;
    for (const char* id : {"a", "b"}) {
        sales_nodes.push_back(std::make_unique<Server>(options_of(id)));
        sales_nodes.back()->add_namespace("sales", {});
        sales_nodes.back()->start();
    }
    Server& a = *sales_nodes[0];
    Server& b = *sales_nodes[1];
    TestPeer alice(a.port(), "sales.presence.esegece.com");
    alice.join("alice");
    ASSERT_TRUE(eventually([&] { return b.members("", "sales").size() == 1; }));
    auto plain = peer(b, "plain");
    TestPeer bob(b.port(), "sales.presence.esegece.com");
    bob.join("bob");
    EXPECT_EQ(alice.expect(Method::member_new).member, bob.member());
    EXPECT_EQ(names(a.members("", "sales")), (std::vector<std::string>{"alice", "bob"}));
    EXPECT_EQ(names(a.members()), std::vector<std::string>{"plain"});
    plain->send(request(Method::get_members, ""));
    EXPECT_EQ(plain->expect(Method::send_members).members, std::vector<Member>{plain->member()});
}

// Diffs, pages and counts read the replica of each node: a watcher on node a sees the
// joins made on node b summed up in one diff, and pages and counts span both nodes. The
// diff interval is an hour, so the diff goes out when the watcher asks for the list.
TEST_F(MultiNodeTest, DiffsPagesAndCountsSpanTheNodes) {
    presence.diff_interval = std::chrono::hours(1);
    Server& a = node("a");
    Server& b = node("b");
    TestPeer watcher(a.port());
    watcher.hello("diffs");
    watcher.join("watcher");
    watcher.subscribe("room");
    ASSERT_TRUE(eventually([&] { return b.members("room").size() == 1; }));
    std::vector<std::unique_ptr<TestPeer>> remote;
    for (int i = 0; i < 5; ++i) {
        remote.push_back(peer(b, "m" + std::to_string(i)));
        remote.back()->subscribe("room");
    }
    ASSERT_TRUE(eventually([&] { return a.members("room").size() == 6; }));
    watcher.send(request(Method::get_members, "room"));
    const Message diff = watcher.expect(Method::diff);
    EXPECT_EQ(diff.text, "6 6");  // the watcher's own subscription is summed up too
    EXPECT_EQ(names(*diff.members), (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4", "watcher"}));
    EXPECT_EQ(watcher.expect(Method::send_members).members->size(), 6u);

    std::vector<std::string> listed;
    std::string cursor;
    for (int pages = 0; pages < 10; ++pages) {
        watcher.send(request(Method::get_members_page, "room", cursor.empty() ? "4" : "4:" + cursor));
        const Message page = watcher.expect(Method::members_page);
        for (const Member& m : *page.members) listed.push_back(m.name);
        cursor = page.text.value_or("");
        if (cursor.empty()) break;
    }
    std::sort(listed.begin(), listed.end());
    EXPECT_EQ(listed, (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4", "watcher"}));
    watcher.send(request(Method::get_count, "room"));
    EXPECT_EQ(watcher.expect(Method::count).text, "6");

    remote[0]->close();
    ASSERT_TRUE(eventually([&] { return a.members("room").size() == 5; }));
    watcher.send(request(Method::get_members, "room"));
    const Message leave = watcher.expect(Method::diff);
    EXPECT_EQ(leave.text, "0 5");
    EXPECT_EQ(names(*leave.members), std::vector<std::string>{"m0"});
}

// Three connections of one user, two on node a and one on node b: a watcher on each node
// that asked for users is told of the user's first join and last leave only, once each.
TEST_F(MultiNodeTest, ThreeConnectionsOfOneUserOnTwoNodesAreOneJoinAndOneLeave) {
    presence.user_leave_grace = std::chrono::milliseconds(0);
    const std::vector<Server*> servers{&node("a"), &node("b")};
    const auto in_room = [&](std::size_t n) {
        return eventually([&] { return servers[0]->members("room").size() == n && servers[1]->members("room").size() == n; });
    };
    std::vector<std::unique_ptr<TestPeer>> watchers;
    for (Server* server : servers) {
        watchers.push_back(std::make_unique<TestPeer>(server->port()));
        watchers.back()->hello("users");
        watchers.back()->join("watcher");
        watchers.back()->subscribe("room");
        ASSERT_TRUE(in_room(watchers.size()));
    }
    watchers[0]->expect(Method::member_new);
    watchers[0]->expect(Method::channel_member_new);

    std::vector<std::unique_ptr<TestPeer>> tabs;
    for (Server* server : {servers[0], servers[0], servers[1]}) {
        auto p = std::make_unique<TestPeer>(server->port());
        Message join = request(Method::member_new);
        join.member = Member{p->session_id(), "Alice", "", "alice"};
        p->send(join);
        p->expect(Method::member_new);
        p->send(request(Method::channel_member_new, "room"));
        p->expect(Method::channel_member_new);
        tabs.push_back(std::move(p));
        ASSERT_TRUE(in_room(2 + tabs.size()));
    }
    const auto users_of = [](TestPeer& p) {
        p.send(request(Method::get_users, "room"));
        const Message users = p.expect(Method::users);
        std::size_t of_alice = 0;
        for (const Member& m : *users.members) of_alice += m.user == "alice";
        return of_alice;
    };
    for (auto& watcher : watchers) {
        EXPECT_EQ(watcher->expect(Method::member_new).member->user, "alice");
        EXPECT_EQ(watcher->expect(Method::channel_member_new).member->user, "alice");
        EXPECT_EQ(users_of(*watcher), 3u);  // and nothing else before the answer
    }

    for (auto& tab : tabs) tab->close();
    ASSERT_TRUE(in_room(2));
    for (auto& watcher : watchers) {
        EXPECT_EQ(watcher->expect(Method::channel_member_remove).member->user, "alice");
        EXPECT_EQ(watcher->expect(Method::member_remove).member->user, "alice");
        EXPECT_EQ(users_of(*watcher), 0u);
    }
}

// A member update made on node a reaches a member of node b that said hello with
// "updates", and node b's lists show it; node b's Redis share is not involved, node a's is.
TEST_F(MultiNodeTest, AnUpdateOnOneNodeIsSeenOnTheOther) {
    Server& a = node("a");
    Server& b = node("b");
    auto alice = peer(a, "alice");
    ASSERT_TRUE(eventually([&] { return b.members().size() == 1; }));
    TestPeer bob(b.port());
    bob.hello("updates");
    bob.join("bob");
    EXPECT_EQ(alice->expect(Method::member_new).member, bob.member());

    Message update = request(Method::update_member);
    update.member = Member{alice->session_id(), "", "on call"};
    update.carried = protocol::Carried{false, true};
    alice->send(update);
    const Member changed{alice->session_id(), "alice", "on call"};
    EXPECT_EQ(bob.expect(Method::update_member).member, changed);
    const auto listed = b.members();
    EXPECT_NE(std::find(listed.begin(), listed.end(), changed), listed.end());
    bob.send(request(Method::get_members, ""));
    const std::vector<Member> members = *bob.expect(Method::send_members).members;
    EXPECT_NE(std::find(members.begin(), members.end(), changed), members.end());

    // A node that starts now reads the new info from node a's share in Redis.
    Server& c = node("c");
    ASSERT_TRUE(eventually([&] {
        const auto seen = c.members();
        return std::find(seen.begin(), seen.end(), changed) != seen.end();
    }));
}

}  // namespace
}  // namespace presence::test
