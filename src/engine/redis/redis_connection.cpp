// SPDX-License-Identifier: Apache-2.0
#include "engine/redis/redis_connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/container/small_vector.hpp>
#include <utility>

namespace presence::redis {

namespace {

using boost::asio::ip::tcp;

std::string_view view(const redisReply& reply) { return {reply.str, reply.len}; }

Reply text(Reply::Type type, const redisReply& reply) {
    Reply out;
    out.type = type;
    out.str.assign(reply.str, reply.len);
    return out;
}

Reply copy(const redisReply& reply) {
    switch (reply.type) {
        case REDIS_REPLY_STRING: return text(Reply::Type::string, reply);
        case REDIS_REPLY_STATUS: return text(Reply::Type::status, reply);
        case REDIS_REPLY_ERROR: return text(Reply::Type::error, reply);
        case REDIS_REPLY_INTEGER: return Reply{Reply::Type::integer, reply.integer, {}, {}};
        case REDIS_REPLY_ARRAY: {
            Reply out{Reply::Type::array, 0, {}, {}};
            out.elements.reserve(reply.elements);
            for (std::size_t i = 0; i < reply.elements; ++i) out.elements.push_back(copy(*reply.element[i]));
            return out;
        }
        default: return {};
    }
}

// What a command gets when its connection goes before its reply comes.
Reply failure(const redisAsyncContext& context) {
    Reply out;
    out.type = Reply::Type::error;
    out.str = context.c.err ? std::string("connection lost: ") + context.c.errstr
                            : std::string("connection closed before the reply");
    return out;
}

// Pointers and lengths for redisAsyncCommandArgv; those of usual commands stay on the stack.
class Argv {
public:
    template <typename Args>
    explicit Argv(const Args& args) {
        for (std::string_view arg : args) {
            // An empty view may have no data at all, and hiredis copies from it all the same.
            pointers_.push_back(arg.empty() ? "" : arg.data());
            lengths_.push_back(arg.size());
        }
    }
    int count() const { return static_cast<int>(pointers_.size()); }
    const char** pointers() { return pointers_.data(); }
    const std::size_t* lengths() const { return lengths_.data(); }

private:
    boost::container::small_vector<const char*, 8> pointers_;
    boost::container::small_vector<std::size_t, 8> lengths_;
};

}  // namespace

// The event-loop side of one hiredis context: waits on its socket for what hiredis wants
// (reading, writing) and hands the events back to it. hiredis owns the context and the
// socket, and may free them during any call into it; it then calls cleanup(), after which
// the watcher only lets its queued waits finish.
struct RedisConnection::Watcher : std::enable_shared_from_this<Watcher> {
    struct Interest {
        boost::asio::posix::stream_descriptor::wait_type type;
        bool wanted = false;   // hiredis asked for it and has not withdrawn it
        bool waiting = false;  // a wait is queued
    };

    Watcher(const boost::asio::any_io_executor& executor, redisAsyncContext* context)
        : context(context), descriptor(executor, context->c.fd) {}

    static Watcher& of(void* data) { return *static_cast<Watcher*>(data); }

    static void attach(const boost::asio::any_io_executor& executor, redisAsyncContext* context) {
        auto watcher = std::make_shared<Watcher>(executor, context);
        watcher->self = watcher;
        context->ev.data = watcher.get();
        context->ev.addRead = [](void* w) { of(w).want(of(w).read); };
        context->ev.delRead = [](void* w) { of(w).read.wanted = false; };
        context->ev.addWrite = [](void* w) { of(w).want(of(w).write); };
        context->ev.delWrite = [](void* w) { of(w).write.wanted = false; };
        context->ev.cleanup = [](void* w) { of(w).cleanup(); };
        // hiredis learns that the connection is up from the first write event.
        watcher->want(watcher->write);
    }

    void want(Interest& interest) {
        interest.wanted = true;
        if (!interest.waiting) arm(interest);
    }

    void arm(Interest& interest) {
        interest.waiting = true;
        descriptor.async_wait(interest.type,
                              [self = shared_from_this(), &interest](const boost::system::error_code& ec) {
                                  self->ready(interest, ec);
                              });
    }

