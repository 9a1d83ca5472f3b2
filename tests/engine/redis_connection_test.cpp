// SPDX-License-Identifier: Apache-2.0
// One hiredis connection driven by Asio, against a real redis-server: replies, pipelining,
// pub/sub, outages and reconnection, closing, and destruction at any moment.
#include "engine/redis/redis_connection.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "redis_process.h"

namespace presence::redis {
namespace {

using namespace std::chrono_literals;
using test::RedisProcess;
using Type = Reply::Type;

// The loop stops whenever it runs out of work; each helper starts it again.

// Runs the loop until `done` holds, for at most `timeout`; false if it never did.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    io.restart();
    while (!done()) {
        if (io.run_one_until(deadline) == 0) return done();  // out of time, or of work
    }
    return true;
}

// Runs the loop until it has no work left: every handler that was still to come has run,
// so a callback that must not come would have come. False if work remains after 10 s.
bool run_until_idle(boost::asio::io_context& io) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    io.restart();
    while (io.run_one_until(deadline) > 0) {
    }
    return io.stopped();
}

// Runs the loop until it has run `count` handlers: for a connection that retries, each
// attempt runs a few (its backoff timer, its resolve, its refused connect), so that the
// retries a test means to watch have happened.
bool run_handlers(boost::asio::io_context& io, std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    io.restart();
    for (std::size_t ran = 0; ran < count; ++ran)
        if (io.run_one_until(deadline) == 0) return false;
    return true;
}

// Runs one handler (waiting for it at most a while).
void step(boost::asio::io_context& io) {
    io.restart();
    io.run_one_for(100ms);
}

// What a connection's handlers saw.
struct Seen {
    int ups = 0;
    int downs = 0;
    std::string why;
    std::vector<std::pair<std::string, std::string>> messages;
};

class RedisConnectionTest : public ::testing::Test {
protected:
    RedisConnectionOptions options() const {
        RedisConnectionOptions o;
        o.port = redis.port();
        o.initial_backoff = 10ms;
        o.max_backoff = 40ms;
        return o;
    }
    RedisConnection::Handlers handlers(Seen& seen) {
        return {[&seen] { ++seen.ups; },
                [&seen](const std::string& why) {
                    ++seen.downs;
                    seen.why = why;
                },
                [&seen](std::string_view channel, std::string_view payload) {
                    seen.messages.emplace_back(channel, payload);
                }};
    }
    std::unique_ptr<RedisConnection> connection(Seen& seen, RedisConnectionOptions o) {
        return std::make_unique<RedisConnection>(io.get_executor(), std::move(o), handlers(seen));
    }
    std::unique_ptr<RedisConnection> connection(Seen& seen) { return connection(seen, options()); }
    // A started connection, once it is up.
    std::unique_ptr<RedisConnection> connected(Seen& seen) {
        auto c = connection(seen);
        c->start();
        EXPECT_TRUE(run_until(io, [&] { return seen.ups == 1; }));
        return c;
    }
    // Sends one command and waits for its reply.
    template <typename Args>
    Reply call(RedisConnection& c, const Args& args) {
        auto reply = std::make_shared<std::optional<Reply>>();
        EXPECT_TRUE(c.command(args, [reply](const Reply& r) { *reply = r; }));
        EXPECT_TRUE(run_until(io, [&] { return reply->has_value(); }));
        return reply->value_or(Reply{});
    }
    Reply call(RedisConnection& c, std::initializer_list<std::string_view> args) {
        return call<std::initializer_list<std::string_view>>(c, args);
    }
    // The value of a key, read on a connection of its own.
    Reply read_key(std::string_view key) {
        Seen seen;
        auto c = connected(seen);
        return call(*c, {"GET", key});
    }

    // Waits until Redis holds `count` clients blocked (in BLPOP): their commands have
    // reached it, and their replies are pending.
    bool blocked_clients(int count) {
        Seen seen;
        auto probe = connected(seen);
        const std::string line = "blocked_clients:" + std::to_string(count) + "\r\n";
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (call(*probe, {"INFO", "clients"}).str.find(line) == std::string::npos) {
            if (std::chrono::steady_clock::now() > deadline) return false;
        }
        return true;
    }

    RedisProcess redis;
    boost::asio::io_context io;
};

