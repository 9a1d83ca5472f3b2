// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/frame.h"
#include "server/corked_stream.h"
#include "server/frame_gate.h"
#include "server/http_hooks.h"
#include "server/namespace_link.h"
#include "server/server_core.h"

namespace presence {

// One WebSocket connection over `Stream`, CorkedStream or TlsStream: reads frames into the
// presence service of the namespace they are for, writes the frames the services send it,
// one at a time, from a queue bounded in bytes, and pings a silent peer (the heartbeat).
// A plain connection reaches one namespace, a broker connection every one its grant may
// enter (its frames framed with the namespace's id). Runs on the core's strand. It holds
// its connection's slot in the limits (ConnectionSlot) until it ends, and hands it to the
// members it loses.
template <typename Stream>
class WebsocketSession final : public std::enable_shared_from_this<WebsocketSession<Stream>> {
public:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;

    // `read_ahead`: what the client sent after its upgrade request, read with it.
    WebsocketSession(Stream&& stream, std::string read_ahead, std::shared_ptr<const void> slot,
                     std::shared_ptr<ServerCore> core);
    // Accepts the upgrade; the connection may do what `grant` allows.
    void run(Request request, Grant grant);

    // What its links ask of it: each speaks for the session.
    void send(const NamespaceLink<WebsocketSession>& from, const Bytes& bytes, MadeAt made_at);
    void close(unsigned short code, std::string_view reason);
    void drop();
    std::string_view peer() const { return peer_; }

private:
    using Clock = std::chrono::steady_clock;
    // A frame waiting to be written, after its namespace's broker prefix if any; a publish
    // with the time its frame was made.
    struct Outgoing {
        Bytes prefix;
        Bytes bytes;
        MadeAt made_at;
        std::size_t size() const { return (prefix ? prefix->size() : 0) + bytes->size(); }
    };

    void add_links(std::string_view protocol);
    void receive(std::string_view message);
    void receive_brokered(std::string_view message);
    void hand_over(NamespaceLink<WebsocketSession>& link, std::string_view frame);
    // Whether `frame` waits for the HTTP hooks' decision: reading pauses until it comes, so
    // that the member's next requests stay behind it.
    bool ask_hooks(NamespaceLink<WebsocketSession>& link, std::string_view frame);
    void decided(NamespaceLink<WebsocketSession>& link, protocol::Message& request, std::string_view frame,
                 const HookDecision& decision);
    void cancel_hooks();
    void report_error(std::string_view what) const;

    void on_accept(boost::beast::error_code ec);
    void read();
    void on_read(boost::beast::error_code ec);
    void write_next();
    void on_write(boost::beast::error_code ec);
    void start_heartbeat();
    void wait_heartbeat(Clock::time_point at);
    void on_heartbeat();
    void leave();
    void await_close(std::chrono::milliseconds timeout);
    void cut();
    void fail();
    void write_failure();
    void finish(boost::beast::error_code ec);
    void end(bool closed);
    void stop();

    boost::beast::websocket::stream<FrameGate<Stream>> ws_;
    std::string peer_;  // the client's address and port
    std::shared_ptr<const void> slot_;
    Grant grant_;  // until the connection is accepted
    std::shared_ptr<ServerCore> core_;
    boost::beast::flat_buffer buffer_;
    std::vector<std::unique_ptr<NamespaceLink<WebsocketSession>>> links_;  // the default namespace's first, if any
    bool brokered_ = false;
    std::deque<Outgoing> queue_;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
    bool connected_ = false;
    bool finished_ = false;
    bool close_sent_ = false;
    bool failing_ = false;  // a close frame for a FrameCheck violation waits for the write in flight
    std::optional<boost::beast::websocket::close_reason> closing_;
    boost::asio::steady_timer close_deadline_;  // when a close the server began gives up waiting
    boost::asio::steady_timer heartbeat_;
    Clock::time_point heard_at_;                 // the last frame from the peer, of any kind
    std::optional<Clock::time_point> pinged_at_;  // the ping that waits for an answer
    std::shared_ptr<HttpHooks::Call> hook_call_;  // the decision reading waits for
};

// The first offered sub-protocol that names the presence protocol or the broker, or "" for
// none.
std::string_view choose_subprotocol(std::string_view offered);

}  // namespace presence
