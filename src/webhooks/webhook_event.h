// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "presence/member.h"

namespace presence {

enum class WebhookEvent { channel_occupied, channel_vacated, member_added, member_removed };

std::string_view name_of(WebhookEvent event);

// One event as the JSON object of the body's "events": name, channel, namespace (the Guid,
// "" for the default one), member (member events only: id, name, info) and time_ms.
std::string webhook_event_json(WebhookEvent event, std::string_view guid, std::string_view channel,
                               const Member* member, std::int64_t time_ms);

// The body of one POST: {"id", "time_ms", "node", "events": [...]}, the events in the
// order given. `id` names the batch: a retry sends the same bytes.
std::string webhook_body(std::string_view id, std::int64_t time_ms, std::string_view node,
                         const std::vector<std::string>& events);

}  // namespace presence
