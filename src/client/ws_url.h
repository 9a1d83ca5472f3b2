#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace presence::client {

// The parts of a ws:// URL the transport needs.
struct WsUrl {
    std::string host;    // without the brackets of an IPv6 literal
    std::string port;    // "80" when the URL names none
    std::string target;  // the path and query, "/" at least

    // The Host header: host and port as the URL wrote them.
    std::string authority() const;
};

// std::nullopt unless `url` is ws://host[:port][/path] with a host and a numeric port.
std::optional<WsUrl> parse_ws_url(std::string_view url);

}  // namespace presence::client
