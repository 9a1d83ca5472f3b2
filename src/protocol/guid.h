// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace presence::protocol {

// A fresh random GUID in its usual 36-character form; session and acknowledgment ids.
std::string new_guid();

}  // namespace presence::protocol
