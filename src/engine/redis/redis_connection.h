// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct redisAsyncContext;

namespace presence::redis {

// A reply, copied out of hiredis so callbacks may keep it.
struct Reply {
    enum class Type { nil, integer, string, status, error, array };
    Type type = Type::nil;
    long long integer = 0;
    std::string str;              // string, status, error
    std::vector<Reply> elements;  // array
};

struct RedisConnectionOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    std::chrono::milliseconds connect_timeout{2000};  // name resolution included
    std::chrono::milliseconds initial_backoff{100};   // first retry after a failure; doubles
    std::chrono::milliseconds max_backoff{2000};
};

// One connection to Redis, driven by hiredis's asynchronous API on an Asio executor: no
// call blocks, not even name resolution. It reconnects by itself until close(). All calls
// and all callbacks happen on the executor (a strand), and no callback runs inside a call
// to a member function of this class. Callbacks may call any member function, destructor
// included.
class RedisConnection {
public:
    struct Handlers {
        std::function<void()> on_up;                          // connected, first time or again
        std::function<void(const std::string& why)> on_down;  // lost, or could not connect; a retry is scheduled
        std::function<void(std::string_view channel, std::string_view payload)> on_message;  // pub/sub
    };

    RedisConnection(boost::asio::any_io_executor executor, RedisConnectionOptions options, Handlers handlers);
    // Closes at once; no callback runs after it, none during it.
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    // First connection attempt; retries forever with backoff until close().
    void start();
    bool connected() const;

    // Queues a command; returns false (and sends nothing, and never calls done) when not
    // connected, or once this connection has subscribed: Redis refuses most commands then,
    // and hiredis 0.14 misroutes the replies of the others (PING). `done` (optional)
    // receives the reply; if the connection is lost first it receives a Reply of Type::error
    // whose str says so. Arguments are binary-safe. Not for (P)SUBSCRIBE, (P)UNSUBSCRIBE or
    // MONITOR, whose replies hiredis routes differently.
    bool command(std::initializer_list<std::string_view> args, std::function<void(const Reply&)> done = {});
    bool command(const std::vector<std::string>& args, std::function<void(const Reply&)> done = {});

    // SUBSCRIBE: later messages of that channel go to handlers.on_message, with string_views
    // into hiredis's reply (no copy). `subscribed` (optional) runs when Redis has confirmed
    // the subscription, from when on what is published reaches this connection; it does not
    // run if the connection goes first. Returns false when not connected. After a
    // reconnection the owner subscribes again (typically in on_up).
    bool subscribe(std::string_view channel, std::function<void()> subscribed = {});

    // Lets what is queued reach Redis and its replies come back, then closes and stops
    // retrying for good; `done` runs once after, also when not connected. Call it once.
    void close(std::function<void()> done);

private:
    struct Watcher;
    using Done = std::function<void(const Reply&)>;
    using Callback = void (*)(redisAsyncContext*, void*, void*);

    static void on_reply(redisAsyncContext* context, void* reply, void* done);
    static void on_pubsub(redisAsyncContext* context, void* reply, void*);

    bool subscribed() const;
    template <typename Args>
    bool queue(const Args& args, Done done);
    template <typename Args>
    bool send(const Args& args, Callback callback, void* data);
    void confirm_subscription();

    void attempt();
    void connect(const boost::asio::ip::tcp::resolver::results_type& endpoints);
    void came_up();
    void drop_attempt();
    void context_gone(const redisAsyncContext& context);
    void lost(const std::string& why);
    void free_context();
    void disconnect();
    void finish_close();
    void wait(std::chrono::milliseconds delay, void (RedisConnection::*then)());
    void cancel_wait();

    boost::asio::any_io_executor executor_;
    RedisConnectionOptions options_;
    Handlers handlers_;
    redisAsyncContext* context_ = nullptr;  // null while resolving, waiting to retry, or closed
    bool closing_ = false;
    bool down_reported_ = false;  // on_down runs once per outage, not once per failed retry
    std::chrono::milliseconds backoff_;
    std::function<void()> close_done_;
    std::deque<std::function<void()>> subscribing_;  // in the order Redis confirms them

    // The timer paces every step: the first attempt, the connect timeout of an attempt, the
    // delay before the next one, the disconnection close() asks for. Every arming or
    // cancelling starts a new epoch; a handler from an older epoch (already queued when the
    // timer was cancelled) does nothing. The resolution of an attempt belongs to the epoch
    // of its timeout.
    boost::asio::steady_timer timer_;
    unsigned epoch_ = 0;
    boost::asio::ip::tcp::resolver resolver_;
    // Handlers hold a weak reference: one queued before destruction sees it expired.
    std::shared_ptr<int> lifetime_ = std::make_shared<int>();
};

}  // namespace presence::redis
