#include "client/ws_url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace presence::client {
namespace {

constexpr std::string_view scheme = "ws://";

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
    out.port = port.empty() ? "80" : std::string(port);
    return !out.host.empty() && valid_port(out.port);
}

bool starts_with_scheme(std::string_view url) {
    if (url.size() < scheme.size()) return false;
    return std::equal(scheme.begin(), scheme.end(), url.begin(),
                      [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}

}  // namespace

std::string WsUrl::authority() const {
    const std::string h = host.find(':') == std::string::npos ? host : "[" + host + "]";
    return h + ":" + port;
}

std::optional<WsUrl> parse_ws_url(std::string_view url) {
    if (!starts_with_scheme(url)) return std::nullopt;
    url.remove_prefix(scheme.size());
    const auto slash = url.find_first_of("/?");
    WsUrl out;
    if (!split_authority(url.substr(0, slash), out)) return std::nullopt;
    out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
    if (out.target.starts_with('?')) out.target.insert(0, "/");
    return out;
}

}  // namespace presence::client
