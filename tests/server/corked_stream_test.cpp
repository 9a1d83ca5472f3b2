// SPDX-License-Identifier: Apache-2.0
// The corked stream under every server connection, over a real loopback socket whose
// reader does not read: its backlog must wait in the writer's hands, not in the stream.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <array>
#include <chrono>
#include <functional>
#include <string>

#include "server/corked_stream.h"

namespace presence {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

TEST(CorkedStream, AReaderThatDoesNotReadHoldsBackTheWritesNotTheirCopies) {
    asio::io_context io;
    tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
    tcp::socket reader(io);
    reader.connect(acceptor.local_endpoint());
    CorkedStream stream(boost::beast::tcp_stream(acceptor.accept()), std::chrono::seconds(2));

    // Written one after the other, as a WebSocket stream writes frames: 32 MiB, more than
    // the kernel's buffers of one loopback connection hold.
    const std::string chunk(16 * 1024, 'x');
    constexpr std::size_t chunks = 2048;
    std::size_t completed = 0;
    std::function<void()> write_one = [&] {
        stream.async_write_some(asio::buffer(chunk), [&](boost::system::error_code ec, std::size_t n) {
            ASSERT_FALSE(ec) << ec.message();
            ASSERT_EQ(n, chunk.size());
            if (++completed < chunks) write_one();
        });
    };
    write_one();
    while (io.poll() > 0) {
    }
    EXPECT_LT(completed, chunks);
    EXPECT_LE(stream.buffered(), CorkedStream::cork_limit + chunk.size());

    // Once the reader reads, every write completes and every byte arrives.
    reader.non_blocking(true);
    std::array<char, 64 * 1024> buffer;
    std::size_t received = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (received < chunks * chunk.size() && std::chrono::steady_clock::now() < deadline) {
        boost::system::error_code ec;
        const std::size_t n = reader.read_some(asio::buffer(buffer), ec);
        if (ec == asio::error::would_block) io.run_one_for(std::chrono::milliseconds(10));
        else ASSERT_FALSE(ec) << ec.message();
        received += n;
        io.poll();
    }
    EXPECT_EQ(received, chunks * chunk.size());
    EXPECT_EQ(completed, chunks);
}

}  // namespace
}  // namespace presence
