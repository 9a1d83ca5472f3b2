// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>

namespace presence {

/// Acknowledgment as in sgcWebSockets: with `enabled`, each outgoing message carries an
/// id and is re-sent, same bytes, until the peer acknowledges it.
struct AckOptions {
    bool enabled = false;
    std::chrono::milliseconds interval{300'000};  ///< how often due messages are re-sent
    std::chrono::milliseconds timeout{240'000};   ///< age after which a message is due
    std::size_t max_retries = 5;                  ///< re-sends before giving up; 0 = no limit
};

}  // namespace presence