std::vector<Reply> strings(std::initializer_list<std::string> values) {
    std::vector<Reply> out;
    for (const std::string& v : values) out.push_back(Reply{Type::string, 0, v, {}});
    return out;
}

void expect_same(const Reply& actual, const Reply& expected) {
    EXPECT_EQ(actual.type, expected.type);
    EXPECT_EQ(actual.integer, expected.integer);
    EXPECT_EQ(actual.str, expected.str);
    ASSERT_EQ(actual.elements.size(), expected.elements.size());
    for (std::size_t i = 0; i < expected.elements.size(); ++i) expect_same(actual.elements[i], expected.elements[i]);
}

TEST_F(RedisConnectionTest, ConnectsAndReportsUp) {
    Seen seen;
    auto c = connection(seen);
    EXPECT_FALSE(c->connected());
    c->start();
    ASSERT_TRUE(run_until(io, [&] { return seen.ups == 1; }));
    EXPECT_TRUE(c->connected());
    EXPECT_EQ(seen.downs, 0);
    expect_same(call(*c, {"PING"}), Reply{Type::status, 0, "PONG", {}});
}

TEST_F(RedisConnectionTest, ResolvesAHostName) {
    Seen seen;
    RedisConnectionOptions o = options();
    o.host = "localhost";
    auto c = connection(seen, o);
    c->start();
    ASSERT_TRUE(run_until(io, [&] { return seen.ups == 1; })) << seen.why;
    expect_same(call(*c, {"PING"}), Reply{Type::status, 0, "PONG", {}});
}

TEST_F(RedisConnectionTest, AHostThatDoesNotResolveIsReportedDown) {
    Seen seen;
    RedisConnectionOptions o = options();
    o.host = "no-such-host.invalid";  // never resolves (RFC 6761)
    o.connect_timeout = 1s;
    auto c = connection(seen, o);
    c->start();
    ASSERT_TRUE(run_until(io, [&] { return seen.downs == 1; }));
    EXPECT_NE(seen.why.find("no-such-host.invalid"), std::string::npos) << seen.why;
    EXPECT_EQ(seen.ups, 0);
    EXPECT_FALSE(c->connected());
}

TEST_F(RedisConnectionTest, SetsAndGetsBinaryValues) {
    Seen seen;
    auto c = connected(seen);
    const std::string key("key\0\n", 5);
    const std::string value("a\0b\nc\r\n$3\r\n\xff", 13);
    expect_same(call(*c, {"SET", key, value}), Reply{Type::status, 0, "OK", {}});
    expect_same(call(*c, {"GET", key}), Reply{Type::string, 0, value, {}});

    const std::vector<std::string> set{"SET", "other", std::string("\0", 1)};
    expect_same(call(*c, set), Reply{Type::status, 0, "OK", {}});
    expect_same(call(*c, {"GET", "other"}), Reply{Type::string, 0, std::string("\0", 1), {}});
    expect_same(call(*c, {"SET", "empty", ""}), Reply{Type::status, 0, "OK", {}});
    expect_same(call(*c, {"STRLEN", "empty"}), Reply{Type::integer, 0, "", {}});
}

TEST_F(RedisConnectionTest, GivesEveryKindOfReply) {
    Seen seen;
    auto c = connected(seen);
    expect_same(call(*c, {"INCRBY", "n", "42"}), Reply{Type::integer, 42, "", {}});
    expect_same(call(*c, {"INCRBY", "n", "-50"}), Reply{Type::integer, -8, "", {}});
    expect_same(call(*c, {"GET", "missing"}), Reply{});
    expect_same(call(*c, {"RPUSH", "list", "a", "", std::string_view("c\0", 2)}), Reply{Type::integer, 3, "", {}});
    expect_same(call(*c, {"LRANGE", "list", "0", "-1"}),
                Reply{Type::array, 0, "", strings({"a", "", std::string("c\0", 2)})});
    expect_same(call(*c, {"LRANGE", "missing", "0", "-1"}), Reply{Type::array, 0, "", {}});
    expect_same(call(*c, {"EVAL", "return {1, {'x', false}, 'y'}", "0"}),
                Reply{Type::array, 0, "",
                      {Reply{Type::integer, 1, "", {}},
                       Reply{Type::array, 0, "", {Reply{Type::string, 0, "x", {}}, Reply{}}},
                       Reply{Type::string, 0, "y", {}}}});

    const Reply unknown = call(*c, {"NO-SUCH-COMMAND"});
    EXPECT_EQ(unknown.type, Type::error);
    EXPECT_EQ(unknown.str.rfind("ERR ", 0), 0u) << unknown.str;
    const Reply wrong_type = call(*c, {"INCR", "list"});
    EXPECT_EQ(wrong_type.type, Type::error);
    EXPECT_EQ(wrong_type.str.rfind("WRONGTYPE", 0), 0u) << wrong_type.str;
    EXPECT_TRUE(c->connected());
}

