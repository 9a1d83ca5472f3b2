#pragma once

#include <string>
#include <string_view>

namespace presence {

struct ServerCore;

inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

// The server's metrics in the Prometheus text exposition format, version 0.0.4. No label
// names a member or a channel: the number of series is bounded by the configuration.
// Read on the strand, in one go, so the figures agree with one another.
std::string metrics_text(const ServerCore& core);

}  // namespace presence
