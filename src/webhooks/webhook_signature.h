#pragma once

#include <string>
#include <string_view>

namespace presence {

// The value of the X-Presence-Signature header: "sha256=" and the lowercase hex
// HMAC-SHA256 of the exact body bytes, keyed with the secret.
std::string webhook_signature(std::string_view secret, std::string_view body);

}  // namespace presence
