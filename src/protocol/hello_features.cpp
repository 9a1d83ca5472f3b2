// SPDX-License-Identifier: Apache-2.0
#include "protocol/hello_features.h"

#include <algorithm>

#include "protocol/text.h"

namespace presence::protocol {
namespace {

bool contains(const auto& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

void append(std::string& list, std::string_view name) {
    if (!list.empty()) list += ',';
    list += name;
}

}  // namespace

std::string hello_answer(std::string_view asked, std::span<const std::string_view> turned_off) {
    const std::vector<std::string_view> named = split_list(asked);
    std::string list;
    for (const HelloFeature& feature : hello_features) {
        if (feature.can_be_off && contains(turned_off, feature.name)) continue;
        if (feature.offered == Offered::when_named && !contains(named, feature.name)) continue;
        append(list, feature.name);
    }
    return list;
}

std::string hello_request(const std::function<bool(std::string_view)>& option_on) {
    std::string list;
    for (const HelloFeature& feature : hello_features) {
        if (feature.asked == Asked::always || (feature.asked == Asked::by_option && option_on(feature.name)))
            append(list, feature.name);
    }
    return list;
}

}  // namespace presence::protocol
