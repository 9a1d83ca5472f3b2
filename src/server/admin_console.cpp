// SPDX-License-Identifier: Apache-2.0
#include "server/admin_console.h"

#include <boost/beast/http/field.hpp>

namespace presence {
namespace http = boost::beast::http;

const WebAsset* console_asset(std::string_view path) {
    if (path == "/admin" || path == "/admin/") path = "/admin/index.html";
    for (const WebAsset& asset : console_assets())
        if (asset.path == path) return &asset;
    return nullptr;
}

// form-action 'none': the key form is the script's to handle; without the script, the
// browser must not submit it (and put the key in a URL).
void guard_console(HttpResponse& res) {
    res.set("Content-Security-Policy",
            "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    res.set(http::field::x_frame_options, "DENY");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
}

}  // namespace presence
