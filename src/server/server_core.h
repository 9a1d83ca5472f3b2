#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <utility>

#include "auth/token_verifier.h"
#include "server/engine_factory.h"
#include "presence/presence_service.h"
#include "presence/server_hooks.h"
#include "presence/server_options.h"

namespace presence {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

// Upgrade requests refused by the connection limits, since the start.
struct Refusals {
    std::uint64_t server_full = 0;   // over max_connections: HTTP 503
    std::uint64_t address_full = 0;  // over max_connections_per_address: HTTP 429
    bool operator==(const Refusals&) const = default;
};

enum class Admission { admitted, server_full, address_full };

// Only with a key configured are tokens checked. A key file that cannot be used throws.
inline std::optional<auth::TokenVerifier> make_verifier(const AuthOptions& options) {
    if (!options.enabled()) return std::nullopt;
    return auth::TokenVerifier(options);
}

// What every session of one server shares. All of it is used on `strand` only. Sessions
// hold it by shared_ptr, so it outlives the Server object for as long as they run.
struct ServerCore {
    ServerCore(boost::asio::io_context& io, ServerOptions server_options, ServerHooks server_hooks)
        : options(std::move(server_options)),
          hooks(std::move(server_hooks)),
          verifier(make_verifier(options.auth)),
          strand(boost::asio::make_strand(io)),
          engine(make_engine(options.engine, strand, hooks.on_log)),
          service(*engine, options.presence, hooks) {}

    // A connection closed by a closing handshake: announce it, and tell a stopping server
    // when it was the last.
    void disconnected(Link& link) {
        service.disconnect(link);
        after_disconnect();
    }
    // A connection lost without a closing handshake: its member may resume.
    void lost(Link& link) {
        service.lose(link);
        after_disconnect();
    }
    void after_disconnect() {
        if (stopping && service.connections() == 0 && on_idle) std::exchange(on_idle, nullptr)();
    }

    // Counts a new WebSocket connection from `address`, unless a limit refuses it. Every
    // admitted one is given back by release() when its session ends.
    Admission admit(const boost::asio::ip::address& address) {
        if (options.max_connections != 0 && websockets >= options.max_connections) {
            ++refusals.server_full;
            return Admission::server_full;
        }
        const auto from = websockets_from.find(address);
        if (options.max_connections_per_address != 0 && from != websockets_from.end() &&
            from->second >= options.max_connections_per_address) {
            ++refusals.address_full;
            return Admission::address_full;
        }
        ++websockets;
        ++websockets_from[address];
        return Admission::admitted;
    }
    void release(const boost::asio::ip::address& address) {
        --websockets;
        // Only addresses with connections stay: the map is bounded by the connections.
        if (const auto from = websockets_from.find(address); --from->second == 0) websockets_from.erase(from);
    }

    ServerOptions options;
    ServerHooks hooks;
    std::optional<auth::TokenVerifier> verifier;
    Strand strand;
    std::unique_ptr<Engine> engine;
    PresenceService service;
    bool stopping = false;
    std::function<void()> on_idle;  // called once
    std::unique_ptr<boost::asio::ssl::context> tls;  // set by Server::start when TLS is on
    std::size_t websockets = 0;  // admitted WebSocket sessions that have not ended
    std::map<boost::asio::ip::address, std::size_t> websockets_from;
    Refusals refusals;
};

}  // namespace presence
