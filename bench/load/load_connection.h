// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace presence::bench {

class LoadConnection;

// What a scenario does with its connections. Every call is made on the connection's own
// thread, so a handler may send on that connection at once.
class ConnectionHandler {
public:
    virtual ~ConnectionHandler() = default;
    virtual void on_open(LoadConnection& c) = 0;                              // after the 101
    virtual void on_message(LoadConnection& c, std::string_view payload) = 0;  // a text or binary frame
    virtual void on_failure(LoadConnection& c, std::string_view what) = 0;     // the connection is dead
};

// Where every connection goes: the endpoint, and the upgrade request's path and
// sub-protocol (empty: none offered).
struct Target {
    boost::asio::ip::tcp::endpoint endpoint;
    std::string path = "/";
    std::string subprotocol;
};

// A WebSocket client connection written for load: the upgrade by hand, frames parsed in
// place in one read buffer, outgoing frames appended to one write buffer that is flushed
// with one write per turn. Both buffers keep their capacity (the read buffer up to 64 KiB),
// so once warm a message costs no allocation. Frames from the server are expected
// unfragmented (both servers under test send every message as one frame).
class LoadConnection {
public:
    LoadConnection(boost::asio::io_context& io, ConnectionHandler& handler, std::size_t index, std::size_t thread);

    // Binds to `source` (any port), connects and upgrades; then on_open or on_failure.
    void open(const Target& target, const boost::asio::ip::address& source);
    void send(std::string_view payload);  // one masked text frame
    void close();

    std::size_t index() const { return index_; }
    std::size_t thread() const { return thread_; }
    bool is_open() const { return open_ && !dead_; }
    bool was_opened() const { return open_; }  // upgraded once, perhaps closed since

    // What this connection has received since it opened: frames and their payload bytes.
    std::uint64_t frames() const { return frames_; }
    std::uint64_t bytes() const { return bytes_; }

private:
    void on_connected(const boost::system::error_code& ec);
    void read_upgrade();
    void read_frames();
    std::size_t parse_frames();  // returns bytes consumed
    void release_large_buffer();
    void write_frame(unsigned opcode, std::string_view payload);
    void flush();
    void fail(std::string_view what);

    boost::asio::ip::tcp::socket socket_;
    ConnectionHandler& handler_;
    std::size_t index_;
    std::size_t thread_;
    std::string request_;
    std::vector<char> in_;
    std::size_t in_used_ = 0;
    std::vector<char> queued_;
    std::vector<char> writing_;
    bool writing_now_ = false;
    bool open_ = false;
    bool dead_ = false;
    std::uint32_t mask_;
    std::uint64_t frames_ = 0;
    std::uint64_t bytes_ = 0;
};

}  // namespace presence::bench
