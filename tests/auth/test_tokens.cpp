// SPDX-License-Identifier: Apache-2.0
#include "test_tokens.h"

#include <stdexcept>
#include <vector>

#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "protocol/text.h"

namespace presence::auth::test {
namespace {

void require(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("OpenSSL failed: ") + what);
}

const unsigned char* bytes_of(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

std::string digest_sign(const Key& key, std::string_view input) {
    const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                       EVP_MD_CTX_free);
    require(EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key.get(),
                                  nullptr) == 1,
            "EVP_DigestSignInit_ex");
    std::size_t length = 0;
    require(EVP_DigestSign(ctx.get(), nullptr, &length, bytes_of(input), input.size()) == 1,
            "EVP_DigestSign");
    std::string signature(length, '\0');
    require(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                           bytes_of(input), input.size()) == 1,
            "EVP_DigestSign");
    signature.resize(length);
    return signature;
}

std::string raw_of_der_ecdsa(const std::string& der) {
    const unsigned char* in = bytes_of(der);
    const std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
        d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size())), ECDSA_SIG_free);
    require(sig != nullptr, "d2i_ECDSA_SIG");
    std::string raw(64, '\0');
    auto* out = reinterpret_cast<unsigned char*>(raw.data());
    require(BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, 32) == 32 &&
                BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + 32, 32) == 32,
            "BN_bn2binpad");
    return raw;
}

std::string text_of(BIO* memory) {
    char* data = nullptr;
    const long length = BIO_get_mem_data(memory, &data);
    return std::string(data, static_cast<std::size_t>(length));
}

}  // namespace

Key rsa_key(unsigned bits) {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits));
    require(key != nullptr, "RSA key generation");
    return {key, EVP_PKEY_free};
}

Key ec_key(const char* curve) {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
    require(key != nullptr, "EC key generation");
    return {key, EVP_PKEY_free};
}

std::string public_pem(const Key& key) {
    const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    require(PEM_write_bio_PUBKEY(bio.get(), key.get()) == 1, "PEM_write_bio_PUBKEY");
    return text_of(bio.get());
}

std::string private_pem(const Key& key) {
    const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    require(PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                     nullptr) == 1,
            "PEM_write_bio_PrivateKey");
    return text_of(bio.get());
}

Signer hs256(std::string secret) {
    return [secret = std::move(secret)](std::string_view input) {
        std::string mac(EVP_MAX_MD_SIZE, '\0');
        std::size_t length = 0;
        require(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(),
                          secret.size(), bytes_of(input), input.size(),
                          reinterpret_cast<unsigned char*>(mac.data()), mac.size(),
                          &length) != nullptr,
                "EVP_Q_mac");
        mac.resize(length);
        return mac;
    };
}

Signer rs256(Key key) {
    return [key = std::move(key)](std::string_view input) { return digest_sign(key, input); };
}

Signer es256(Key key) {
    return [key = std::move(key)](std::string_view input) {
        return raw_of_der_ecdsa(digest_sign(key, input));
    };
}

std::string base64url(std::string_view bytes) {
    std::string text = protocol::base64_encode(bytes);
    while (!text.empty() && text.back() == '=') text.pop_back();
    for (char& c : text) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    return text;
}

std::string jws(std::string_view header, std::string_view payload, const Signer& sign) {
    const std::string input = base64url(header) + "." + base64url(payload);
    return input + "." + base64url(sign(input));
}

TemporaryFile::TemporaryFile(std::string_view content) {
    std::string name = (std::filesystem::temp_directory_path() / "presence-auth-XXXXXX").string();
    const int fd = mkstemp(name.data());
    if (fd < 0) throw std::runtime_error("cannot create a temporary file");
    path_ = name;
    const bool written =
        write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
    close(fd);
    if (!written) {
        std::filesystem::remove(path_);
        throw std::runtime_error("cannot write " + path_);
    }
}

TemporaryFile::~TemporaryFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
}

}  // namespace presence::auth::test
