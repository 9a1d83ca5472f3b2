// SPDX-License-Identifier: Apache-2.0
#include "client/ws_url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace presence::client {
namespace {

bool valid_port(std::string_view port) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    return ec == std::errc{} && end == port.data() + port.size() && value > 0 && value <= 65535;
}

// Splits "host[:port]" or "[v6]:port"; false when malformed.
bool split_authority(std::string_view authority, WsUrl& out) {
    std::string_view port;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return false;
        out.host = authority.substr(1, close - 1);
        const std::string_view rest = authority.substr(close + 1);
        if (!rest.empty() && !rest.starts_with(':')) return false;
        if (!rest.empty()) port = rest.substr(1);
    } else {
        const auto colon = authority.find(':');
        out.host = authority.substr(0, colon);
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (port.empty()) port = out.secure ? "443" : "80";
    out.port = port;
    return !out.host.empty() && valid_port(out.port);
}

// Removes `scheme` (any case) from the front of `url`; false when it is not there.
bool take_scheme(std::string_view& url, std::string_view scheme) {
    if (url.size() < scheme.size()) return false;
    const bool same = std::equal(scheme.begin(), scheme.end(), url.begin(),
                                 [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
    if (same) url.remove_prefix(scheme.size());
    return same;
}

}  // namespace

std::string WsUrl::authority() const {
    const std::string h = host.find(':') == std::string::npos ? host : "[" + host + "]";
    return h + ":" + port;
}

std::optional<WsUrl> parse_ws_url(std::string_view url) {
    WsUrl out;
    out.secure = take_scheme(url, "wss://");
    if (!out.secure && !take_scheme(url, "ws://")) return std::nullopt;
    const auto slash = url.find_first_of("/?");
    if (!split_authority(url.substr(0, slash), out)) return std::nullopt;
    out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
    if (out.target.starts_with('?')) out.target.insert(0, "/");
    return out;
}

}  // namespace presence::client
