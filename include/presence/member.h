#pragma once

#include <cstddef>
#include <string>

namespace presence {

/// One member as the protocol sees it: `id` is the connection's session id.
struct Member {
    std::string id;
    std::string name;
    std::string info;

    bool operator==(const Member&) const = default;
};

/// A channel and how many members it has.
struct ChannelSummary {
    std::string name;
    std::size_t members = 0;

    bool operator==(const ChannelSummary&) const = default;
};

}  // namespace presence
