// SPDX-License-Identifier: Apache-2.0
#include "protocol/broker_framing.h"

#include <algorithm>

namespace presence::protocol {

namespace {

constexpr std::size_t max_guid_bytes = 100;
constexpr std::size_t length_digits = 3;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

BrokerFrame malformed(std::string_view why) { return {{}, {}, why}; }

}  // namespace

bool valid_guid(std::string_view guid) {
    return !guid.empty() && guid.size() <= max_guid_bytes &&
           std::all_of(guid.begin(), guid.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

std::string endpoint_id(std::string_view guid) {
    if (guid.empty()) return std::string(presence_endpoint);
    return std::string(guid) + "." + std::string(presence_endpoint);
}

std::string broker_prefix(std::string_view guid) {
    const std::string id = endpoint_id(guid);
    std::string length = std::to_string(id.size());
    return std::string(length_digits - length.size(), '0') + length + id;
}

BrokerFrame split_broker_frame(std::string_view message) {
    if (message.size() < length_digits) return malformed("bad broker frame: shorter than its length digits");
    const std::string_view digits = message.substr(0, length_digits);
    if (!std::all_of(digits.begin(), digits.end(), is_digit))
        return malformed("bad broker frame: the id length must be 3 decimal digits");
    const auto length = static_cast<std::size_t>((digits[0] - '0') * 100 + (digits[1] - '0') * 10 + (digits[2] - '0'));
    if (length == 0) return malformed("bad broker frame: empty endpoint id");
    if (message.size() - length_digits < length) return malformed("bad broker frame: the id is cut short");
    return {message.substr(length_digits, length), message.substr(length_digits + length), {}};
}

bool guid_of(std::string_view id, std::string_view& guid) {
    if (id == presence_endpoint) {
        guid = {};
        return true;
    }
    if (!id.ends_with(presence_endpoint) || id.size() < presence_endpoint.size() + 2) return false;
    const std::string_view rest = id.substr(0, id.size() - presence_endpoint.size());
    if (rest.back() != '.') return false;
    guid = rest.substr(0, rest.size() - 1);
    return valid_guid(guid);
}

}  // namespace presence::protocol