TEST_F(RedisConnectionTest, PipelinedCommandsKeepTheirOrder) {
    Seen seen;
    auto c = connected(seen);
    // Every other command has no callback: the replies still line up with their commands.
    std::vector<long long> counts;
    for (int i = 0; i < 2000; ++i) {
        if (i % 2 == 0) {
            ASSERT_TRUE(c->command({"INCR", "counter"}, [&](const Reply& r) { counts.push_back(r.integer); }));
        } else {
            ASSERT_TRUE(c->command({"INCR", "counter"}));
        }
    }
    ASSERT_TRUE(run_until(io, [&] { return counts.size() == 1000; }));
    for (std::size_t i = 0; i < counts.size(); ++i) ASSERT_EQ(counts[i], static_cast<long long>(2 * i + 1));
}

TEST_F(RedisConnectionTest, ASubscriberGetsEveryMessageInOrder) {
    Seen subscriber_seen;
    Seen publisher_seen;
    auto subscriber = connected(subscriber_seen);
    auto publisher = connected(publisher_seen);
    const std::string channel("room\0\n 1", 8);
    bool subscribed = false;
    ASSERT_TRUE(subscriber->subscribe(channel, [&] { subscribed = true; }));
    ASSERT_TRUE(run_until(io, [&] { return subscribed; }));

    std::vector<std::string> sent;
    ASSERT_TRUE(publisher->command({"PUBLISH", "another room", "not for it"}));
    for (int i = 0; i < 500; ++i) {
        sent.push_back("message " + std::to_string(i) + std::string("\0\r\n", 3));
        ASSERT_TRUE(publisher->command({"PUBLISH", channel, sent.back()}));
    }
    const Reply receivers = call(*publisher, {"PUBLISH", channel, "last"});
    EXPECT_EQ(receivers.integer, 1);
    sent.push_back("last");

    ASSERT_TRUE(run_until(io, [&] { return subscriber_seen.messages.size() == sent.size(); }));
    for (std::size_t i = 0; i < sent.size(); ++i) {
        EXPECT_EQ(subscriber_seen.messages[i].first, channel);
        EXPECT_EQ(subscriber_seen.messages[i].second, sent[i]);
    }
    EXPECT_TRUE(publisher_seen.messages.empty());
}

TEST_F(RedisConnectionTest, ASubscribedConnectionTakesOnlySubscriptions) {
    Seen seen;
    auto c = connected(seen);
    int subscriptions = 0;
    ASSERT_TRUE(c->subscribe("one", [&] { ++subscriptions; }));
    EXPECT_FALSE(c->command({"PING"}));
    EXPECT_FALSE(c->command({"GET", "k"}, [](const Reply&) { ADD_FAILURE() << "no reply expected"; }));
    ASSERT_TRUE(c->subscribe("two", [&] { ++subscriptions; }));
    ASSERT_TRUE(run_until(io, [&] { return subscriptions == 2; }));

    Seen publisher_seen;
    auto publisher = connected(publisher_seen);
    expect_same(call(*publisher, {"PUBLISH", "two", "2"}), Reply{Type::integer, 1, "", {}});
    ASSERT_TRUE(run_until(io, [&] { return seen.messages.size() == 1; }));
    EXPECT_EQ(seen.messages[0], (std::pair<std::string, std::string>{"two", "2"}));
}

