// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

namespace presence {

/// The project version, the same as CMake's project version.
std::string_view version();

}  // namespace presence
