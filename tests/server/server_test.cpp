// SPDX-License-Identifier: Apache-2.0
// The server over real loopback sockets, driven by bare WebSocket peers.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "presence/server.h"
#include "test_peer.h"

namespace presence::test {
namespace {

using protocol::Message;
using protocol::Method;

class ServerTest : public ::testing::Test {
protected:
    void start(ServerOptions options = {}) {
        options.port = 0;
        server = std::make_unique<Server>(options, hooks);
        server->start();
    }
    std::unique_ptr<TestPeer> peer(const std::string& name) {
        auto p = std::make_unique<TestPeer>(server->port());
        p->join(name);
        return p;
    }
    // A request whose answer must come next: proves nothing else was queued before it.
    static void expect_quiet(TestPeer& p) {
        p.send(request(Method::get_members, ""));
        p.expect(Method::send_members);
    }

    ServerHooks hooks;
    std::unique_ptr<Server> server;
};

TEST_F(ServerTest, JoinIsAnnouncedToEveryMember) {
    start();
    auto alice = peer("alice");
    auto bob = peer("bob");
    EXPECT_EQ(alice->expect(Method::member_new).member, bob->member());
    EXPECT_EQ(server->members().size(), 2u);
}

TEST_F(ServerTest, SubscribePublishAndUnsubscribeReachTheChannelOnly) {
    start();
    auto alice = peer("alice");
    auto bob = peer("bob");
    auto carol = peer("carol");
    alice->expect(Method::member_new);
    alice->expect(Method::member_new);
    bob->expect(Method::member_new);

    alice->subscribe("room");
    bob->subscribe("room");
    EXPECT_EQ(alice->expect(Method::channel_member_new).member, bob->member());

    bob->send(request(Method::publish_msg, "room", "hello"));
    for (TestPeer* p : {alice.get(), bob.get()}) {
        const Message m = p->expect(Method::publish_msg);
        EXPECT_EQ(m.text, "hello");
        EXPECT_EQ(m.channel, "room");
        EXPECT_EQ(m.member, bob->member());
    }
    bob->send(request(Method::channel_member_remove, "room"));
    EXPECT_EQ(alice->expect(Method::channel_member_remove).member, bob->member());
    EXPECT_EQ(bob->expect(Method::channel_member_remove).member, bob->member());
    expect_quiet(*carol);

    alice->send(request(Method::publish_msg, "", "to all"));
    for (TestPeer* p : {alice.get(), bob.get(), carol.get()})
        EXPECT_EQ(p->expect(Method::publish_msg).text, "to all");
}

TEST_F(ServerTest, GetMembersOfOneChannelAndOfAll) {
    start();
    auto alice = peer("alice");
    auto bob = peer("bob");
    alice->expect(Method::member_new);
    bob->subscribe("room");

    alice->send(request(Method::get_members, "room"));
    Message answer = alice->expect(Method::send_members);
    EXPECT_EQ(answer.channel, "room");
    EXPECT_EQ(answer.member, alice->member());
    EXPECT_EQ(answer.members, std::vector<Member>{bob->member()});

    alice->send(request(Method::get_members, ""));
    answer = alice->expect(Method::send_members);
    ASSERT_TRUE(answer.members);
    EXPECT_EQ(answer.members->size(), 2u);
}

TEST_F(ServerTest, DisconnectAnnouncesChannelRemovalsThenMemberRemoval) {
    start();
    auto alice = peer("alice");
    auto bob = peer("bob");
    alice->expect(Method::member_new);
    alice->subscribe("a");
    alice->subscribe("b");
    bob->subscribe("a");
    bob->subscribe("b");
    alice->expect(Method::channel_member_new);
    alice->expect(Method::channel_member_new);
    const Member gone = bob->member();
    bob.reset();
    std::set<std::string> channels;
    for (int i = 0; i < 2; ++i) {
        const Message m = alice->expect(Method::channel_member_remove);
        EXPECT_EQ(m.member, gone);
        channels.insert(m.channel.value_or(""));
    }
    EXPECT_EQ(channels, (std::set<std::string>{"a", "b"}));
    EXPECT_EQ(alice->expect(Method::member_remove).member, gone);
}

TEST_F(ServerTest, InvitationAcceptedAndRefusedAreReportedToTheInviter) {
    start();
    auto alice = peer("alice");
    auto bob = peer("bob");
    alice->expect(Method::member_new);
    EXPECT_EQ(alice->hello("invitation-response"), "invitation-response,heartbeat,resume");

    Message invite = request(Method::channel_invitation, "room");
    invite.members = std::vector<Member>{{bob->session_id(), {}, {}}};
    alice->send(invite);
    Message got = bob->expect(Method::channel_invitation);
    EXPECT_EQ(got.member, alice->member());
    EXPECT_EQ(got.channel, "room");
    bob->subscribe("room");
    Message response = alice->expect(Method::invitation_response);
    EXPECT_EQ(response.member, bob->member());
    EXPECT_EQ(response.text, "accepted");

    invite.channel = "other";
    alice->send(invite);
    bob->expect(Method::channel_invitation);
    Message refusal = request(Method::invitation_response, "other", "refused");
    refusal.member = Member{alice->session_id(), {}, {}};
    bob->send(refusal);
    response = alice->expect(Method::invitation_response);
    EXPECT_EQ(response.text, "refused");
    EXPECT_EQ(response.channel, "other");
}

TEST_F(ServerTest, InvitationToAnUnknownMemberIsAnError) {
    start();
    auto alice = peer("alice");
    Message invite = request(Method::channel_invitation, "room");
    invite.members = std::vector<Member>{{"nobody", {}, {}}};
    alice->send(invite);
    const Message error = alice->expect(Method::error_member_channel);
    ASSERT_TRUE(error.error);
    EXPECT_EQ(error.error->code, 3);
    EXPECT_EQ(error.member->id, "nobody");
}

TEST_F(ServerTest, AConnectionActsOnlyAsItsOwnMember) {
    start();
    auto alice = peer("alice");
    auto bob = peer("bob");
    alice->expect(Method::member_new);
    Message leave = request(Method::member_remove);
    leave.member = bob->member();
    alice->send(leave);
    EXPECT_EQ(alice->expect(Method::error_member_channel).error->code, 3);
    EXPECT_EQ(server->members().size(), 2u);
}

struct Refusal {
    const char* name;
    int code;

