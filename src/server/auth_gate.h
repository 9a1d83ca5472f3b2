// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "domain/grant.h"
#include "server/server_core.h"

namespace presence {

// What an upgrade request may become: a connection with `grant`, or, without a grant,
// a refusal (401) for the reason given.
struct AuthDecision {
    std::optional<Grant> grant;
    std::string refusal;
};

// Without a verifier (no key configured) every request gets the grant that restricts
// nothing. With one, a valid token is required, except that a request without any token
// becomes an anonymous member where the options allow it; a bad token is always refused.
// So is a token that names a namespace (its `ns` claim) when the connection would reach
// another one (`protocol`: the sub-protocol chosen), or, for a broker connection, when
// this server has no such namespace.
AuthDecision authorize(ServerCore& core, std::string_view target, std::string_view authorization,
                       std::string_view protocol, std::chrono::system_clock::time_point now);

}  // namespace presence
