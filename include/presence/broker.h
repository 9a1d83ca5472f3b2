// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace presence {

/// The broker's connection settings; those of its clients (url, timeouts, TLS, heartbeat)
/// are not used.
struct BrokerOptions {
    std::string url = "ws://127.0.0.1:8080/";  ///< ws:// or wss://, as ClientOptions::url
    /// Bounds the TCP connect, the TLS handshake, the WebSocket handshake and the closing
    /// handshake; and, once connected, the wait for each namespace's session.
    std::chrono::milliseconds connect_timeout{10'000};
    std::size_t max_send_queue_bytes = 4 * 1024 * 1024;  ///< shared by all its clients
    std::string ca_file;  ///< PEM CA certificates to trust for wss:// instead of the system's
    std::chrono::milliseconds heartbeat_interval{15'000};  ///< silence from the server before a ping; 0 = none
    std::chrono::milliseconds heartbeat_timeout{10'000};   ///< silence after the ping: the server is gone
};

struct BrokerEvents {
    /// Bad broker frames from the server, and frames for a namespace none of the broker's
    /// clients is in; transport failures while no client is connecting. Not fatal.
    std::function<void(const std::string& what)> on_error;
};

/// The sgcWebSockets Broker: one WebSocket (sub-protocol broker.esegece.com) that carries
/// several Clients, each in its own namespace (ClientOptions::guid, at most one client per
/// namespace). Make the clients with Client(Broker&, ...): the WebSocket opens when the
/// first of them connects and closes when the last one closes. Each client sees the events
/// of a plain connection; a lost WebSocket is lost for all, and each resumes on the next.
///
/// Threading: the broker's clients all run on its io thread, serialised on one strand. By
/// default the broker owns an io_context and a thread that runs from construction to
/// destruction; then close() of one of its clients, called off that thread, returns once
/// on_disconnect has run. With the io_context constructor, they run in yours, as a Client
/// made with it. Callbacks run on that thread.
/// Destroy every client of a broker before the broker. The destructor closes the WebSocket
/// and, with the broker's own thread, waits for the closing handshake.
class Broker {
public:
    /// Throws std::invalid_argument when options.url is not a ws:// or wss:// URL.
    explicit Broker(BrokerOptions options, BrokerEvents events = {});
    Broker(boost::asio::io_context& io, BrokerOptions options, BrokerEvents events = {});
    ~Broker();
    Broker(const Broker&) = delete;
    Broker& operator=(const Broker&) = delete;

    const BrokerOptions& options() const;

private:
    friend class Client;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace presence