    friend void PrintTo(const Refusal& r, std::ostream* os) { *os << r.name << " -> " << r.code; }
};

class RefusingHookTest : public ServerTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(RefusingHookTest, AnswersItsErrorCodeToTheRequesterOnly) {
    const std::string refused = GetParam().name;
    const auto no = [refused](const char* name) { return refused != name; };
    hooks.before_new_member = [no](const Member& m) { return no("member") || m.name != "bob"; };
    hooks.before_new_channel = [no](const std::string&, const Member&) { return no("channel"); };
    hooks.before_new_channel_member = [no](const std::string&, const Member&) { return no("subscribe"); };
    hooks.before_publish = [no](const std::string&, const Member&, const std::string&) { return no("publish"); };
    hooks.before_send_members = [no](const std::string&, const Member&) { return no("members"); };
    hooks.before_invite = [no](const std::string&, const Member&, const Member&) { return no("invite"); };
    start();
    auto alice = peer("alice");
    TestPeer bob(server->port());

    Message m = request(Method::member_new);
    m.member = Member{bob.session_id(), "bob", ""};
    bob.send(m);
    if (refused != "member") {
        bob.expect(Method::member_new);
        alice->expect(Method::member_new);
    }
    bob.send(request(Method::channel_member_new, "room"));
    bob.send(request(Method::publish_msg, "", "hi"));
    bob.send(request(Method::get_members, ""));
    Message invite = request(Method::channel_invitation, "room");
    invite.members = std::vector<Member>{alice->member()};
    bob.send(invite);

