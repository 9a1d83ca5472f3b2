#include "server/corked_stream.h"

#include <utility>

namespace presence {

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
                                 state->sending.clear();
                                 if (ec) state->error = ec;
                                 flush(state);
                             });
}

void teardown(boost::beast::role_type role, CorkedStream& stream, boost::system::error_code& ec) {
    boost::beast::teardown(role, stream.next_layer(), ec);
}

}  // namespace presence
