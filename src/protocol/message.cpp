// SPDX-License-Identifier: Apache-2.0
#include "protocol/message.h"

#include <array>
#include <utility>

namespace presence::protocol {
namespace {

constexpr std::array<std::pair<Method, std::string_view>, 27> method_names{{
    {Method::session, "sgc@presence@session"},
    {Method::member_new, "sgc@presence@member@new"},
    {Method::member_remove, "sgc@presence@member@remove"},
    {Method::channel_member_new, "sgc@presence@channel@member@new"},
    {Method::channel_member_remove, "sgc@presence@channel@member@remove"},
    {Method::publish_msg, "sgc@presence@publish@msg"},
    {Method::get_members, "sgc@presence@get@members"},
    {Method::send_members, "sgc@presence@send@members"},
    {Method::channel_invitation, "sgc@presence@channel@invitation"},
    {Method::error_member_channel, "sgc@presence@error@member@channel"},
    {Method::error_publish_msg, "sgc@presence@error@publish@msg"},
    {Method::acknowledgment, "sgc@presence@acknowledgment"},
    {Method::hello, "ext@presence@hello"},
    {Method::invitation_response, "ext@presence@channel@invitation@response"},
    {Method::resume, "ext@presence@resume"},
    {Method::resume_token, "ext@presence@resume@token"},
    {Method::ping, "ext@presence@ping"},
    {Method::pong, "ext@presence@pong"},
    {Method::get_members_page, "ext@presence@get@members@page"},
    {Method::members_page, "ext@presence@members@page"},
    {Method::get_count, "ext@presence@get@count"},
    {Method::count, "ext@presence@count"},
    {Method::channel_counts, "ext@presence@channel@counts"},
    {Method::diff, "ext@presence@diff"},
    {Method::get_users, "ext@presence@get@users"},
    {Method::users, "ext@presence@users"},
    {Method::update_member, "ext@presence@member@update"},
}};

}  // namespace

std::string_view method_name(Method method) {
    for (const auto& [m, name] : method_names)
        if (m == method) return name;
    return {};
}

std::optional<Method> method_from_name(std::string_view name) {
    for (const auto& [m, n] : method_names)
        if (n == name) return m;
    return std::nullopt;
}

Error make_error(ErrorCode code) {
    return Error{static_cast<int>(code), std::string(error_text(code))};
}

}  // namespace presence::protocol

namespace presence {

std::string_view error_text(ErrorCode code) {
    switch (code) {
    case ErrorCode::member_already_exists: return "Member already exists.";
    case ErrorCode::new_member_denied: return "Create New Member request has been denied.";
    case ErrorCode::member_not_exists: return "Member not exists.";
    case ErrorCode::channel_not_exists: return "Channel not exists";
    case ErrorCode::new_channel_denied: return "Create New Channel request has been denied.";
    case ErrorCode::subscription_denied: return "Create Subscription request has been denied.";
    case ErrorCode::subscription_already_exists: return "Subscription already exists.";
    case ErrorCode::subscription_not_exists: return "Subscription not exists.";
    case ErrorCode::publish_denied: return "Publish Message request has been denied.";
    case ErrorCode::send_members_denied: return "Send Members request has been denied.";
    case ErrorCode::invitation_denied: return "Invitation request has been denied.";
    case ErrorCode::too_many_requests: return "Too many requests: over the rate limit.";
    case ErrorCode::too_many_channels: return "Too many channels for one member.";
    case ErrorCode::too_many_invitations: return "Too many invitations: over the rate limit.";
    case ErrorCode::channel_full: return "The channel is full.";
    case ErrorCode::too_many_updates: return "Too many member updates: over the rate limit.";
    case ErrorCode::parse_error: return "Parse error.";
    case ErrorCode::invalid_request: return "Invalid request.";
    case ErrorCode::method_not_found: return "Method not found.";
    case ErrorCode::invalid_params: return "Invalid params.";
    }
    return "Unknown error.";
}

}  // namespace presence
