// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "domain/connection.h"
#include "domain/frames.h"
#include "domain/statistics.h"
#include "presence/error_codes.h"
#include "presence/server_hooks.h"
#include "presence/server_options.h"
#include "protocol/message.h"

namespace presence {

// How a request is refused, and the checks every rule starts with: the sgc error frame of
// the request, its hooks, its count, and the close of a connection that sends nothing but
// malformed requests.
class Answers {
public:
    Answers(const PresenceOptions& options, const ServerHooks& hooks, const Frames& frames, Statistics& statistics)
        : options_(options), hooks_(hooks), frames_(frames), statistics_(statistics) {}

    // The error frame of `request`, about `about` (the requester when null).
    void error(Connection& c, const protocol::Message& request, ErrorCode code, std::string_view text = {},
               const Member* about = nullptr) const;
    // A malformed request: answered like any error, and counted, so that a peer sending
    // nothing but garbage is eventually closed.
    void reject(Connection& c, const protocol::Message& request, ErrorCode code, std::string text) const;

    // The requester's own member, or nullptr after answering error 3.
    const Member* self_of(Connection& c, const protocol::Message& request) const;
    bool valid_channel(Connection& c, const protocol::Message& request, bool required) const;
    // A member's strings within the server's limits, the error answered otherwise.
    bool fits(Connection& c, const protocol::Message& request, const Member& member) const;
    bool within(Connection& c, const protocol::Message& request, std::string_view field, std::size_t size,
                std::size_t limit) const;

private:
    const PresenceOptions& options_;
    const ServerHooks& hooks_;
    const Frames& frames_;
    Statistics& statistics_;
};

// Whether a hook allows: an unset hook does.
template <typename Hook, typename... Args>
bool allowed(const Hook& hook, Args&&... args) {
    return !hook || hook(std::forward<Args>(args)...);
}

template <typename Hook, typename... Args>
void notify(const Hook& hook, Args&&... args) {
    if (hook) hook(std::forward<Args>(args)...);
}

// "over 5 requests per second"
std::string over_rate_text(double rate, std::string_view what);

inline bool at_limit(std::size_t count, std::size_t limit) { return limit != 0 && count >= limit; }

}  // namespace presence
