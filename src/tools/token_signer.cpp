// SPDX-License-Identifier: Apache-2.0
#include "tools/token_signer.h"

#include <array>
#include <stdexcept>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "protocol/text.h"

namespace presence::tools {
namespace {

constexpr std::size_t p256_coordinate_bytes = 32;

const unsigned char* bytes_of(std::string_view text) { return reinterpret_cast<const unsigned char*>(text.data()); }

void require(bool ok, const char* what) {
    if (ok) return;
    ERR_clear_error();
    throw std::runtime_error(std::string("signing failed: ") + what);
}

bool is_p256(EVP_PKEY* key) {
    std::array<char, 64> group{};
    std::size_t length = 0;
    return EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_group_name(key, group.data(), group.size(), &length) == 1 &&
           std::string_view(group.data(), length) == "prime256v1";
}

std::string hmac_sha256(std::string_view secret, std::string_view input) {
    std::string mac(EVP_MAX_MD_SIZE, '\0');
    std::size_t length = 0;
    require(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(), bytes_of(input),
                      input.size(), reinterpret_cast<unsigned char*>(mac.data()), mac.size(), &length) != nullptr,
            "HMAC-SHA256");
    mac.resize(length);
    return mac;
}

// SHA-256 with the key's own scheme: PKCS #1 v1.5 for RSA, ECDSA (DER) for EC.
std::string digest_sign(EVP_PKEY* key, std::string_view input) {
    const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    require(ctx && EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key, nullptr) == 1,
            "EVP_DigestSignInit_ex");
    std::size_t length = 0;
    require(EVP_DigestSign(ctx.get(), nullptr, &length, bytes_of(input), input.size()) == 1, "EVP_DigestSign");
    std::string signature(length, '\0');
    require(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, bytes_of(input),
                           input.size()) == 1,
            "EVP_DigestSign");
    signature.resize(length);
    return signature;
}

// JWS gives an ECDSA signature as r and s, 32 bytes each (RFC 7518, section 3.4), not DER.
std::string jws_of_der_ecdsa(const std::string& der) {
    const unsigned char* in = bytes_of(der);
    const std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
        d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size())), ECDSA_SIG_free);
    require(sig != nullptr, "d2i_ECDSA_SIG");
    std::string raw(2 * p256_coordinate_bytes, '\0');
    auto* out = reinterpret_cast<unsigned char*>(raw.data());
    require(BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, p256_coordinate_bytes) == p256_coordinate_bytes &&
                BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + p256_coordinate_bytes, p256_coordinate_bytes) ==
                    p256_coordinate_bytes,
            "BN_bn2binpad");
    return raw;
}

}  // namespace

TokenSigner::TokenSigner(std::string algorithm, std::string secret, std::shared_ptr<EVP_PKEY> key)
    : algorithm_(std::move(algorithm)), secret_(std::move(secret)), key_(std::move(key)) {}

TokenSigner TokenSigner::hs256(std::string secret) { return TokenSigner("HS256", std::move(secret), nullptr); }

TokenSigner TokenSigner::from_private_key_file(const std::string& file) {
    const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(file.c_str(), "r"), BIO_free);
    if (!bio) {
        ERR_clear_error();
        throw std::runtime_error("cannot read the private key file " + file);
    }
    EVP_PKEY* read = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    ERR_clear_error();
    if (read == nullptr) throw std::runtime_error("no PEM private key in " + file);
    std::shared_ptr<EVP_PKEY> key(read, EVP_PKEY_free);
    if (EVP_PKEY_is_a(key.get(), "RSA")) return TokenSigner("RS256", {}, std::move(key));
    if (is_p256(key.get())) return TokenSigner("ES256", {}, std::move(key));
    throw std::runtime_error("the key in " + file + " is neither RSA (RS256) nor EC P-256 (ES256)");
}

std::string TokenSigner::sign(std::string_view claims) const {
    const std::string header = R"({"alg":")" + algorithm_ + R"(","typ":"JWT"})";
    const std::string input = base64url_encode(header) + "." + base64url_encode(claims);
    std::string signature;
    if (!key_)
        signature = hmac_sha256(secret_, input);
    else if (algorithm_ == "ES256")
        signature = jws_of_der_ecdsa(digest_sign(key_.get(), input));
    else
        signature = digest_sign(key_.get(), input);
    return input + "." + base64url_encode(signature);
}

std::string base64url_encode(std::string_view bytes) {
    std::string text = protocol::base64_encode(bytes);
    while (!text.empty() && text.back() == '=') text.pop_back();
    for (char& c : text) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    return text;
}

}  // namespace presence::tools