    std::optional<Message> error;
    for (int i = 0; i < 8 && !error; ++i) {
        const std::optional<std::string> frame = bob.next();
        ASSERT_TRUE(frame);
        protocol::Decoded d = protocol::decode(*frame);
        if (d.message.error) error = d.message;
    }
    ASSERT_TRUE(error);
    EXPECT_EQ(error->error->code, GetParam().code);
    EXPECT_EQ(error->method, refused == "publish" ? Method::error_publish_msg : Method::error_member_channel);
}

INSTANTIATE_TEST_SUITE_P(Hooks, RefusingHookTest,
                         ::testing::Values(Refusal{"member", 2}, Refusal{"channel", 6},
                                           Refusal{"subscribe", 10}, Refusal{"publish", 20},
                                           Refusal{"members", 30}, Refusal{"invite", 40}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(ServerTest, NotificationHooksFireInOrder) {
    std::mutex mutex;
    std::vector<std::string> events;
    const auto log = [&](std::string e) {
        std::lock_guard lock(mutex);
        events.push_back(std::move(e));
    };
    hooks.on_connect = [&](const std::string&) { log("connect"); };
    hooks.on_new_member = [&](const Member& m) { log("new member " + m.name); };
    hooks.on_new_channel = [&](const std::string& c) { log("new channel " + c); };
    hooks.on_new_channel_member = [&](const std::string& c, const Member& m) { log(m.name + " in " + c); };
    hooks.on_remove_channel_member = [&](const std::string& c, const Member& m) { log(m.name + " out " + c); };
    hooks.on_remove_channel = [&](const std::string& c) { log("removed channel " + c); };
    hooks.on_remove_member = [&](const Member& m) { log("removed member " + m.name); };
    hooks.on_disconnect = [&](const std::string&) { log("disconnect"); };
    start();
    auto alice = peer("alice");
    alice->subscribe("room");
    alice.reset();
    // A round trip after a new join: every hook before it has run by then.
    auto watcher = peer("watcher");
    expect_quiet(*watcher);
    server.reset();  // the hooks use this test's locals: no server may outlive them
    const std::vector<std::string> expected{"connect", "new member alice", "new channel room",
                                            "alice in room", "alice out room", "removed channel room",
                                            "removed member alice", "disconnect", "connect",
                                            "new member watcher", "removed member watcher", "disconnect"};
    EXPECT_EQ(events, expected);
}

TEST_F(ServerTest, BroadcastAndQueriesFromTheApplication) {
    start();
    auto alice = peer("alice");
    auto bob = peer("bob");
    alice->expect(Method::member_new);
    alice->subscribe("room");
    EXPECT_EQ(server->channels(), (std::vector<ChannelSummary>{{"room", 1}}));
    EXPECT_EQ(server->members("room"), std::vector<Member>{alice->member()});

    server->broadcast("news", "room");
    const Message m = alice->expect(Method::publish_msg);
    EXPECT_EQ(m.text, "news");
    EXPECT_EQ(m.channel, "room");
    expect_quiet(*bob);
    server->broadcast("all");
    EXPECT_EQ(alice->expect(Method::publish_msg).text, "all");
    EXPECT_EQ(bob->expect(Method::publish_msg).text, "all");
    // No client could read a frame that is not UTF-8 (found by fuzz_service).
    EXPECT_THROW(server->broadcast("d\xe9j\xe0 vu"), std::invalid_argument);
    EXPECT_THROW(server->broadcast("x", "caf\xe9"), std::invalid_argument);
    expect_quiet(*alice);
}

TEST_F(ServerTest, AcknowledgedRequestsHaveOneEffect) {
    start();
    auto alice = peer("alice");
    Message publish = request(Method::publish_msg, "", "once");
    publish.id = "req-1";
    alice->send(publish);
    alice->send(publish);
    EXPECT_EQ(alice->expect(Method::acknowledgment).id, "req-1");
    EXPECT_EQ(alice->expect(Method::publish_msg).text, "once");
    EXPECT_EQ(alice->expect(Method::acknowledgment).id, "req-1");
    expect_quiet(*alice);
}

TEST_F(ServerTest, UnacknowledgedMessagesAreResentWithTheSameIdUntilTheRetryLimit) {
    ServerOptions options;
    options.presence.ack = {true, 50ms, 100ms, 2};
    // The messages given up on, as the hook reports them; shared with the hook, which may
    // run until the server is gone.
    struct Dropped {
        std::mutex mutex;
        std::condition_variable changed;
        std::vector<std::string> reports;
    };
    const auto dropped = std::make_shared<Dropped>();
    hooks.on_error = [dropped](const ConnectionError& error) {
        if (error.what.find("never acknowledged") == std::string::npos) return;
        std::lock_guard lock(dropped->mutex);
        dropped->reports.push_back(error.what);
        dropped->changed.notify_all();
    };
    const auto dropped_once = [&](const std::string& id) {
        std::unique_lock lock(dropped->mutex);
        return dropped->changed.wait_for(lock, 10s, [&] {
            return std::any_of(dropped->reports.begin(), dropped->reports.end(),
                               [&](const std::string& what) { return what.starts_with("message " + id + " "); });
        });
    };
    start(options);
    TestPeer alice(server->port());
    // The session frame was the first tracked message: it must come back twice, same bytes.
    std::optional<std::string> first = alice.next();
    std::optional<std::string> second = alice.next();
    ASSERT_TRUE(first && second);
    const Message resent = protocol::decode(*first).message;
    EXPECT_EQ(resent.method, Method::session);
    EXPECT_EQ(resent.text, alice.session_id());
    EXPECT_FALSE(resent.id.empty());
    EXPECT_EQ(*first, *second);
    // No third copy, and none of a message once acknowledged. The server answers a request
    // after the acknowledgment sent before it; copies of the announcement that were on their
    // way before the acknowledgment arrived may come first.
    Message join = request(Method::member_new);
    join.member = alice.member();
    alice.send(join);
    const std::optional<std::string> announcement = alice.next();
    ASSERT_TRUE(announcement);
    const Message announced = protocol::decode(*announcement).message;
    EXPECT_EQ(announced.method, Method::member_new);
    alice.send(protocol::encode_acknowledgment(announced.id));
    alice.send(request(Method::get_members, ""));
    std::optional<std::string> frame = alice.next();
    while (frame && *frame == *announcement) frame = alice.next();
    ASSERT_TRUE(frame);
    const Message answer = protocol::decode(*frame).message;
    ASSERT_EQ(answer.method, Method::send_members) << *frame;
    // By the time the server gave up on that answer, it had had two timeouts after the
    // acknowledgment to send another copy: only the answer's own copies come before the
    // answer to a last request.
    ASSERT_TRUE(dropped_once(answer.id));
    alice.send(request(Method::ping));
    for (;;) {
        frame = alice.next();
        ASSERT_TRUE(frame);
        const Message m = protocol::decode(*frame).message;
        if (m.method == Method::pong) break;
        EXPECT_EQ(m.id, answer.id) << "only copies of the unacknowledged answer, not " << *frame;
    }
    alice.close();
    server.reset();
    EXPECT_GE(dropped->reports.size(), 1u);
}

TEST_F(ServerTest, StopClosesEveryClientWithGoingAway) {
    std::atomic<int> removed{0};
    hooks.on_remove_member = [&](const Member&) { ++removed; };
    start();
    auto alice = peer("alice");
    auto bob = peer("bob");
    alice->expect(Method::member_new);
    server->stop();
    EXPECT_EQ(alice->expect_close(), 1001);
    EXPECT_EQ(bob->expect_close(), 1001);
    EXPECT_EQ(removed.load(), 2);
}

TEST_F(ServerTest, ASlowConsumerIsClosedAndOthersCarryOn) {
    ServerOptions options;
    options.max_send_queue_bytes = 256 * 1024;
    options.close_timeout = 30s;  // time for the slow peer to read its way to the close frame
    options.presence.max_requests_per_second = 0;  // the fast publisher floods on purpose
    start(options);
    auto fast = peer("fast");
    auto slow = peer("slow");
    fast->expect(Method::member_new);
    const std::string big(32 * 1024, 'x');
    // Far more than loopback socket buffers can hold for a peer that never reads. The slow
    // member leaves as soon as it is closed, in the middle of the flood.
    std::optional<Message> removed;
    for (int i = 0; i < 800 && !removed; ++i) {
        fast->send(request(Method::publish_msg, "", big));
        Message got = protocol::decode(fast->next().value_or("")).message;
        if (got.method == Method::member_remove) removed = std::move(got);
        else ASSERT_EQ(got.text.value_or("").size(), big.size());
    }
    ASSERT_TRUE(removed);
    EXPECT_EQ(removed->member, slow->member());
    fast->expect(Method::publish_msg);  // of the publish the removal came before
    EXPECT_EQ(slow->expect_close(30s), 1008);
    expect_quiet(*fast);
}

TEST(ServerOnAnIoContext, RunsOnTheApplicationsThreadsAndLetsThemReturnAfterStop) {
    boost::asio::io_context io;
    ServerOptions options;
    options.port = 0;
    Server server(io, options);
    server.start();
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i) threads.emplace_back([&io] { io.run(); });
    {
        TestPeer alice(server.port());
        alice.join("alice");
        TestPeer bob(server.port());
        bob.join("bob");
        EXPECT_EQ(alice.expect(Method::member_new).member, bob.member());
        EXPECT_EQ(server.members().size(), 2u);
    }
    server.stop();
    EXPECT_EQ(server.connections(), 0u);
    // With every connection gone and nothing listening, run() has no work left: a server
    // that kept some would hang this join until the test's time-out.
    for (std::thread& t : threads) t.join();
}

// A tick of the server's clock whose completion is already queued when the server stops
// must not arm the clock again: the application's io_context would never run out of work,
// and a thread that joins the one running it would wait for ever. The loop is held until a
// join frame and a tick of the diff clock are both due, so that the loop takes them in the
// same turn, the frame first (sockets before timers): the hook it runs stops the server
// while the tick waits behind it.
TEST(ServerOnAnIoContext, AStopWhileATickIsDueLeavesTheLoopNoWork) {
    boost::asio::io_context io;
    auto work = boost::asio::make_work_guard(io);
    ServerOptions options;
    options.port = 0;
    options.presence.diff_interval = 50ms;
    Server* server = nullptr;
    ServerHooks hooks;
    hooks.on_new_member = [&server](const Member&) { server->stop(); };
    Server stopping(io, options, hooks);
    server = &stopping;
    stopping.start();
    std::promise<void> ran_out;
    std::thread runner([&io, &ran_out] {
        io.run();
        ran_out.set_value();
    });
    TestPeer alice(stopping.port());

    std::promise<void> held;
    std::promise<void> release;
    boost::asio::post(io, [&held, released = release.get_future()] {
        held.set_value();
        released.wait();
    });
    held.get_future().wait();
    Message join = request(Method::member_new);
    join.member = alice.member();
    alice.send(join);
    // The clock's next tick is due within one interval of the hold's start: four make
    // sure of it (a longer hold changes nothing).
    std::this_thread::sleep_for(4 * options.presence.diff_interval);
    release.set_value();

    alice.close();
    stopping.stop();
    work.reset();
    const bool returned = ran_out.get_future().wait_for(30s) == std::future_status::ready;
    EXPECT_TRUE(returned) << "the server left work in the io_context after stop()";
    if (!returned) io.stop();
    runner.join();
}

// With one thread running the io_context, a handler of the application's own cannot wait
// for the server's strand, which needs that very thread: a query from there is refused at
// once, and stop() only begins the shutdown, where both used to wait for ever. Should they
// wait, this thread runs the io_context too, which lets them return, and the test fails.
TEST(ServerOnAnIoContext, CallsFromAnotherHandlerOfItsOnlyThreadReturn) {
    boost::asio::io_context io;
    ServerOptions options;
    options.port = 0;
    Server server(io, options);
    server.start();
    std::thread runner([&io] { io.run(); });
    TestPeer alice(server.port());
    alice.join("alice");

    std::promise<std::string> outcome;
    boost::asio::post(io, [&server, &outcome] {
        std::string what = "refused";
        try {
            what = "answered: " + std::to_string(server.members().size()) + " member(s)";
        } catch (const std::logic_error&) {
        }
        server.stop();
        outcome.set_value(what);
    });
    auto done = outcome.get_future();
    const bool returned = done.wait_for(10s) == std::future_status::ready;
    while (done.wait_for(0s) != std::future_status::ready) io.run_one_for(1s);
    EXPECT_TRUE(returned) << "a call from a handler of the io_context waited for its own thread";
    EXPECT_EQ(done.get(), "refused");
    // The shutdown begun there completes: the member hears it, and the loop runs out of work.
    EXPECT_EQ(alice.expect_close(), 1001);
    server.stop();
    runner.join();
    EXPECT_EQ(server.connections(), 0u);
}

// A hook runs on the server's strand: the queries answer there, even with one thread.
TEST(ServerOnAnIoContext, AQueryFromAHookOfItsOnlyThreadAnswers) {
    boost::asio::io_context io;
    ServerOptions options;
    options.port = 0;
    Server* server = nullptr;
    std::promise<std::size_t> members;
    ServerHooks hooks;
    hooks.on_new_member = [&server, &members](const Member&) { members.set_value(server->members().size()); };
    Server running(io, options, hooks);
    server = &running;
    running.start();
    std::thread runner([&io] { io.run(); });
    {
        TestPeer alice(running.port());
        alice.join("alice");
        auto answer = members.get_future();
        const bool answered = answer.wait_for(10s) == std::future_status::ready;
        EXPECT_TRUE(answered);
        if (answered) {
            EXPECT_EQ(answer.get(), 1u);
        }
    }
    running.stop();
    runner.join();
}

TEST_F(ServerTest, AcceptsAnyProtocolEndingWithThePresenceName) {
    start();
    TestPeer prefixed(server->port(), "web.presence.esegece.com");
    EXPECT_EQ(prefixed.accepted_subprotocol(), "web.presence.esegece.com");
    TestPeer plain(server->port(), "");
    EXPECT_EQ(plain.accepted_subprotocol(), "");
    EXPECT_FALSE(plain.session_id().empty());
}

}  // namespace
}  // namespace presence::test
