// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace presence::client {

// The parts of a ws:// or wss:// URL the transport needs.
struct WsUrl {
    bool secure = false; // wss://: WebSocket over TLS
    std::string host;    // without the brackets of an IPv6 literal
    std::string port;    // when the URL names none: "80", or "443" for wss://
    std::string target;  // the path and query, "/" at least

    // The Host header: host and port as the URL wrote them.
    std::string authority() const;
};

// std::nullopt unless `url` is ws:// or wss://host[:port][/path] with a host and a
// numeric port.
std::optional<WsUrl> parse_ws_url(std::string_view url);

}  // namespace presence::client
