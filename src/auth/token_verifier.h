// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "auth/signature_keys.h"
#include "domain/grant.h"
#include "presence/server_options.h"

namespace presence::auth {

// Longer tokens are refused before any decoding.
inline constexpr std::size_t max_token_bytes = 8192;
// Clock difference allowed between the token's issuer and this server, on `exp` and `nbf`.
// A grant's `expires` is the token's `exp` plus the leeway, so that a token accepted
// within the leeway is not ended at once.
inline constexpr std::chrono::seconds clock_leeway{30};
// Bounds of the `sub` claim, the member id.
inline constexpr std::size_t max_subject_bytes = 256;

// Checks signed tokens (compact JWS: HS256, RS256, ES256) against the server's keys and
// turns their claims into a Grant, whose `user` is always set: the `user` claim, else the
// subject, else "" (no user). Immutable once built: verify() may run on any thread.
class TokenVerifier {
public:
    // Throws std::runtime_error (the message names the file) when public_key_file cannot
    // be read or holds no RSA (2048 bits or more) or EC P-256 public key.
    explicit TokenVerifier(const AuthOptions& options);

    // The grant of a valid token, or why it is not valid: one short line for logs and
    // for the 401 body, never echoing the token.
    struct Outcome {
        std::optional<Grant> grant;
        std::string error;
    };
    Outcome verify(std::string_view token, std::chrono::system_clock::time_point now) const;

private:
    SignatureKeys keys_;
};

// The three parts of a compact JWS, decoded from strict base64url; the signature is not
// checked yet. nullopt when the token is not three such parts.
struct CompactJws {
    std::string_view signing_input;  // header and payload as written, with their dot
    std::string header;
    std::string payload;
    std::string signature;
};
std::optional<CompactJws> split_compact_jws(std::string_view token);

// The token of an upgrade request: the `token` query parameter of the request target
// (percent-decoded), else an `Authorization: Bearer <token>` header value; nullopt when
// neither.
std::optional<std::string> token_of(std::string_view target, std::string_view authorization);

// What a connection without a valid token may do when anonymous members are allowed:
// restricted, join = publish = options.public_channels, no user (fixed: it may not
// declare one), id, name and info its own, any namespace, no expiry.
Grant anonymous_grant(const AuthOptions& options);

}  // namespace presence::auth
