// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "metrics/latency_histogram.h"

namespace presence {

class ServerCore;

inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

// What became of a TCP connection a listener accepted.
enum class ConnectionOutcome {
    websocket,   // upgraded to a WebSocket session
    refused,     // its upgrade refused: a connection limit, or no valid token
    tls_failed,  // its TLS handshake failed
    http,        // ended without an upgrade: plain HTTP requests, or none
};

// What the server measures for /metrics beyond its counts of traffic. Used on the strand.
struct Measures {
    std::array<std::uint64_t, 4> outcomes{};  // by ConnectionOutcome
    // From a frame's making for a publish to the end of its write to each recipient.
    LatencyHistogram publish_to_write;

    void count(ConnectionOutcome outcome) { ++outcomes[static_cast<std::size_t>(outcome)]; }
};

// The server's metrics in the Prometheus text exposition format, version 0.0.4. No label
// names a member or a channel: the number of series is bounded by the configuration.
// Read on the strand, in one go, so the figures agree with one another.
std::string metrics_text(const ServerCore& core);

}  // namespace presence
