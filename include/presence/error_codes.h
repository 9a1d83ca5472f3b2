// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

namespace presence {

/// Error codes carried in `error.code`. 1..30 are those of sgcWebSockets Presence,
/// with the same texts; 40 to 45 and the negative JSON-RPC codes are ours.
enum class ErrorCode : int {
    member_already_exists = 1,
    new_member_denied = 2,
    member_not_exists = 3,
    channel_not_exists = 5,
    new_channel_denied = 6,
    subscription_denied = 10,
    subscription_already_exists = 11,
    subscription_not_exists = 12,
    publish_denied = 20,
    send_members_denied = 30,
    invitation_denied = 40,
    too_many_requests = 41,
    too_many_channels = 42,
    too_many_invitations = 43,
    channel_full = 44,
    too_many_updates = 45,
    parse_error = -32700,
    invalid_request = -32600,
    method_not_found = -32601,
    invalid_params = -32602,
};

std::string_view error_text(ErrorCode code);

}  // namespace presence
