// SPDX-License-Identifier: Apache-2.0
#include "load_connection.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <cstring>
#include <netinet/in.h>

namespace presence::bench {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t initial_buffer = 4096;
constexpr std::size_t large_buffer = 65536;  // released once the frame it held is handled
constexpr unsigned opcode_text = 0x1;
constexpr unsigned opcode_close = 0x8;
constexpr unsigned opcode_ping = 0x9;
constexpr unsigned opcode_pong = 0xA;

std::string upgrade_request(const Target& target) {
    std::string r = "GET " + target.path + " HTTP/1.1\r\nHost: " + target.endpoint.address().to_string() + ":" +
                    std::to_string(target.endpoint.port()) +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    if (!target.subprotocol.empty()) r += "Sec-WebSocket-Protocol: " + target.subprotocol + "\r\n";
    return r + "\r\n";
}

std::uint64_t big_endian(const unsigned char* p, std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
    return v;
}

}  // namespace

LoadConnection::LoadConnection(asio::io_context& io, ConnectionHandler& handler, std::size_t index, std::size_t thread)
    : socket_(io), handler_(handler), index_(index), thread_(thread),
      mask_(static_cast<std::uint32_t>(index * 2654435761u) | 1u) {}

void LoadConnection::open(const Target& target, const asio::ip::address& source) {
    request_ = upgrade_request(target);
    error_code ec;
    socket_.open(target.endpoint.protocol(), ec);
    // The port is chosen at connect, per destination, so that every source address
    // offers the whole ephemeral range.
    if (!ec) socket_.set_option(asio::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>(true), ec);
    if (!ec) socket_.bind(asio::ip::tcp::endpoint(source, 0), ec);
    if (ec) return fail("bind " + source.to_string() + ": " + ec.message());
    socket_.async_connect(target.endpoint, [this](const error_code& e) { on_connected(e); });
}

void LoadConnection::on_connected(const error_code& ec) {
    if (ec) return fail("connect: " + ec.message());
    socket_.set_option(asio::ip::tcp::no_delay(true));
    asio::async_write(socket_, asio::buffer(request_), [this](const error_code& e, std::size_t) {
        if (e) return fail("upgrade request: " + e.message());
        in_.resize(initial_buffer);
        read_upgrade();
    });
}

void LoadConnection::read_upgrade() {
    socket_.async_read_some(asio::buffer(in_.data() + in_used_, in_.size() - in_used_),
                            [this](const error_code& ec, std::size_t n) {
        if (ec) return fail("upgrade answer: " + ec.message());
        in_used_ += n;
        const std::string_view seen(in_.data(), in_used_);
        const std::size_t end = seen.find("\r\n\r\n");
        if (end == std::string_view::npos) {
            if (in_used_ == in_.size()) return fail("upgrade answer too long");
            return read_upgrade();
        }
        if (!seen.starts_with("HTTP/1.1 101")) return fail("upgrade refused: " + std::string(seen.substr(0, seen.find('\r'))));
        std::memmove(in_.data(), in_.data() + end + 4, in_used_ - end - 4);
        in_used_ -= end + 4;
        std::string().swap(request_);
        open_ = true;
        handler_.on_open(*this);
        if (dead_) return;
        const std::size_t used = parse_frames();
        std::memmove(in_.data(), in_.data() + used, in_used_ - used);
        in_used_ -= used;
        if (!dead_) read_frames();
    });
}

void LoadConnection::read_frames() {
    socket_.async_read_some(asio::buffer(in_.data() + in_used_, in_.size() - in_used_),
                            [this](const error_code& ec, std::size_t n) {
        if (ec) return fail(ec == asio::error::eof ? "closed by the server" : "read: " + ec.message());
        in_used_ += n;
        const std::size_t used = parse_frames();
        if (dead_) return;
        std::memmove(in_.data(), in_.data() + used, in_used_ - used);
        in_used_ -= used;
        release_large_buffer();
        read_frames();
    });
}

// A member list of a large room is one frame of megabytes, once per connection: kept by
// each of 10k connections, those buffers alone would take gigabytes of the tool's memory.
// Twice the bytes left in it, so that the next read has room: a large frame begun in
// them makes it grow again.
void LoadConnection::release_large_buffer() {
    if (in_.size() <= large_buffer || in_used_ > large_buffer / 2) return;
    std::vector<char> small(std::max(initial_buffer, 2 * in_used_));
    std::memcpy(small.data(), in_.data(), in_used_);
    in_.swap(small);
}

std::size_t LoadConnection::parse_frames() {
    std::size_t at = 0;
    while (!dead_) {
        const auto* p = reinterpret_cast<const unsigned char*>(in_.data() + at);
        const std::size_t available = in_used_ - at;
        if (available < 2) break;
        std::size_t header = 2;
        std::uint64_t length = p[1] & 0x7F;
        if (length == 126) header = 4;
        if (length == 127) header = 10;
        if (available < header) break;
        if (header > 2) length = big_endian(p + 2, header - 2);
        if (p[1] & 0x80) {
            fail("a masked frame from the server");
            break;
        }
        if (available < header + length) {
            // Room for the whole frame, so that it can be handled in place.
            if (in_.size() < header + length) in_.resize(header + length);
            break;
        }
        const std::string_view payload(in_.data() + at + header, length);
        at += header + length;
        const unsigned opcode = p[0] & 0x0F;
        if (opcode == opcode_close) {
            fail("closed by the server");
        } else if (opcode == opcode_ping) {
            write_frame(opcode_pong, payload);
        } else if (opcode != opcode_pong) {
            ++frames_;
            bytes_ += length;
            handler_.on_message(*this, payload);
        }
    }
    return at;
}

void LoadConnection::send(std::string_view payload) { write_frame(opcode_text, payload); }

void LoadConnection::write_frame(unsigned opcode, std::string_view payload) {
    if (dead_) return;
    unsigned char header[14];
    std::size_t size = 2;
    header[0] = static_cast<unsigned char>(0x80 | opcode);
    if (payload.size() < 126) {
        header[1] = static_cast<unsigned char>(0x80 | payload.size());
    } else if (payload.size() <= 0xFFFF) {
        header[1] = 0x80 | 126;
        header[2] = static_cast<unsigned char>(payload.size() >> 8);
        header[3] = static_cast<unsigned char>(payload.size());
        size = 4;
    } else {
        header[1] = 0x80 | 127;
        for (int i = 0; i < 8; ++i) header[2 + i] = static_cast<unsigned char>(payload.size() >> (56 - 8 * i));
        size = 10;
    }
    unsigned char key[4];
    std::memcpy(key, &mask_, 4);
    std::memcpy(header + size, key, 4);
    size += 4;
    const std::size_t start = queued_.size();
    queued_.resize(start + size + payload.size());
    std::memcpy(queued_.data() + start, header, size);
    char* out = queued_.data() + start + size;
    for (std::size_t i = 0; i < payload.size(); ++i) out[i] = static_cast<char>(payload[i] ^ key[i & 3]);
    if (!writing_now_) flush();
}

void LoadConnection::flush() {
    writing_.swap(queued_);
    queued_.clear();
    writing_now_ = true;
    asio::async_write(socket_, asio::buffer(writing_), [this](const error_code& ec, std::size_t) {
        writing_now_ = false;
        if (ec) return fail("write: " + ec.message());
        if (!queued_.empty()) flush();
    });
}

void LoadConnection::close() {
    dead_ = true;
    error_code ignored;
    socket_.close(ignored);
}

void LoadConnection::fail(std::string_view what) {
    if (dead_) return;
    close();
    handler_.on_failure(*this, what);
}

}  // namespace presence::bench
