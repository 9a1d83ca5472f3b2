// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "domain/connection.h"
#include "domain/grant.h"
#include "domain/statistics.h"
#include "protocol/acknowledgment.h"

namespace presence {

// Who is connected: the connections by link, those lost but waiting to be resumed, the
// resume tokens, and when each connection's grant ends. A connection is either attached
// (it has a link) or detached (waiting for a resume), never both, and its grant's end is
// listed while it is either. Ending a connection's membership is the caller's: what
// leaves here is handed over, owned.
class Sessions {
public:
    Sessions(const PresenceOptions& options, const ServerHooks& hooks, Statistics& statistics)
        : options_(options), hooks_(hooks), statistics_(statistics) {}

    Connection& open(Link& link, Grant grant);
    Connection* find(const Link& link) const;
    // The attached connection of `link`, out of every list; null when there is none.
    std::unique_ptr<Connection> close(const Link& link);
    // The connection of `link` waits for a resume until the grace period ends, keeping
    // `hold`; false, and nothing changed, when it cannot be resumed.
    bool detach(const Link& link, std::shared_ptr<const void> hold);
    // The detached connections whose grace ended before `now`, out of every list.
    std::vector<std::unique_ptr<Connection>> take_expired(protocol::Clock::time_point now);
    // A connection whose grant ended before `now`, taken off the list of grants; null when
    // there is none. Still attached or detached: see take_detached().
    Connection* take_ended_grant(std::chrono::system_clock::time_point now);
    std::unique_ptr<Connection> take_detached(const std::string& token);
    // The connection with this session id, attached or detached.
    Connection* find_by_id(std::string_view id) const;

    // Frames sent to `c` from now on are numbered and kept for a resume.
    void make_resumable(Connection& c);
    // The connection of `token` for `claimant` to take over: a detached one, or one whose
    // link still looks alive (the client saw it die first; that link is dropped). Null when
    // there is none, or the claimant may not take it.
    std::unique_ptr<Connection> claim(const std::string& token, const Connection& claimant);
    // `resumed` takes the place of the connection of `link`, under that connection's grant;
    // returns the connection it replaces.
    std::unique_ptr<Connection> adopt(Link& link, std::unique_ptr<Connection> resumed);

    template <typename Each>
    void for_each(Each each) const {
        for (const auto& [link, c] : attached_) each(*c);
    }
    std::size_t attached() const { return attached_.size(); }
    std::size_t detached() const { return detached_.size(); }

private:
    struct Detached {
        std::unique_ptr<Connection> connection;
        protocol::Clock::time_point deadline;
    };

    void list_grant(Connection& c);
    void unlist_grant(Connection& c);

    const PresenceOptions& options_;
    const ServerHooks& hooks_;
    Statistics& statistics_;
    std::unordered_map<const Link*, std::unique_ptr<Connection>> attached_;
    std::unordered_map<std::string, Link*> resumable_;    // token → link, attached ones
    std::unordered_map<std::string, Detached> detached_;  // token → lost connection
    Expiries expiries_;
};

}  // namespace presence
