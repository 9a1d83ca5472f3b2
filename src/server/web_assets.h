// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <span>
#include <string_view>

namespace presence {

// A file of web/, built into the server: the demo page and the browser client, or the
// operator's console.
struct WebAsset {
    std::string_view path;  // "/index.html", "/presence.js", "/admin/console.js", ...
    std::string_view content_type;
    std::string_view etag;  // quoted, from the file's content
    std::string_view body;
};

std::span<const WebAsset> web_assets();
// web/console/, under /admin/.
std::span<const WebAsset> console_assets();

}  // namespace presence
