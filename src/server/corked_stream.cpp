// SPDX-License-Identifier: Apache-2.0
#include "server/corked_stream.h"

#include <utility>

namespace presence {
namespace {

// A send buffer larger than this is given back once sent: after a burst, an idle
// connection keeps no more than this of it.
constexpr std::size_t kept_capacity = 16 * 1024;

}  // namespace

void CorkedStream::close_gracefully(std::function<void(boost::system::error_code)> done) {
    after_flush([state = state_, done = std::move(done)] {
        boost::system::error_code ignored;
        state->stream.socket().shutdown(boost::asio::socket_base::shutdown_send, ignored);
        state->stream.expires_after(state->close_timeout);
        drain(state, std::make_shared<std::array<char, 2048>>(), done);
    });
}

void CorkedStream::drain(const std::shared_ptr<State>& state, std::shared_ptr<std::array<char, 2048>> scratch,
                         std::function<void(boost::system::error_code)> done) {
    auto& buffer = *scratch;
    state->stream.async_read_some(
        boost::asio::buffer(buffer),
        [state, scratch = std::move(scratch), done = std::move(done)](boost::system::error_code ec, std::size_t) {
            if (!ec) return drain(state, scratch, done);
            state->stream.close();
            done(ec == boost::asio::error::eof ? boost::system::error_code{} : ec);
        });
}

void CorkedStream::after_flush(std::function<void()> then) {
    if (state_->sending.empty() && state_->pending.empty()) {
        boost::asio::post(get_executor(), std::move(then));
        return;
    }
    state_->after_flush = std::move(then);
}

// Posted, not run: the rest of this turn's writes join the same send.
void CorkedStream::schedule_flush(const std::shared_ptr<State>& state) {
    if (state->flush_posted || !state->sending.empty()) return;
    state->flush_posted = true;
    boost::asio::post(state->stream.get_executor(), [state] {
        state->flush_posted = false;
        flush(state);
    });
}

void CorkedStream::flush(const std::shared_ptr<State>& state) {
    if (!state->sending.empty()) return;
    if (state->pending.empty() || state->error) {
        if (state->after_flush) boost::asio::post(state->stream.get_executor(), std::exchange(state->after_flush, nullptr));
        return;
    }
    state->sending.swap(state->pending);
    boost::asio::async_write(state->stream, boost::asio::buffer(state->sending),
                             [state](boost::system::error_code ec, std::size_t) {
                                 if (state->sending.capacity() > kept_capacity) std::string().swap(state->sending);
                                 else state->sending.clear();
                                 if (ec) state->error = ec;
                                 flush(state);
                                 if (state->held_write) std::exchange(state->held_write, nullptr)();
                             });
}

void teardown(boost::beast::role_type role, CorkedStream& stream, boost::system::error_code& ec) {
    boost::beast::teardown(role, stream.next_layer(), ec);
}

}  // namespace presence
