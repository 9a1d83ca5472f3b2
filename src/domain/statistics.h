// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "domain/limits_hit.h"
#include "presence/error_codes.h"

namespace presence {

// Error frames answered, by code, since the start.
class ErrorsAnswered {
public:
    static constexpr std::array codes{
        ErrorCode::member_already_exists, ErrorCode::new_member_denied, ErrorCode::member_not_exists,
        ErrorCode::channel_not_exists, ErrorCode::new_channel_denied, ErrorCode::subscription_denied,
        ErrorCode::subscription_already_exists, ErrorCode::subscription_not_exists, ErrorCode::publish_denied,
        ErrorCode::send_members_denied, ErrorCode::invitation_denied, ErrorCode::too_many_requests,
        ErrorCode::too_many_channels, ErrorCode::too_many_invitations, ErrorCode::channel_full,
        ErrorCode::too_many_updates, ErrorCode::parse_error, ErrorCode::invalid_request,
        ErrorCode::method_not_found, ErrorCode::invalid_params};

    void count(ErrorCode code) {
        for (std::size_t i = 0; i < codes.size(); ++i)
            if (codes[i] == code) ++counts_[i];
    }
    // The count of codes[i].
    std::uint64_t at(std::size_t i) const { return counts_[i]; }
    ErrorsAnswered& operator+=(const ErrorsAnswered& more) {
        for (std::size_t i = 0; i < codes.size(); ++i) counts_[i] += more.counts_[i];
        return *this;
    }

private:
    std::array<std::uint64_t, codes.size()> counts_{};
};

// What this node's members did, since the start: for operators (the admin API).
struct Activity {
    std::uint64_t joins = 0;
    std::uint64_t leaves = 0;     // whatever the reason: leave, close, loss, expiry
    std::uint64_t publishes = 0;  // the application's broadcasts included
    bool operator==(const Activity&) const = default;
    Activity& operator+=(const Activity& more) {
        joins += more.joins;
        leaves += more.leaves;
        publishes += more.publishes;
        return *this;
    }
};

// Everything the domain counts for operators; each component adds to its own part.
struct Statistics {
    LimitsHit limits_hit;
    ErrorsAnswered errors_answered;
    Activity activity;
    std::uint64_t ack_resends = 0;  // frames re-sent for want of an acknowledgment
    std::uint64_t ack_drops = 0;    // frames dropped after the last retry
};

}  // namespace presence
