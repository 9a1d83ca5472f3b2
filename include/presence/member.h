#pragma once

#include <string>

namespace presence {

// One member as the protocol sees it: `id` is the connection's session id.
struct Member {
    std::string id;
    std::string name;
    std::string info;

    bool operator==(const Member&) const = default;
};

}  // namespace presence
