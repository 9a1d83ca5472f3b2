// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <openssl/types.h>

// Signed tokens (JWT, compact JWS) as presence-server reads them (docs/security.md), made
// by presence-token; checking them is the server's own TokenVerifier's job.
namespace presence::tools {

// A key that signs tokens: an HS256 secret, or a PEM private key, RSA (RS256) or EC P-256
// (ES256).
class TokenSigner {
public:
    static TokenSigner hs256(std::string secret);
    // Throws std::runtime_error naming the file when it cannot be read or holds no RSA or
    // EC P-256 private key.
    static TokenSigner from_private_key_file(const std::string& file);

    const std::string& algorithm() const { return algorithm_; }
    // The compact JWS of these claims (a JSON object's text), with the header
    // {"alg":ALGORITHM,"typ":"JWT"}.
    std::string sign(std::string_view claims) const;

private:
    TokenSigner(std::string algorithm, std::string secret, std::shared_ptr<EVP_PKEY> key);

    std::string algorithm_;
    std::string secret_;
    std::shared_ptr<EVP_PKEY> key_;
};

std::string base64url_encode(std::string_view bytes);

}  // namespace presence::tools
