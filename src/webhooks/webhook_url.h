// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace presence {

// Where the webhooks go, from `WebhookOptions::url`: http(s)://host[:port][/path].
struct WebhookUrl {
    bool tls = false;         // https
    std::string host;         // a name or an address; an IPv6 address without its brackets
    std::string port;         // the one given, or 80 / 443
    std::string host_header;  // the Host header: host[:port] as written in the URL
    std::string target;       // the path (and query), "/" when none
};

// Throws std::invalid_argument naming `option` for anything else.
WebhookUrl parse_webhook_url(const std::string& url, const std::string& option = "webhooks.url");

}  // namespace presence