    void ready(Interest& interest, const boost::system::error_code& ec) {
        interest.waiting = false;
        if (ec || !context || !interest.wanted) return;
        const bool was_up = context->c.flags & REDIS_CONNECTED;
        if (&interest == &read) {
            redisAsyncHandleRead(context);
        } else {
            redisAsyncHandleWrite(context);
        }
        if (!context) return;
        // hiredis treats an interest as lasting until withdrawn (it does not renew it while
        // a connect is still in progress).
        if (interest.wanted && !interest.waiting) arm(interest);
        auto* owner = static_cast<RedisConnection*>(context->data);
        if (owner && !was_up && (context->c.flags & REDIS_CONNECTED)) owner->came_up();
    }

    // hiredis is about to close the socket and free the context.
    void cleanup() {
        redisAsyncContext* gone = std::exchange(context, nullptr);
        descriptor.release();
        const std::shared_ptr<Watcher> keep = std::move(self);
        if (auto* owner = static_cast<RedisConnection*>(gone->data)) owner->context_gone(*gone);
    }

    redisAsyncContext* context;  // null once hiredis has let it go
    boost::asio::posix::stream_descriptor descriptor;  // released, never closed: the socket is hiredis's
    Interest read{boost::asio::posix::stream_descriptor::wait_read};
    Interest write{boost::asio::posix::stream_descriptor::wait_write};
    std::shared_ptr<Watcher> self;  // hiredis's reference; queued waits hold their own
};

RedisConnection::RedisConnection(boost::asio::any_io_executor executor, RedisConnectionOptions options,
                                 Handlers handlers)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      handlers_(std::move(handlers)),
      backoff_(options_.initial_backoff),
      timer_(executor_),
      resolver_(executor_) {}

RedisConnection::~RedisConnection() { free_context(); }

void RedisConnection::start() { wait(std::chrono::milliseconds{0}, &RedisConnection::attempt); }

bool RedisConnection::connected() const {
    return context_ && !closing_ && (context_->c.flags & REDIS_CONNECTED) &&
           !(context_->c.flags & (REDIS_DISCONNECTING | REDIS_FREEING));
}

bool RedisConnection::subscribed() const { return context_ && (context_->c.flags & REDIS_SUBSCRIBED); }

bool RedisConnection::command(std::initializer_list<std::string_view> args, Done done) {
    return queue(args, std::move(done));
}

bool RedisConnection::command(const std::vector<std::string>& args, Done done) { return queue(args, std::move(done)); }

bool RedisConnection::subscribe(std::string_view channel, std::function<void()> subscribed) {
    const std::array<std::string_view, 2> args{"SUBSCRIBE", channel};
    if (!send(args, &RedisConnection::on_pubsub, nullptr)) return false;
    subscribing_.push_back(std::move(subscribed));
    return true;
}

void RedisConnection::close(std::function<void()> done) {
    closing_ = true;
    close_done_ = std::move(done);
    wait(std::chrono::milliseconds{0}, &RedisConnection::disconnect);
}

// --- Commands and replies ----------------------------------------------------------

template <typename Args>
bool RedisConnection::queue(const Args& args, Done done) {
    if (subscribed()) return false;
    if (!done) return send(args, nullptr, nullptr);
    auto owned = std::make_unique<Done>(std::move(done));
    if (!send(args, &RedisConnection::on_reply, owned.get())) return false;
    owned.release();  // on_reply takes it back
    return true;
}

template <typename Args>
bool RedisConnection::send(const Args& args, Callback callback, void* data) {
    if (!connected() || args.size() == 0) return false;
    Argv argv(args);
    return redisAsyncCommandArgv(context_, callback, data, argv.count(), argv.pointers(), argv.lengths()) == REDIS_OK;
}

// hiredis calls it once per command, with a null reply when the context goes first.
void RedisConnection::on_reply(redisAsyncContext* context, void* reply, void* done) {
    const std::unique_ptr<Done> owned(static_cast<Done*>(done));
    if (!context->data) return;  // the RedisConnection is being destroyed
    (*owned)(reply ? copy(*static_cast<const redisReply*>(reply)) : failure(*context));
}

// hiredis calls it for each confirmation and message of a subscribed channel, and with a
// null reply when the context goes.
void RedisConnection::on_pubsub(redisAsyncContext* context, void* reply, void*) {
    auto* self = static_cast<RedisConnection*>(context->data);
    const auto* r = static_cast<const redisReply*>(reply);
    if (!self || !r || r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
    const std::string_view kind = view(*r->element[0]);
    if (kind == "message") {
        if (self->handlers_.on_message) self->handlers_.on_message(view(*r->element[1]), view(*r->element[2]));
    } else if (kind == "subscribe") {
        self->confirm_subscription();
    }
}

void RedisConnection::confirm_subscription() {
    if (subscribing_.empty()) return;
    const std::function<void()> confirmed = std::move(subscribing_.front());
    subscribing_.pop_front();
    if (confirmed) confirmed();
}

// --- Connecting, losing, retrying --------------------------------------------------

void RedisConnection::attempt() {
    wait(options_.connect_timeout, &RedisConnection::drop_attempt);
    resolver_.async_resolve(options_.host, std::to_string(options_.port), tcp::resolver::numeric_service,
                            [this, alive = std::weak_ptr(lifetime_), epoch = epoch_](
                                const boost::system::error_code& ec, const tcp::resolver::results_type& endpoints) {
                                if (alive.expired() || epoch != epoch_) return;
                                if (ec) return lost("cannot resolve " + options_.host + ": " + ec.message());
                                connect(endpoints);
                            });
}

// hiredis would resolve the name with a blocking getaddrinfo(); it gets an address instead,
// IPv4 first as hiredis would have chosen.
void RedisConnection::connect(const tcp::resolver::results_type& endpoints) {
    const auto v4 = std::find_if(endpoints.begin(), endpoints.end(),
                                 [](const auto& entry) { return entry.endpoint().address().is_v4(); });
    const tcp::endpoint endpoint = (v4 != endpoints.end() ? *v4 : *endpoints.begin()).endpoint();
    redisAsyncContext* context = redisAsyncConnect(endpoint.address().to_string().c_str(), endpoint.port());
    if (!context) return lost("out of memory");
    if (context->err) {
        const std::string why = context->errstr;
        redisAsyncFree(context);
        return lost(why);
    }
    context_ = context;
    context->data = this;
    Watcher::attach(executor_, context);
}

void RedisConnection::came_up() {
    if (closing_) return;
    cancel_wait();
    backoff_ = options_.initial_backoff;
    down_reported_ = false;
    if (handlers_.on_up) handlers_.on_up();
}

// hiredis 0.14 has no connect timeout of its own.
void RedisConnection::drop_attempt() {
    free_context();
    lost("no connection within " + std::to_string(options_.connect_timeout.count()) + " ms");
}

void RedisConnection::context_gone(const redisAsyncContext& context) {
    context_ = nullptr;
    subscribing_.clear();
    if (closing_) return finish_close();
    lost(context.c.err ? context.c.errstr : "connection closed");
}

void RedisConnection::lost(const std::string& why) {
    wait(backoff_, &RedisConnection::attempt);
    backoff_ = std::min(backoff_ * 2, options_.max_backoff);
    if (std::exchange(down_reported_, true) || !handlers_.on_down) return;
    handlers_.on_down(why);
}

// hiredis runs the callbacks of whatever is pending as it frees the context; without an
// owner they only release their data.
void RedisConnection::free_context() {
    redisAsyncContext* context = std::exchange(context_, nullptr);
    if (!context) return;
    context->data = nullptr;
    redisAsyncFree(context);
}

// Posted by close(), so that nothing runs inside it. hiredis frees the context once the
// replies of what is queued have come (at once when there are none).
void RedisConnection::disconnect() {
    if (!context_) return finish_close();
    redisAsyncDisconnect(context_);
}

void RedisConnection::finish_close() {
    if (auto done = std::exchange(close_done_, nullptr)) done();
}

void RedisConnection::wait(std::chrono::milliseconds delay, void (RedisConnection::*then)()) {
    timer_.expires_after(delay);
    timer_.async_wait(
        [this, alive = std::weak_ptr(lifetime_), epoch = ++epoch_, then](const boost::system::error_code& ec) {
            if (!ec && !alive.expired() && epoch == epoch_) (this->*then)();
        });
}

void RedisConnection::cancel_wait() {
    ++epoch_;
    timer_.cancel();
}

}  // namespace presence::redis