TEST_F(RedisConnectionTest, CommandsAreRefusedWhileNotConnected) {
    Seen seen;
    auto c = connection(seen);
    int called = 0;
    const auto count = [&](const Reply&) { ++called; };
    EXPECT_FALSE(c->command({"PING"}, count));
    EXPECT_FALSE(c->command(std::vector<std::string>{"PING"}, count));
    EXPECT_FALSE(c->subscribe("channel", [&] { ++called; }));
    c->start();
    EXPECT_FALSE(c->command({"PING"}, count));
    ASSERT_TRUE(run_until(io, [&] { return seen.ups == 1; }));
    expect_same(call(*c, {"PING"}), Reply{Type::status, 0, "PONG", {}});

    redis.kill();
    ASSERT_TRUE(run_until(io, [&] { return seen.downs == 1; }));
    EXPECT_FALSE(c->connected());
    EXPECT_FALSE(c->command({"PING"}, count));
    EXPECT_FALSE(c->subscribe("channel", [&] { ++called; }));
    // Once the connection is back and has answered a later command, nothing sent before
    // it is still to be answered.
    redis.restart();
    ASSERT_TRUE(run_until(io, [&] { return seen.ups == 2; }));
    expect_same(call(*c, {"PING"}), Reply{Type::status, 0, "PONG", {}});
    EXPECT_EQ(called, 0);
}

TEST_F(RedisConnectionTest, AKilledRedisIsReportedOnceAndFailsWhatIsPending) {
    Seen seen;
    auto c = connected(seen);
    std::vector<Reply> replies;
    const auto keep = [&](const Reply& r) { replies.push_back(r); };
    ASSERT_TRUE(c->command({"BLPOP", "never filled", "0"}, keep));
    ASSERT_TRUE(c->command({"PING"}, keep));
    ASSERT_TRUE(blocked_clients(1));
    EXPECT_TRUE(replies.empty());

    redis.kill();
    ASSERT_TRUE(run_until(io, [&] { return seen.downs == 1; }));
    ASSERT_EQ(replies.size(), 2u);
    for (const Reply& r : replies) {
        EXPECT_EQ(r.type, Type::error);
        EXPECT_NE(r.str.find("connection lost"), std::string::npos) << r.str;
    }
    EXPECT_FALSE(seen.why.empty());
    EXPECT_FALSE(c->connected());

    ASSERT_TRUE(run_handlers(io, 60));  // some fifteen retries fail, and say nothing more
    EXPECT_EQ(seen.downs, 1);
    EXPECT_EQ(seen.ups, 1);
}

TEST_F(RedisConnectionTest, ReconnectsByItselfAfterEachOutage) {
    Seen seen;
    auto c = connected(seen);
    for (int outage = 1; outage <= 2; ++outage) {
        redis.kill();
        ASSERT_TRUE(run_until(io, [&] { return seen.downs == outage; }));
        EXPECT_FALSE(c->connected());
        redis.restart();
        ASSERT_TRUE(run_until(io, [&] { return seen.ups == outage + 1; }));
        EXPECT_TRUE(c->connected());
        const std::string value = "after outage " + std::to_string(outage);
        expect_same(call(*c, {"SET", "k", value}), Reply{Type::status, 0, "OK", {}});
        expect_same(call(*c, {"GET", "k"}), Reply{Type::string, 0, value, {}});
    }
    EXPECT_EQ(seen.downs, 2);
}

TEST_F(RedisConnectionTest, AnOwnerSubscribesAgainWhenItComesUp) {
    std::unique_ptr<RedisConnection> subscriber;
    int confirmations = 0;
    std::vector<std::string> payloads;
    subscriber = std::make_unique<RedisConnection>(
        io.get_executor(), options(),
        RedisConnection::Handlers{[&] { subscriber->subscribe("events", [&] { ++confirmations; }); }, {},
                                  [&](std::string_view, std::string_view payload) { payloads.emplace_back(payload); }});
    subscriber->start();
    ASSERT_TRUE(run_until(io, [&] { return confirmations == 1; }));

    redis.kill();
    redis.restart();
    ASSERT_TRUE(run_until(io, [&] { return confirmations == 2; }));
    Seen seen;
    auto publisher = connected(seen);
    expect_same(call(*publisher, {"PUBLISH", "events", "again"}), Reply{Type::integer, 1, "", {}});
    ASSERT_TRUE(run_until(io, [&] { return payloads.size() == 1; }));
    EXPECT_EQ(payloads[0], "again");
}

