// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "client/ws_url.h"

namespace presence::client {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
using Bytes = std::shared_ptr<const std::string>;

struct TransportHandlers {
    std::function<void()> on_open;
    std::function<void(std::string frame)> on_frame;
    // Failures that do not end the connection by themselves, why a connect failed, and
    // why a connection was given up (heartbeat).
    std::function<void(std::string what)> on_error;
    // The last call, exactly once, whether or not on_open came before it.
    std::function<void(int code, std::string reason)> on_closed;
};

struct TransportOptions {
    std::string subprotocol;                       // the one offered; the server may choose none
    std::chrono::milliseconds timeout;  // TCP connect, TLS, opening and closing handshakes
    std::size_t max_queue_bytes;
    std::chrono::milliseconds heartbeat_interval;  // silence before a ping; 0 = no heartbeat
    std::chrono::milliseconds heartbeat_timeout;   // silence after the ping: the server is gone
    std::string ca_file;                           // wss:// trusts these CAs; empty = the system's
};

// One client WebSocket, over TCP for ws:// and over TLS for wss://, text frames only.
// Every function must be called on the strand it was made with, and every handler runs
// there. Writes go out one at a time from a queue bounded in bytes.
class Transport {
public:
    virtual ~Transport() = default;

    // Starts connecting; on_open or on_closed tell how it went.
    virtual void open() = 0;
    virtual bool is_open() const = 0;
    // Queues one text frame; false when the connection is not open or the queue is full.
    virtual bool send(Bytes bytes) = 0;
    // Starts the closing handshake, or abandons a connect in progress.
    virtual void close(unsigned short code) = 0;
};

// `url` parsed; throws std::invalid_argument when it is not ws:// or wss://host[:port][/path].
WsUrl checked_url(const std::string& url);

std::shared_ptr<Transport> make_transport(Strand strand, const WsUrl& url, TransportOptions options,
                                          TransportHandlers handlers);

}  // namespace presence::client
