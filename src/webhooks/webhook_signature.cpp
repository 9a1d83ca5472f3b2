// SPDX-License-Identifier: Apache-2.0
#include "webhooks/webhook_signature.h"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace presence {

std::string webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body) {
    std::string text;
    text.reserve(timestamp.size() + 1 + body.size());
    text.append(timestamp).append(".").append(body);
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    std::size_t length = 0;
    if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                   reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac.data(), mac.size(),
                   &length))
        throw std::runtime_error("HMAC-SHA256 is not available");
    static constexpr char digits[] = "0123456789abcdef";
    std::string out = "sha256=";
    for (std::size_t i = 0; i < length; ++i) {
        out += digits[mac[i] >> 4];
        out += digits[mac[i] & 0xf];
    }
    return out;
}

}  // namespace presence
