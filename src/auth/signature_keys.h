// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <openssl/types.h>

namespace presence::auth {

// The keys a JWS signature may be checked with: an HS256 secret and one public key
// (RSA for RS256 or EC P-256 for ES256), each optional. Immutable once built, so checks
// may run on any thread.
class SignatureKeys {
public:
    // An empty secret or file name means no such key. Throws std::runtime_error naming
    // the file when it cannot be read or holds no usable public key.
    SignatureKeys(std::string hs256_secret, const std::string& public_key_file);

    enum class Check { valid, unsupported_algorithm, no_key, bad_signature };
    Check check(std::string_view algorithm, std::string_view signing_input,
                std::string_view signature) const;

private:
    std::string secret_;
    std::string public_algorithm_;  // "RS256", "ES256", or empty without a public key
    std::shared_ptr<EVP_PKEY> public_key_;
};

}  // namespace presence::auth
