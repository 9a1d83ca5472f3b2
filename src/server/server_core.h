// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "auth/token_verifier.h"
#include "protocol/broker_framing.h"
#include "server/engine_factory.h"
#include "server/http_hooks.h"
#include "server/metrics.h"
#include "server/namespace.h"
#include "presence/close_codes.h"
#include "presence/server_hooks.h"
#include "presence/server_options.h"
#include "webhooks/webhook_sender.h"

namespace presence {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

// Connections refused by the connection limits, since the start.
struct Refusals {
    std::uint64_t server_full = 0;     // over max_connections: HTTP 503
    std::uint64_t address_full = 0;    // over max_connections_per_address: HTTP 429
    std::uint64_t no_descriptors = 0;  // accepted on the reserve descriptor: HTTP 503
    bool operator==(const Refusals&) const = default;
};

enum class Admission { admitted, server_full, address_full, no_descriptors };

// What a listener serves. `main`: the WebSocket endpoint, the page and the probes, and
// /metrics and the admin API unless AdminOptions::address gives them an address of their
// own; `admin`, on that address: /metrics, the admin API and the probes, nothing else.
enum class HttpRole { main, admin };

// The connections the limits count, in all and per address. Used on the strand only.
struct ConnectionCounts {
    std::size_t total = 0;
    std::map<boost::asio::ip::address, std::size_t> from;  // only addresses with connections
};

// One connection's place in the limits, from its accept on: given back when the last one
// holding it lets it go — its HTTP session, then its WebSocket session, then the members
// lost with it while they may resume. Holders see it as an opaque std::shared_ptr<const void>.
class ConnectionSlot {
public:
    ConnectionSlot(std::shared_ptr<ConnectionCounts> counts, const boost::asio::ip::address& address)
        : counts_(std::move(counts)), address_(address) {
        ++counts_->total;
        ++counts_->from[address_];
    }
    ~ConnectionSlot() {
        --counts_->total;
        if (const auto from = counts_->from.find(address_); --from->second == 0) counts_->from.erase(from);
    }
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;

private:
    std::shared_ptr<ConnectionCounts> counts_;  // not the core's: the core holds slots itself
    boost::asio::ip::address address_;
};

// A connection's admission: its slot, or why it has none.
struct Admitted {
    Admission admission = Admission::admitted;
    std::shared_ptr<const void> slot;
};

// What the transport counts, since the start (/metrics). Messages and bytes are those of
// WebSocket data frames, payload only.
struct Traffic {
    std::uint64_t messages_received = 0;
    std::uint64_t bytes_received = 0;
    std::uint64_t messages_sent = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t slow_consumer_drops = 0;   // connections closed for a full send queue
    std::uint64_t refused_unauthorized = 0;  // upgrades refused for want of a valid token
};

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
          verifier(make_verifier(options.auth)),
          strand(boost::asio::make_strand(io)) {
        add_namespace("", options.presence, std::move(server_hooks));
    }

    // Each namespace has an engine of its own; with Redis, under a key prefix of its own.
    Namespace& add_namespace(const std::string& guid, PresenceOptions presence, ServerHooks namespace_hooks) {
        EngineOptions engine_options = options.engine;
        if (!guid.empty()) engine_options.key_prefix += guid + ":";
        // The server's log is the default namespace's.
        auto log = namespaces.empty() ? namespace_hooks.on_log : hooks().on_log;
        auto engine = make_engine(engine_options, strand, std::move(log));
        // The webhooks observe the changes of presence after the namespace's own hooks.
        report_changes(namespace_hooks, guid, webhooks);
        return *namespaces.emplace_back(
            std::make_unique<Namespace>(guid, std::move(engine), std::move(presence), std::move(namespace_hooks)));
    }
    Namespace& default_namespace() { return *namespaces.front(); }
    const ServerHooks& hooks() const { return namespaces.front()->hooks; }
    Namespace* find(std::string_view guid) {
        for (const auto& ns : namespaces)
            if (ns->guid == guid) return ns.get();
        return nullptr;
    }
    // The namespace of a plain connection: the one its sub-protocol names
    // ("<Guid>.presence.esegece.com"), or else the default one.
    Namespace& namespace_of(std::string_view protocol) {
        std::string_view guid;
        Namespace* ns = protocol::guid_of(protocol, guid) ? find(guid) : nullptr;
        return ns ? *ns : default_namespace();
    }
    // The Redis engine, shared with other nodes, rather than the memory engine.
    bool shared_engine() const { return options.engine.url != "memory"; }
    std::size_t connections() const {
        std::size_t count = 0;
        for (const auto& ns : namespaces) count += ns->service.connections();
        return count;
    }
    // Why an engine cannot serve as it should, or "" when every one can.
    std::string trouble() const {
        for (const auto& ns : namespaces)
            if (std::string why = ns->engine->trouble(); !why.empty()) return why;
        return {};
    }

    // Ends the connection of the member (or session) `id` of `ns` on this node, announcing
    // its departure; false when it has none here.
    bool disconnect_member(Namespace& ns, std::string_view id) {
        return ns.service.close_connection(id, close_code::disconnected, "disconnected by the server");
    }

    // A connection closed by a closing handshake: announce it, and tell a stopping server
    // when it was the last.
    void disconnected(Namespace& ns, Link& link) {
        ns.service.disconnect(link);
        after_disconnect();
    }
    // A connection lost without a closing handshake: its member may resume, and holds
    // the connection's `slot` meanwhile.
    void lost(Namespace& ns, Link& link, std::shared_ptr<const void> slot) {
        ns.service.lose(link, std::move(slot));
        after_disconnect();
    }
    void after_disconnect() {
        if (stopping && connections() == 0 && on_idle) std::exchange(on_idle, nullptr)();
    }

    // Counts a connection accepted from `address`, unless a limit refuses it. The admin
    // address serves operators: its connections count, but only the limit per address
    // refuses them, so that a full server still answers its probes there.
    Admitted admit(const boost::asio::ip::address& address, HttpRole role) {
        if (role == HttpRole::main && options.max_connections != 0 && counts->total >= options.max_connections) {
            ++refusals.server_full;
            return {Admission::server_full, nullptr};
        }
        const auto from = counts->from.find(address);
        if (options.max_connections_per_address != 0 && from != counts->from.end() &&
            from->second >= options.max_connections_per_address) {
            ++refusals.address_full;
            return {Admission::address_full, nullptr};
        }
        return {Admission::admitted, std::make_shared<const ConnectionSlot>(counts, address)};
    }

    ServerOptions options;
    std::optional<auth::TokenVerifier> verifier;
    Strand strand;
    // Set by Server::start when webhooks are on. Before the namespaces, whose hooks use it.
    std::unique_ptr<WebhookSender> webhooks;
    std::vector<std::unique_ptr<Namespace>> namespaces;  // the default one first
    std::unique_ptr<HttpHooks> http_hooks;  // set by Server::start when HTTP hooks are on
    bool stopping = false;
    std::function<void()> on_idle;  // called once
    std::unique_ptr<boost::asio::ssl::context> tls;  // set by Server::start when TLS is on
    std::shared_ptr<ConnectionCounts> counts = std::make_shared<ConnectionCounts>();
    Refusals refusals;
    Traffic traffic;
    Measures measures;
    // Set by Server::start.
    std::chrono::system_clock::time_point started_at;
    std::chrono::steady_clock::time_point started_steady;
};

}  // namespace presence
