// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace presence {

// Channel names a member may use: exact names, or prefixes ending in '*' ("team:*").
// "*" alone matches every channel, the empty one (every member) included; no other
// pattern matches the empty channel.
using ChannelPatterns = std::vector<std::string>;

bool matches(const ChannelPatterns& patterns, std::string_view channel);

// What a connection may do, fixed when it connects (by a signed token, or by the
// server's rules for anonymous members). The default grant restricts nothing.
struct Grant {
    bool restricted = false;            // false: every channel, any identity
    std::optional<std::string> id;      // fixed member id (the token's subject)
    std::optional<std::string> name;    // fixed member name
    std::optional<std::string> info;    // fixed member info
    std::optional<std::string> user;    // fixed user (the users extension)
    std::optional<std::string> namespace_guid;  // the only namespace it may reach; any without
    ChannelPatterns join;               // channels it may subscribe to and list
    ChannelPatterns publish;            // channels it may publish to
    // When the grant ends; the connection is closed then (1008).
    std::optional<std::chrono::system_clock::time_point> expires;

    bool may_join(std::string_view channel) const { return !restricted || matches(join, channel); }
    bool may_publish(std::string_view channel) const { return !restricted || matches(publish, channel); }
    bool may_enter(std::string_view guid) const { return !namespace_guid || *namespace_guid == guid; }
};

}  // namespace presence
