// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/corked_stream.h"

namespace presence {

// What RFC 6455 forbids in the frames of a client but Boost.Beast lets through: a 64-bit
// payload length with its top bit set (Beast answers 1009, not 1002), a close code of 5000
// or more (Beast echoes it) and a close reason that is not UTF-8 (Beast answers 1002, not
// 1007). Follows the frames of one connection through its bytes, in order.
class FrameCheck {
public:
    // Why a connection failed, as its close frame tells the peer.
    struct Violation {
        unsigned short code;
        std::string_view reason;
    };

    // Follows `bytes`; returns how many come before the first violation: all of them when
    // there is none. The frame at fault is then incomplete in what came before, so Beast
    // cannot have acted on it.
    std::size_t scan(const unsigned char* bytes, std::size_t size);
    const std::optional<Violation>& violation() const { return violation_; }

private:
    // One byte of a frame header, or of a close frame's payload; false on a violation.
    bool step_header(unsigned char byte);
    bool step_close(unsigned char byte);
    bool fail(unsigned short code, std::string_view reason);

    std::array<unsigned char, 14> header_{};  // the longest: 2 + 8 (length) + 4 (mask)
    std::size_t header_size_ = 0;
    std::uint64_t payload_left_ = 0;
    bool close_ = false;  // the payload is a close frame's, masked, of at most 125 bytes
    std::array<unsigned char, 4> mask_{};
    std::string close_payload_;  // unmasked
    std::optional<Violation> violation_;
};

// The stream a WebSocket session reads and writes through, over `Stream` (CorkedStream or
// TlsStream). Reads give first `read_ahead`, the bytes that came after the upgrade
// request, in the same packet as it perhaps; every byte read passes FrameCheck, and a read
// that meets a violation ends with an error instead. Writes pass through.
template <typename Stream>
class FrameGate {
public:
    using next_layer_type = Stream;
    using executor_type = typename Stream::executor_type;

    FrameGate(Stream&& stream, std::string read_ahead)
        : next_(std::move(stream)), ahead_(std::move(read_ahead)) {}

    executor_type get_executor() noexcept { return next_.get_executor(); }
    next_layer_type& next_layer() noexcept { return next_; }
    // The violation that failed the connection, once a read has failed for it.
    const std::optional<FrameCheck::Violation>& violation() const { return check_.violation(); }

    template <typename Buffers, typename Handler>
    auto async_read_some(const Buffers& buffers, Handler&& handler) {
        return boost::asio::async_initiate<Handler, void(boost::beast::error_code, std::size_t)>(
            [this](auto completion, const Buffers& into) {
                if (check_.violation()) return done(std::move(completion), 0);
                if (!ahead_.empty()) {
                    const std::size_t n = boost::asio::buffer_copy(into, boost::asio::buffer(ahead_));
                    ahead_.erase(0, n);
                    return done(std::move(completion), passed(into, n));
                }
                const auto executor = boost::asio::get_associated_executor(completion, get_executor());
                next_.async_read_some(
                    into, boost::asio::bind_executor(executor, [this, into, completion = std::move(completion)](
                                                                   boost::beast::error_code ec, std::size_t n) mutable {
                        const std::size_t kept = ec ? n : passed(into, n);
                        if (!ec && kept == 0 && check_.violation()) ec = violated();
                        std::move(completion)(ec, kept);
                    }));
            },
            handler, buffers);
    }

    template <typename Buffers, typename Handler>
    auto async_write_some(const Buffers& buffers, Handler&& handler) {
        return next_.async_write_some(buffers, std::forward<Handler>(handler));
    }

private:
    static boost::beast::error_code violated() { return boost::beast::websocket::error::bad_frame_payload; }

    // The first `n` bytes read into `into`, checked: how many of them Beast may have.
    template <typename Buffers>
    std::size_t passed(const Buffers& into, std::size_t n) {
        std::size_t kept = 0;
        for (auto it = boost::asio::buffer_sequence_begin(into); n > 0 && it != boost::asio::buffer_sequence_end(into);
             ++it) {
            const boost::asio::mutable_buffer part = *it;
            const std::size_t size = std::min(part.size(), n);
            const std::size_t ok = check_.scan(static_cast<const unsigned char*>(part.data()), size);
            kept += ok;
            if (ok < size) break;
            n -= size;
        }
        return kept;
    }

    // Completes a read without waiting: posted, as an asynchronous operation must.
    template <typename Completion>
    void done(Completion&& completion, std::size_t n) {
        const boost::beast::error_code ec = n == 0 && check_.violation() ? violated() : boost::beast::error_code{};
        boost::asio::post(get_executor(), boost::beast::bind_front_handler(std::move(completion), ec, n));
    }

    Stream next_;
    std::string ahead_;
    FrameCheck check_;
};

template <typename Stream>
CorkedStream& corked(FrameGate<Stream>& stream) {
    return corked(stream.next_layer());
}

// Beast closes a WebSocket through the stream below the gate.
template <typename Stream>
void teardown(boost::beast::role_type role, FrameGate<Stream>& stream, boost::beast::error_code& ec) {
    using boost::beast::websocket::teardown;
    teardown(role, stream.next_layer(), ec);
}

template <typename Stream, typename TeardownHandler>
void async_teardown(boost::beast::role_type role, FrameGate<Stream>& stream, TeardownHandler&& handler) {
    using boost::beast::websocket::async_teardown;
    async_teardown(role, stream.next_layer(), std::forward<TeardownHandler>(handler));
}

}  // namespace presence
