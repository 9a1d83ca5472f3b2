// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "presence/member.h"
#include "presence/server_hooks.h"
#include "presence/server_options.h"

namespace boost::asio {
class io_context;
}

namespace presence {

/// The presence server. All protocol work runs on one thread: the server's own (the
/// first constructor; start() launches it) or whichever threads run the io_context
/// you pass in. Every public function is safe to call from any thread, hooks included;
/// from outside, while the server runs, the queries and stop() wait for that io_context,
/// so it must be running. From a handler of that io_context other than a hook, which
/// cannot wait for it, the queries (disconnect(), channels(), members(), connections())
/// throw std::logic_error, and stop() only begins the shutdown, as from a hook.
class Server {
public:
    explicit Server(ServerOptions options, ServerHooks hooks = {});
    Server(boost::asio::io_context& io, ServerOptions options, ServerHooks hooks = {});
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds and starts accepting, on the main address and on ServerOptions::admin's
    /// address when it has one; throws std::system_error when it cannot listen there,
    /// std::invalid_argument when the host is not an IP address or the admin address is
    /// not HOST:PORT.
    void start();
    /// Stops accepting, closes every connection with 1001 and announces the departures.
    /// Returns once every connection is gone or `grace` has passed.
    void stop();
    std::uint16_t port() const;
    /// The port of AdminOptions::address, once started; 0 without one.
    std::uint16_t admin_port() const;

    /// Adds a namespace, before start(): a presence instance of its own (members, channels,
    /// options, hooks), reached by the Guid `guid` (docs/protocol.md, Namespaces). The
    /// options and hooks given to the constructor are those of the default namespace, whose
    /// Guid is "". Throws std::invalid_argument for a Guid that is not 1 to 100 printable
    /// ASCII characters or that is already declared, std::logic_error after start().
    void add_namespace(const std::string& guid, PresenceOptions options, ServerHooks hooks = {});

    /// A publish from the application: to `channel`'s members, or to every member when
    /// `channel` is empty, in the namespace `guid`. The message carries an empty member as
    /// its sender. Throws std::invalid_argument when `text` or `channel` is not UTF-8, or
    /// when there is no such namespace (as do the queries below).
    void broadcast(const std::string& text, const std::string& channel = "", const std::string& guid = "");

    /// Ends the connection of the member `member_id` (or of the connection with that
    /// session id, joined or not) in the namespace `guid`, if it is connected to this
    /// server: its departure is announced at once, as when a client closes, then the
    /// connection is closed with code 4000, "disconnected by the server". A member waiting
    /// to resume a lost connection is removed. Returns false when there is no such member
    /// here (with the Redis engine, a member of another node is not closed from this one).
    /// Nothing keeps the client from connecting again.
    bool disconnect(const std::string& member_id, const std::string& guid = "");

    std::vector<ChannelSummary> channels(const std::string& guid = "") const;
    /// The members of `channel`, or every member when `channel` is empty.
    std::vector<Member> members(const std::string& channel, const std::string& guid = "") const;
    std::vector<Member> members() const;  ///< every member of the default namespace
    /// WebSocket connections, counted once per namespace they reach.
    std::size_t connections() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace presence
