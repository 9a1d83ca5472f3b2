// SPDX-License-Identifier: Apache-2.0
#include "webhooks/webhook_url.h"

#include <regex>
#include <stdexcept>

namespace presence {

WebhookUrl parse_webhook_url(const std::string& url, const std::string& option) {
    // The path may carry a query; a fragment never reaches a server, a user part would be
    // a credential sent in the clear.
    static const std::regex form(
        R"re((https?)://([A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?(/[!-"$-~]*)?)re");
    std::smatch m;
    if (!std::regex_match(url, m, form))
        throw std::invalid_argument(option + " must be http(s)://HOST[:PORT][/PATH], not: " + url);
    WebhookUrl out;
    out.tls = m[1] == "https";
    const std::string host = m[2];
    out.host = host.front() == '[' ? host.substr(1, host.size() - 2) : host;
    out.host_header = host;
    out.port = out.tls ? "443" : "80";
    if (m[3].matched) {
        const unsigned long port = std::stoul(m[3]);
        if (port == 0 || port > 65535) throw std::invalid_argument(option + " has a bad port: " + url);
        out.port = std::to_string(port);
        out.host_header += ":" + out.port;
    }
    out.target = m[4].matched ? std::string(m[4]) : "/";
    return out;
}

}  // namespace presence
