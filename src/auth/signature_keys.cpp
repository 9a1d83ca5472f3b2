// SPDX-License-Identifier: Apache-2.0
#include "auth/signature_keys.h"

#include <array>
#include <optional>
#include <stdexcept>
#include <vector>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace presence::auth {
namespace {

constexpr std::size_t sha256_bytes = 32;
constexpr std::size_t p256_coordinate_bytes = 32;
// Shorter RSA keys are too weak to trust (NIST SP 800-131A).
constexpr int min_rsa_bits = 2048;

const unsigned char* bytes_of(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

// A failed OpenSSL call leaves entries on this thread's error queue, where a later TLS
// call on the same thread would find them and misreport its own result.
bool succeeded(bool ok) {
    if (!ok) ERR_clear_error();
    return ok;
}

std::shared_ptr<EVP_PKEY> read_public_key(const std::string& file) {
    const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(file.c_str(), "r"), BIO_free);
    if (!bio) {
        ERR_clear_error();
        throw std::runtime_error("cannot read the public key file " + file);
    }
    EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
    if (key == nullptr) {
        ERR_clear_error();
        throw std::runtime_error("no PEM public key in " + file);
    }
    return {key, EVP_PKEY_free};
}

bool is_p256(EVP_PKEY* key) {
    std::array<char, 64> group{};
    std::size_t length = 0;
    return EVP_PKEY_is_a(key, "EC") &&
           succeeded(EVP_PKEY_get_group_name(key, group.data(), group.size(), &length) == 1) &&
           std::string_view(group.data(), length) == "prime256v1";
}

// The JWS algorithm a public key verifies, or empty when we do not accept that key.
std::string algorithm_of(EVP_PKEY* key) {
    if (EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) >= min_rsa_bits) return "RS256";
    if (is_p256(key)) return "ES256";
    return {};
}

// HS256. The comparison takes the same time wherever the bytes differ, so that a forger
// cannot find the right MAC byte by byte by timing refusals.
bool hmac_matches(std::string_view secret, std::string_view input, std::string_view signature) {
    std::array<unsigned char, sha256_bytes> mac{};
    std::size_t length = 0;
    if (signature.size() != mac.size()) return false;
    if (!succeeded(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(),
                             secret.size(), bytes_of(input), input.size(), mac.data(),
                             mac.size(), &length) != nullptr))
        return false;
    return length == mac.size() && CRYPTO_memcmp(mac.data(), signature.data(), mac.size()) == 0;
}

// SHA-256 with the key's own scheme: PKCS #1 v1.5 for RSA (OpenSSL's default), ECDSA for EC.
bool digest_verifies(EVP_PKEY* key, std::string_view input, const unsigned char* signature,
                     std::size_t signature_length) {
    const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                       EVP_MD_CTX_free);
    return succeeded(ctx &&
                     EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key,
                                             nullptr) == 1 &&
                     EVP_DigestVerify(ctx.get(), signature, signature_length, bytes_of(input),
                                      input.size()) == 1);
}

// JWS writes an ECDSA signature as r and s, 32 bytes each (RFC 7518, section 3.4);
// OpenSSL reads the DER form of RFC 3279.
std::optional<std::vector<unsigned char>> der_of_raw_ecdsa(std::string_view raw) {
    if (raw.size() != 2 * p256_coordinate_bytes) return std::nullopt;
    const std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(),
                                                                    ECDSA_SIG_free);
    constexpr int n = p256_coordinate_bytes;
    BIGNUM* r = BN_bin2bn(bytes_of(raw), n, nullptr);
    BIGNUM* s = BN_bin2bn(bytes_of(raw) + n, n, nullptr);
    if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ERR_clear_error();
        return std::nullopt;
    }
    const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
    if (!succeeded(length > 0)) return std::nullopt;
    std::vector<unsigned char> der(static_cast<std::size_t>(length));
    unsigned char* out = der.data();
    if (!succeeded(i2d_ECDSA_SIG(sig.get(), &out) == length)) return std::nullopt;
    return der;
}

bool public_key_verifies(EVP_PKEY* key, std::string_view algorithm, std::string_view input,
                         std::string_view signature) {
    if (algorithm == "RS256")
        return digest_verifies(key, input, bytes_of(signature), signature.size());
    const auto der = der_of_raw_ecdsa(signature);
    return der && digest_verifies(key, input, der->data(), der->size());
}

}  // namespace

SignatureKeys::SignatureKeys(std::string hs256_secret, const std::string& public_key_file)
    : secret_(std::move(hs256_secret)) {
    if (public_key_file.empty()) return;
    public_key_ = read_public_key(public_key_file);
    public_algorithm_ = algorithm_of(public_key_.get());
    if (public_algorithm_.empty())
        throw std::runtime_error("the public key in " + public_key_file +
                                 " is neither RSA of at least 2048 bits nor EC P-256");
}

// Each algorithm is checked only with the key made for it, never with another key: this
// is what defeats the confusion attack where an HS256 token is signed with the text of
// the RSA public key as its secret.
SignatureKeys::Check SignatureKeys::check(std::string_view algorithm,
                                          std::string_view signing_input,
                                          std::string_view signature) const {
    if (algorithm == "HS256") {
        if (secret_.empty()) return Check::no_key;
        return hmac_matches(secret_, signing_input, signature) ? Check::valid
                                                               : Check::bad_signature;
    }
    if (algorithm != "RS256" && algorithm != "ES256") return Check::unsupported_algorithm;
    if (algorithm != public_algorithm_) return Check::no_key;
    return public_key_verifies(public_key_.get(), algorithm, signing_input, signature)
               ? Check::valid
               : Check::bad_signature;
}

}  // namespace presence::auth
