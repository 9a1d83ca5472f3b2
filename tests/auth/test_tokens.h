// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/types.h>

// Token signing for the tests, written against OpenSSL directly rather than with the
// code under test.
namespace presence::auth::test {

using Key = std::shared_ptr<EVP_PKEY>;
Key rsa_key(unsigned bits = 2048);
Key ec_key(const char* curve = "P-256");
std::string public_pem(const Key& key);
std::string private_pem(const Key& key);

// A signature of the signing input, in its JWS form.
using Signer = std::function<std::string(std::string_view input)>;
Signer hs256(std::string secret);
Signer rs256(Key key);
Signer es256(Key key);  // r and s, 32 bytes each

std::string base64url(std::string_view bytes);
// A compact JWS of these header and payload texts.
std::string jws(std::string_view header, std::string_view payload, const Signer& sign);

// A file of this content in the temporary directory, removed with this object.
class TemporaryFile {
public:
    explicit TemporaryFile(std::string_view content);
    ~TemporaryFile();
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace presence::auth::test
