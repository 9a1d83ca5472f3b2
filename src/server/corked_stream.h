#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <functional>
#include <memory>
#include <string>

namespace presence {

// A TCP stream that gathers everything written to it during one turn of the event loop
// and sends it with one system call: a fan-out that gives a connection many frames costs
// it one write, not one per frame. Writes complete at once; what they queued is counted
// by buffered(), so the owner can bound it. All calls come from one strand.
class CorkedStream {
public:
    using next_layer_type = boost::beast::tcp_stream;
    using executor_type = next_layer_type::executor_type;

    explicit CorkedStream(next_layer_type&& stream)
        : state_(std::make_shared<State>(std::move(stream))) {}
    // The socket closes at once; a send still in flight then ends with an error.
    ~CorkedStream() {
        if (state_) state_->stream.close();
    }
    CorkedStream(CorkedStream&&) = default;

    executor_type get_executor() noexcept { return state_->stream.get_executor(); }
    next_layer_type& next_layer() noexcept { return state_->stream; }
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
                boost::asio::post(get_executor(),
                                  boost::beast::bind_front_handler(std::move(completion), state_->error, n));
            },
            handler, buffers);
    }

    // Runs `then` once everything written so far has been sent (or has failed).
    void after_flush(std::function<void()> then);

private:
    struct State {
        explicit State(next_layer_type&& s) : stream(std::move(s)) {}
        next_layer_type stream;
        std::string pending;  // written since the last send began
        std::string sending;  // being sent
        bool flush_posted = false;
        boost::system::error_code error;  // the first failed send; every later write fails too
        std::function<void()> after_flush;
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

    static void schedule_flush(const std::shared_ptr<State>& state);
    static void flush(const std::shared_ptr<State>& state);

    std::shared_ptr<State> state_;
};

// Beast closes a WebSocket through these: the last frames go out before the socket closes.
void teardown(boost::beast::role_type role, CorkedStream& stream, boost::system::error_code& ec);

template <typename TeardownHandler>
void async_teardown(boost::beast::role_type role, CorkedStream& stream, TeardownHandler&& handler) {
    // std::function wants a copyable callable; the handler is move-only, so it is shared.
    auto shared = std::make_shared<std::decay_t<TeardownHandler>>(std::forward<TeardownHandler>(handler));
    stream.after_flush([role, &stream, shared] {
        boost::beast::async_teardown(role, stream.next_layer(), std::move(*shared));
    });
}

}  // namespace presence
