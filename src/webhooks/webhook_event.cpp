// SPDX-License-Identifier: Apache-2.0
#include "webhooks/webhook_event.h"

#include <boost/json.hpp>

#include "protocol/codec.h"

namespace presence {

std::string_view name_of(WebhookEvent event) {
    switch (event) {
    case WebhookEvent::channel_occupied: return "channel_occupied";
    case WebhookEvent::channel_vacated: return "channel_vacated";
    case WebhookEvent::member_added: return "member_added";
    case WebhookEvent::member_removed: return "member_removed";
    }
    return {};
}

std::string webhook_event_json(WebhookEvent event, std::string_view guid, std::string_view channel,
                               const Member* member, std::int64_t time_ms) {
    boost::json::object out{{"name", name_of(event)}, {"channel", channel}, {"namespace", guid}};
    if (member) out["member"] = protocol::member_object(*member);
    out["time_ms"] = time_ms;
    return boost::json::serialize(out);
}

std::string webhook_body(std::string_view id, std::int64_t time_ms, std::string_view node,
                         const std::vector<std::string>& events) {
    std::string out = "{\"id\":" + boost::json::serialize(boost::json::string_view(id)) +
                      ",\"time_ms\":" + std::to_string(time_ms) +
                      ",\"node\":" + boost::json::serialize(boost::json::string_view(node)) + ",\"events\":[";
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (i != 0) out += ',';
        out += events[i];
    }
    out += "]}";
    return out;
}

}  // namespace presence
