// SPDX-License-Identifier: Apache-2.0
#include "domain/grant.h"

#include <algorithm>

namespace presence {

bool matches(const ChannelPatterns& patterns, std::string_view channel) {
    return std::any_of(patterns.begin(), patterns.end(), [channel](std::string_view pattern) {
        if (pattern == "*") return true;
        if (channel.empty()) return false;
        if (pattern.ends_with('*')) return channel.starts_with(pattern.substr(0, pattern.size() - 1));
        return channel == pattern;
    });
}

}  // namespace presence
