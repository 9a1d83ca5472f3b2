// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace presence::protocol {

// Standard Base64 (RFC 4648, with padding), as sgcWebSockets writes it.
std::string base64_encode(std::string_view bytes);
// std::nullopt when `text` is not canonical padded Base64.
std::optional<std::string> base64_decode(std::string_view text);

bool is_valid_utf8(std::string_view bytes);
// The UTF-8 of text whose bytes are Latin-1 (ISO 8859-1) code points.
std::string latin1_to_utf8(std::string_view bytes);

// RFC 3986 percent-decoding ('+' stays '+'); nullopt when a '%' is not followed by two
// hexadecimal digits.
std::optional<std::string> percent_decode(std::string_view text);

// The items of a comma-separated list (as in HTTP headers), spaces around them trimmed.
std::vector<std::string_view> split_list(std::string_view list);

// A count written in decimal digits only; nullopt for anything else (empty, a sign, spaces).
std::optional<std::size_t> parse_count(std::string_view text);

}  // namespace presence::protocol
