#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "auth/token_verifier.h"
#include "presence/grant.h"
#include "presence/server_options.h"

namespace presence {

// What an upgrade request may become: a connection with `grant`, or, without a grant,
// a refusal (401) for the reason given.
struct Entry {
    std::optional<Grant> grant;
    std::string refusal;
};

// Without a verifier (no key configured) every request gets the grant that restricts
// nothing. With one, a valid token is required, except that a request without any token
// becomes an anonymous member where the options allow it; a bad token is always refused.
Entry entry_for(const std::optional<auth::TokenVerifier>& verifier, const AuthOptions& options,
                std::string_view target, std::string_view authorization,
                std::chrono::system_clock::time_point now);

}  // namespace presence
