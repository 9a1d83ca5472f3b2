// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

namespace presence {

// What was refused or cut short because a limit was reached, since the start.
struct LimitsHit {
    std::uint64_t requests = 0;     // over the request rate
    std::uint64_t channels = 0;     // a member in too many channels
    std::uint64_t invitations = 0;  // over the invitation rate
    std::uint64_t channel_full = 0;
    std::uint64_t updates = 0;      // over the member update rate
    std::uint64_t invitations_received = 0;  // not delivered: the invitee was sent too many
    std::uint64_t state_budget = 0;  // connections closed for holding too much
    bool operator==(const LimitsHit&) const = default;
    LimitsHit& operator+=(const LimitsHit& more) {
        requests += more.requests;
        channels += more.channels;
        invitations += more.invitations;
        channel_full += more.channel_full;
        updates += more.updates;
        invitations_received += more.invitations_received;
        state_budget += more.state_budget;
        return *this;
    }
};

}  // namespace presence
