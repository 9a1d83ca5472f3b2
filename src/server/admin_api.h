// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string_view>

#include "server/server_core.h"

namespace presence {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// The admin API under /api/ (docs/operations.md): JSON in and out, for requests that
// present the key of AdminOptions as `Authorization: Bearer KEY`. Answers into `res`, on
// the strand; the caller has checked that the API is served where the request came.
void answer_api(ServerCore& core, const HttpRequest& request, HttpResponse& res);

// An answer of the admin API that is an error: {"error": {"status": N, "message": "..."}}.
void api_error(HttpResponse& res, boost::beast::http::status status, std::string_view message);

// Whether `authorization` presents `key` as a bearer token. Takes the same time whatever
// the presented key, so that its answers tell nothing of the real one.
bool presents_key(std::string_view authorization, std::string_view key);

}  // namespace presence
