// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

#include "server/admin_api.h"
#include "server/web_assets.h"

namespace presence {

// The operator's console (web/console/): a static page under /admin that calls the admin
// API. It holds no secret, so it is served without the key, but only where the API is.

// The console's file for `path` ("/admin" and "/admin/" are its page), or nullptr.
const WebAsset* console_asset(std::string_view path);

// The console runs with the operator's key in its storage: no script but its own, no
// frame around it, no referrer sent.
void guard_console(HttpResponse& res);

}  // namespace presence
