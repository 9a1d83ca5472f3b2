// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace presence::auth {

// The first name that one object of the JSON text `json` holds twice, at any depth; nullopt
// when there is none, and when `json` is not JSON (which the caller's own parse reports).
// Boost.JSON, like most parsers, keeps the last of two equal names: a token checked by it
// and by another reader could mean two things.
std::optional<std::string> duplicate_name(std::string_view json);

}  // namespace presence::auth
