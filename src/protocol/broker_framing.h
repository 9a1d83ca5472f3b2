// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace presence::protocol {

// The sgcWebSockets Broker multiplexes endpoints over one WebSocket: each message is the
// endpoint id's length in three decimal digits, the id, then the endpoint's own frame.
// A presence endpoint's id is "<Guid>.presence.esegece.com", or "presence.esegece.com"
// for an empty Guid.
inline constexpr std::string_view presence_endpoint = "presence.esegece.com";
inline constexpr std::string_view broker_subprotocol = "broker.esegece.com";

// A namespace's Guid: 1 to 100 bytes of printable ASCII, no spaces.
bool valid_guid(std::string_view guid);
std::string endpoint_id(std::string_view guid);
// What goes in front of every frame of `guid` on a broker connection.
std::string broker_prefix(std::string_view guid);

// One broker message taken apart. `error` is empty when it is well formed; the views point
// into the message.
struct BrokerFrame {
    std::string_view id;
    std::string_view payload;
    std::string_view error;
};
BrokerFrame split_broker_frame(std::string_view message);

// The Guid an endpoint id names, or false when it names no presence endpoint.
bool guid_of(std::string_view id, std::string_view& guid);

}  // namespace presence::protocol