TEST_F(RedisConnectionTest, RetriesUntilRedisIsThere) {
    redis.stop();
    Seen seen;
    auto c = connection(seen);
    c->start();
    ASSERT_TRUE(run_until(io, [&] { return seen.downs == 1; }));
    EXPECT_FALSE(seen.why.empty());
    ASSERT_TRUE(run_handlers(io, 60));  // some fifteen retries fail, and say nothing more
    EXPECT_EQ(seen.downs, 1);
    EXPECT_EQ(seen.ups, 0);

    redis.restart();
    ASSERT_TRUE(run_until(io, [&] { return seen.ups == 1; }));
    EXPECT_EQ(seen.downs, 1);
    expect_same(call(*c, {"PING"}), Reply{Type::status, 0, "PONG", {}});
}

// A listener whose accept queue is full drops the SYN of a further connection, which then
// hangs in connect(): only the connect timeout ends that attempt.
TEST_F(RedisConnectionTest, AConnectTimeoutDropsAnAttemptThatHangs) {
    using boost::asio::ip::tcp;
    tcp::acceptor acceptor(io);
    acceptor.open(tcp::v4());
    acceptor.bind({boost::asio::ip::address_v4::loopback(), 0});
    acceptor.listen(0);
    tcp::socket filler(io);
    filler.connect(acceptor.local_endpoint());

    Seen seen;
    RedisConnectionOptions o = options();
    o.port = acceptor.local_endpoint().port();
    o.connect_timeout = 100ms;
    auto c = connection(seen, o);
    c->start();
    ASSERT_TRUE(run_until(io, [&] { return seen.downs == 1; }));
    EXPECT_EQ(seen.why, "no connection within 100 ms");
    EXPECT_EQ(seen.ups, 0);

    tcp::socket accepted = acceptor.accept();  // room in the queue: the next attempt gets through
    ASSERT_TRUE(run_until(io, [&] { return seen.ups == 1; }));
    EXPECT_EQ(seen.downs, 1);
}

TEST_F(RedisConnectionTest, CloseDeliversWhatIsQueuedBeforeItsDone) {
    Seen seen;
    auto c = connected(seen);
    std::vector<std::string> order;
    ASSERT_TRUE(c->command({"SET", "closing", "value"}));
    ASSERT_TRUE(
        c->command({"INCR", "closed"}, [&](const Reply& r) { order.push_back("incr " + std::to_string(r.integer)); }));
    c->close([&] { order.push_back("closed"); });
    EXPECT_FALSE(c->connected());
    EXPECT_FALSE(c->command({"PING"}));
    ASSERT_TRUE(run_until(io, [&] { return order.size() == 2; }));
    EXPECT_EQ(order, (std::vector<std::string>{"incr 1", "closed"}));

    expect_same(read_key("closing"), Reply{Type::string, 0, "value", {}});
    EXPECT_TRUE(run_until_idle(io));  // a closed connection neither retries nor reports
    EXPECT_EQ(seen.ups, 1);
    EXPECT_EQ(seen.downs, 0);
    EXPECT_FALSE(c->connected());
}

TEST_F(RedisConnectionTest, CloseRunsItsDoneAlsoWhenNotConnected) {
    Seen never_seen;
    auto never_started = connection(never_seen);
    bool closed = false;
    never_started->close([&] { closed = true; });
    ASSERT_TRUE(run_until(io, [&] { return closed; }));

    Seen connecting_seen;
    auto connecting = connection(connecting_seen);
    connecting->start();
    step(io);  // the attempt: resolving
    step(io);  // resolved: connecting
    closed = false;
    connecting->close([&] { closed = true; });
    ASSERT_TRUE(run_until(io, [&] { return closed; }));

    Seen seen;
    auto c = connected(seen);
    redis.kill();
    ASSERT_TRUE(run_until(io, [&] { return seen.downs == 1; }));
    closed = false;
    c->close([&] { closed = true; });
    ASSERT_TRUE(run_until(io, [&] { return closed; }));
    redis.restart();
    EXPECT_TRUE(run_until_idle(io));  // a retry would keep the loop busy: none comes after close()
    EXPECT_EQ(seen.ups, 1);
    EXPECT_EQ(connecting_seen.ups + connecting_seen.downs + never_seen.ups + never_seen.downs, 0);
}

