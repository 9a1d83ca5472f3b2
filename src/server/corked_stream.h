// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace presence {

// A TCP stream that gathers everything written to it during one turn of the event loop
// and sends it with one system call: a fan-out that gives a connection many frames costs
// it one write, not one per frame. Writes complete at once while less than cork_limit
// bytes wait; past it, a write completes only once the send in flight has ended, so that
// a slow reader's backlog stays in its owner's queue of shared frames instead of being
// copied here. What waits is counted by buffered(), so the owner can bound it. All calls
// come from one strand.
class CorkedStream {
public:
    static constexpr std::size_t cork_limit = 64 * 1024;

    using next_layer_type = boost::beast::tcp_stream;
    using lowest_layer_type = next_layer_type::socket_type;  // a TLS stream on top asks for it
    using executor_type = next_layer_type::executor_type;

    // `close_timeout` bounds close_gracefully.
    CorkedStream(next_layer_type&& stream, std::chrono::milliseconds close_timeout)
        : state_(std::make_shared<State>(std::move(stream), close_timeout)) {}
    // The socket closes at once; a send still in flight then ends with an error.
    ~CorkedStream() {
        if (state_) state_->stream.close();
    }
    CorkedStream(CorkedStream&&) = default;

    executor_type get_executor() noexcept { return state_->stream.get_executor(); }
    next_layer_type& next_layer() noexcept { return state_->stream; }
    lowest_layer_type& lowest_layer() noexcept { return state_->stream.socket(); }
    std::size_t buffered() const { return state_->pending.size() + state_->sending.size(); }

    template <typename Buffers, typename Handler>
    auto async_read_some(const Buffers& buffers, Handler&& handler) {
        return state_->stream.async_read_some(buffers, std::forward<Handler>(handler));
    }

    template <typename Buffers, typename Handler>
    auto async_write_some(const Buffers& buffers, Handler&& handler) {
        return boost::asio::async_initiate<Handler, void(boost::system::error_code, std::size_t)>(
            [this](auto completion, const Buffers& data) {
                std::size_t n = 0;
                if (!state_->error) n = append(data);
                if (state_->error || state_->pending.size() < cork_limit)
                    return boost::asio::post(get_executor(), boost::beast::bind_front_handler(
                                                                 std::move(completion), state_->error, n));
                // Held by the state it would otherwise keep alive: weakly, so that a stream
                // dropped with a write held frees both.
                auto held = std::make_shared<decltype(completion)>(std::move(completion));
                state_->held_write = [held, weak = std::weak_ptr<State>(state_), executor = get_executor(), n] {
                    const auto state = weak.lock();
                    const auto ec = state ? state->error : boost::asio::error::operation_aborted;
                    boost::asio::post(executor, boost::beast::bind_front_handler(std::move(*held), ec, n));
                };
            },
            handler, buffers);
    }

    // Ends the connection as a server should: once everything written has been sent,
    // shuts down sending, then reads and drops what the peer still sends until its end of
    // stream, and closes. Closing with unread data would reset the connection, which can
    // destroy the last frames before the peer reads them (a client still sending a frame
    // over the size limit when its 1009 arrives). Bounded by the close timeout; `done` runs after.
    void close_gracefully(std::function<void(boost::system::error_code)> done);

private:
    struct State {
        State(next_layer_type&& s, std::chrono::milliseconds timeout) : stream(std::move(s)), close_timeout(timeout) {}
        next_layer_type stream;
        std::chrono::milliseconds close_timeout;
        std::string pending;  // written since the last send began
        std::string sending;  // being sent
        bool flush_posted = false;
        boost::system::error_code error;  // the first failed send; every later write fails too
        std::function<void()> after_flush;
        std::function<void()> held_write;  // a write's completion, until the send in flight ends
    };

    template <typename Buffers>
    std::size_t append(const Buffers& data) {
        const std::size_t n = boost::asio::buffer_size(data);
        const std::size_t old = state_->pending.size();
        state_->pending.resize(old + n);
        boost::asio::buffer_copy(boost::asio::buffer(state_->pending.data() + old, n), data);
        schedule_flush(state_);
        return n;
    }

    // Runs `then` once everything written so far has been sent (or has failed).
    void after_flush(std::function<void()> then);
    static void schedule_flush(const std::shared_ptr<State>& state);
    static void flush(const std::shared_ptr<State>& state);
    static void drain(const std::shared_ptr<State>& state, std::shared_ptr<std::array<char, 2048>> scratch,
                      std::function<void(boost::system::error_code)> done);

    std::shared_ptr<State> state_;
};

// The corked stream under a connection's stream; see tls.h for TLS.
inline CorkedStream& corked(CorkedStream& stream) { return stream; }

// Beast closes a WebSocket through these (over TLS, after the TLS closing alert): the last
// frames go out before the socket closes. Only servers use this stream, so the server's
// way is taken whatever the role.
void teardown(boost::beast::role_type role, CorkedStream& stream, boost::system::error_code& ec);

template <typename TeardownHandler>
void async_teardown(boost::beast::role_type, CorkedStream& stream, TeardownHandler&& handler) {
    // std::function wants a copyable callable; the handler is move-only, so it is shared.
    auto shared = std::make_shared<std::decay_t<TeardownHandler>>(std::forward<TeardownHandler>(handler));
    stream.close_gracefully([shared](boost::system::error_code ec) { std::move(*shared)(ec); });
}

}  // namespace presence
