// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>

namespace presence {

/// One member as the protocol sees it: `id` is the connection's session id.
struct Member {
    std::string id;
    std::string name;
    std::string info;
    /// The user this connection belongs to (the users extension): the members of one user
    /// are listed together and announced once. Empty for a member on its own. (Initialized
    /// here so that `{id, name, info}` stays a complete initializer.)
    std::string user = {};

    bool operator==(const Member&) const = default;
};

/// A channel and how many members it has.
struct ChannelSummary {
    std::string name;
    std::size_t members = 0;

    bool operator==(const ChannelSummary&) const = default;
};

}  // namespace presence