// Whatever the connection is doing (waiting to start, resolving, connecting, up with
// replies pending), destroying it runs no callback, and leaks nothing (see the ASan build).
TEST_F(RedisConnectionTest, DestroyingItAtAnyStepRunsNoCallback) {
    for (int steps = 0; steps < 6; ++steps) {
        SCOPED_TRACE("steps: " + std::to_string(steps));
        bool destroyed = false;
        int late = 0;
        const auto note = [&] { late += destroyed; };
        auto c = std::make_unique<RedisConnection>(
            io.get_executor(), options(),
            RedisConnection::Handlers{note, [&](const std::string&) { note(); },
                                      [&](std::string_view, std::string_view) { note(); }});
        c->start();
        for (int i = 0; i < steps; ++i) step(io);
        if (c->connected()) {
            c->command({"BLPOP", "never filled", "0"}, [&](const Reply&) { note(); });
            for (int i = 0; i < 100; ++i) c->command({"SET", "k", "v"}, [&](const Reply&) { note(); });
            c->subscribe("channel", note);
            io.restart();
            io.poll();
        }
        c.reset();
        destroyed = true;
        EXPECT_TRUE(run_until_idle(io));
        EXPECT_EQ(late, 0);
    }
}

TEST_F(RedisConnectionTest, DestroyingItWithRepliesPendingRunsNoCallback) {
    Seen seen;
    auto c = connected(seen);
    int called = 0;
    ASSERT_TRUE(c->command({"BLPOP", "never filled", "0"}, [&](const Reply&) { ++called; }));
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(c->command({"INCR", "n"}, [&](const Reply&) { ++called; }));
    ASSERT_TRUE(blocked_clients(1));
    c.reset();
    EXPECT_TRUE(run_until_idle(io));
    EXPECT_EQ(called, 0);
    EXPECT_EQ(seen.downs, 0);
}

TEST_F(RedisConnectionTest, CallbacksMayDestroyTheirConnection) {
    std::unique_ptr<RedisConnection> c;
    int replies = 0;
    c = std::make_unique<RedisConnection>(io.get_executor(), options(), RedisConnection::Handlers{});
    c->start();
    ASSERT_TRUE(run_until(io, [&] { return c->connected(); }));
    c->command({"PING"}, [&](const Reply&) {
        ++replies;
        c.reset();
    });
    c->command({"PING"}, [&](const Reply&) { ++replies; });
    ASSERT_TRUE(run_until(io, [&] { return !c; }));
    EXPECT_TRUE(run_until_idle(io));
    EXPECT_EQ(replies, 1);

    c = std::make_unique<RedisConnection>(io.get_executor(), options(),
                                          RedisConnection::Handlers{[&] { c.reset(); }, {}, {}});
    c->start();
    ASSERT_TRUE(run_until(io, [&] { return !c; }));

    c = std::make_unique<RedisConnection>(
        io.get_executor(), options(),
        RedisConnection::Handlers{{}, {}, [&](std::string_view, std::string_view) { c.reset(); }});
    c->start();
    ASSERT_TRUE(run_until(io, [&] { return c->connected(); }));
    bool subscribed = false;
    c->subscribe("room", [&] { subscribed = true; });
    ASSERT_TRUE(run_until(io, [&] { return subscribed; }));
    Seen seen;
    auto publisher = connected(seen);
    publisher->command({"PUBLISH", "room", "one"});
    publisher->command({"PUBLISH", "room", "two"});
    ASSERT_TRUE(run_until(io, [&] { return !c; }));

    c = std::make_unique<RedisConnection>(io.get_executor(), options(),
                                          RedisConnection::Handlers{{}, [&](const std::string&) { c.reset(); }, {}});
    c->start();
    ASSERT_TRUE(run_until(io, [&] { return c->connected(); }));
    c->command({"BLPOP", "never filled", "0"}, [&](const Reply&) { ++replies; });
    redis.kill();
    ASSERT_TRUE(run_until(io, [&] { return !c; }));
    EXPECT_EQ(replies, 2);
}

TEST_F(RedisConnectionTest, CallbacksMayCloseTheirConnection) {
    Seen seen;
    auto c = connected(seen);
    std::vector<std::string> order;
    c->command({"PING"}, [&](const Reply&) {
        order.push_back("ping");
        c->close([&] { order.push_back("closed"); });
    });
    c->command({"INCR", "n"}, [&](const Reply& r) { order.push_back("incr " + std::to_string(r.integer)); });
    ASSERT_TRUE(run_until(io, [&] { return order.size() == 3; }));
    EXPECT_EQ(order, (std::vector<std::string>{"ping", "incr 1", "closed"}));
    EXPECT_EQ(seen.downs, 0);
}

}  // namespace
}  // namespace presence::redis
