// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace presence {

inline constexpr std::string_view webhook_timestamp_header = "X-Presence-Timestamp";
inline constexpr std::string_view webhook_signature_header = "X-Presence-Signature";

// The value of the signature header: "sha256=" and the lowercase hex HMAC-SHA256, keyed
// with the secret, of the timestamp header's value (seconds since 1970), ".", and the
// exact body bytes. The signed timestamp lets a receiver refuse a request replayed later.
std::string webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body);

}  // namespace presence
