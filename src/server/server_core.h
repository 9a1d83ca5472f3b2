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

// What the sessions and listeners count for /metrics and the log, each count changed by a
// method of its own. Used on the strand only.
class Counters {
public:
    void received(std::size_t bytes) {
        ++traffic_.messages_received;
        traffic_.bytes_received += bytes;
    }
    // `made_at`: when the frame of a publish was made, or MadeAt{} for any other frame.
    void sent(std::size_t bytes, MadeAt made_at) {
        ++traffic_.messages_sent;
        traffic_.bytes_sent += bytes;
        if (made_at != MadeAt{}) measures_.publish_to_write.observe(std::chrono::steady_clock::now() - made_at);
    }
    void slow_consumer_dropped() { ++traffic_.slow_consumer_drops; }
    void refused_unauthorized() { ++traffic_.refused_unauthorized; }
    void refused(Admission why) {
        if (why == Admission::server_full) ++refusals_.server_full;
        if (why == Admission::address_full) ++refusals_.address_full;
        if (why == Admission::no_descriptors) ++refusals_.no_descriptors;
    }
    void ended(ConnectionOutcome outcome) { measures_.count(outcome); }

    const Traffic& traffic() const { return traffic_; }
    const Refusals& refusals() const { return refusals_; }
    const Measures& measures() const { return measures_; }

private:
    Traffic traffic_;
    Refusals refusals_;
    Measures measures_;
};

// Only with a key configured are tokens checked. A key file that cannot be used throws.
inline std::optional<auth::TokenVerifier> make_verifier(const AuthOptions& options) {
    if (!options.enabled()) return std::nullopt;
    return auth::TokenVerifier(options);
}

// What every session of one server shares. All of it is used on `strand` only. Sessions
// hold it by shared_ptr, so it outlives the Server object for as long as they run.
class ServerCore {
public:
    // The webhooks, when on, are made before any namespace: the hooks that report to them
    // hold them from the start. Throws for options the engine, the token verifier or the
    // webhooks cannot use.
    ServerCore(boost::asio::io_context& io, ServerOptions server_options, ServerHooks server_hooks)
        : options(std::move(server_options)),
          verifier(make_verifier(options.auth)),
          strand(boost::asio::make_strand(io)) {
        auto engine = make_engine(options.engine, strand, server_hooks.on_log);
        if (options.webhooks.enabled())
            webhooks_ =
                std::make_shared<WebhookSender>(strand, options.webhooks, engine->node_id(), server_hooks.on_log);
        if (options.http_hooks.enabled())
            http_hooks_ = std::make_unique<HttpHooks>(strand, options.http_hooks, server_hooks.on_log);
        add_namespace("", std::move(engine), options.presence, std::move(server_hooks));
    }

    // Each namespace has an engine of its own; with Redis, under a key prefix of its own.
    Namespace& add_namespace(const std::string& guid, PresenceOptions presence, ServerHooks namespace_hooks) {
        EngineOptions engine_options = options.engine;
        if (!guid.empty()) engine_options.key_prefix += guid + ":";
        // The server's log is the default namespace's.
        auto engine = make_engine(engine_options, strand, hooks().on_log);
        return add_namespace(guid, std::move(engine), std::move(presence), std::move(namespace_hooks));
    }
    const std::vector<std::unique_ptr<Namespace>>& namespaces() const { return namespaces_; }
    Namespace& default_namespace() { return *namespaces_.front(); }
    const ServerHooks& hooks() const { return namespaces_.front()->hooks; }
    Namespace* find(std::string_view guid) {
        for (const auto& ns : namespaces_)
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
        for (const auto& ns : namespaces_) count += ns->service.connections();
        return count;
    }
    // Why an engine cannot serve as it should, or "" when every one can.
    std::string trouble() const {
        for (const auto& ns : namespaces_)
            if (std::string why = ns->engine->trouble(); !why.empty()) return why;
        return {};
    }
    // Null when webhooks are off.
    WebhookSender* webhooks() const { return webhooks_.get(); }
    // Null when HTTP hooks are off.
    HttpHooks* http_hooks() const { return http_hooks_.get(); }
    // Null without TLS.
    boost::asio::ssl::context* tls() const { return tls_.get(); }

    // Called by Server::start, before it listens.
    void start(std::unique_ptr<boost::asio::ssl::context> tls) {
        tls_ = std::move(tls);
        started_at_ = std::chrono::system_clock::now();
        started_steady_ = std::chrono::steady_clock::now();
    }
    std::chrono::system_clock::time_point started_at() const { return started_at_; }
    std::chrono::steady_clock::time_point started_steady() const { return started_steady_; }

    // The shutdown has begun: no more connections.
    void begin_stopping() { stopping_ = true; }
    bool stopping() const { return stopping_; }
    // `call` runs once, when no connection is left: now, if none is; null forgets it.
    void notify_when_idle(std::function<void()> call) {
        on_idle_ = std::move(call);
        after_disconnect();
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

    // Counts a connection accepted from `address`, unless a limit refuses it. The admin
    // address serves operators: its connections count, but only the limit per address
    // refuses them, so that a full server still answers its probes there.
    Admitted admit(const boost::asio::ip::address& address, HttpRole role) {
        if (role == HttpRole::main && options.max_connections != 0 && counts_->total >= options.max_connections)
            return refuse(Admission::server_full);
        const auto from = counts_->from.find(address);
        if (options.max_connections_per_address != 0 && from != counts_->from.end() &&
            from->second >= options.max_connections_per_address)
            return refuse(Admission::address_full);
        return {Admission::admitted, std::make_shared<const ConnectionSlot>(counts_, address)};
    }

    const ServerOptions options;
    const std::optional<auth::TokenVerifier> verifier;
    const Strand strand;
    Counters counters;

private:
    Namespace& add_namespace(const std::string& guid, std::unique_ptr<Engine> engine, PresenceOptions presence,
                             ServerHooks namespace_hooks) {
        // The webhooks observe the changes of presence after the namespace's own hooks.
        if (webhooks_) report_changes(namespace_hooks, guid, webhooks_);
        return *namespaces_.emplace_back(
            std::make_unique<Namespace>(guid, std::move(engine), std::move(presence), std::move(namespace_hooks)));
    }
    Admitted refuse(Admission why) {
        counters.refused(why);
        return {why, nullptr};
    }
    void after_disconnect() {
        if (stopping_ && on_idle_ && connections() == 0) std::exchange(on_idle_, nullptr)();
    }

    std::shared_ptr<WebhookSender> webhooks_;  // shared with the hooks that report to it
    std::vector<std::unique_ptr<Namespace>> namespaces_;  // the default one first
    std::unique_ptr<HttpHooks> http_hooks_;
    bool stopping_ = false;
    std::function<void()> on_idle_;  // called once
    std::unique_ptr<boost::asio::ssl::context> tls_;
    std::shared_ptr<ConnectionCounts> counts_ = std::make_shared<ConnectionCounts>();
    std::chrono::system_clock::time_point started_at_;
    std::chrono::steady_clock::time_point started_steady_;
};

}  // namespace presence
