// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "client/websocket_transport.h"
#include "presence/broker.h"

namespace presence::client {

class BrokerChannel;

// The broker's WebSocket and the namespaces it carries, each for at most one client,
// through a BrokerChannel. Strand side only: every function must be called on the strand
// and every handler runs there.
class BrokerConnection : public std::enable_shared_from_this<BrokerConnection> {
public:
    // The member a closing channel takes off the server; empty when it has not joined.
    using MemberId = std::function<std::string()>;

    BrokerConnection(Strand strand, const WsUrl& url, const BrokerOptions& options, BrokerEvents events);

    const Strand& strand() const { return strand_; }
    // The transport of the client in namespace `guid`.
    std::shared_ptr<Transport> channel(const std::string& guid, TransportHandlers handlers, MemberId member_id);
    // Closes the WebSocket; its clients, if any are left, get on_closed.
    void close();

    // For the channels.
    void attach(const std::shared_ptr<BrokerChannel>& channel);
    // `left`: the channel's member left the server, which may still send it the echo of
    // its departure; that is dropped quietly.
    void detach(const BrokerChannel& channel, bool left);
    bool send(Bytes framed);

private:
    // One namespace on the current WebSocket: the session frame the server opened it with,
    // kept for a client that connects later, and the channel of its client.
    struct ClientSlot {
        std::optional<std::string> session;
        std::weak_ptr<BrokerChannel> channel;
        bool left = false;
    };

    void join_open(const std::shared_ptr<BrokerChannel>& channel, const ClientSlot& slot);
    void connect();
    void on_open();
    void on_message(std::string message);
    void on_session(std::string id, std::string frame);
    void on_transport_error(const std::string& what);
    void on_closed(int code, const std::string& reason);
    void expire_sessions_when_due();
    void expire_sessions();
    void close_when_unused();
    void forget_connection();
    std::vector<std::shared_ptr<BrokerChannel>> attached() const;
    void report(const std::string& what) const;

    Strand strand_;
    WsUrl url_;
    TransportOptions transport_options_;
    std::chrono::milliseconds session_timeout_;
    BrokerEvents events_;

    std::shared_ptr<Transport> transport_;
    // Numbers the WebSockets, so that one given up while closing is no longer heard.
    unsigned number_ = 0;
    bool open_ = false;
    std::chrono::steady_clock::time_point sessions_due_;  // every session has come by then
    boost::asio::steady_timer sessions_timer_;
    std::map<std::string, ClientSlot, std::less<>> slots_;  // by endpoint id
};

}  // namespace presence::client

namespace presence {

// The broker's io thread, when it owns one, and its connection.
struct Broker::Impl {
    Impl(boost::asio::io_context* external, BrokerOptions options, BrokerEvents events);
    ~Impl();

    const BrokerOptions options;
    std::unique_ptr<boost::asio::io_context> own_io;  // destroyed last: everything below uses it
    boost::asio::io_context& io;
    std::shared_ptr<client::BrokerConnection> connection;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
    std::thread thread;
};

}  // namespace presence
