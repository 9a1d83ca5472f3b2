#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "presence/acknowledgment.h"

namespace presence {

// The rules of presence: limits on what members may send, Base64 and acknowledgment
// of what the server sends. Requests over a limit are answered with error -32602.
struct PresenceOptions {
    std::size_t max_name_bytes = 256;      // member name
    std::size_t max_info_bytes = 4096;     // member info
    std::size_t max_channel_bytes = 256;   // channel name
    std::size_t max_invalid_frames = 16;   // in a row, before the connection is closed (1008)
    std::size_t max_pending_invitations = 64;  // per invitee; the oldest is forgotten first
    bool encode_base64 = false;            // Base64-encode every string the server sends
    AckOptions ack;                        // acknowledgment of what the server sends
};

// Where presence state lives. "memory": in this process. "redis://HOST:PORT": shared by
// every node that uses the same Redis and key prefix, so that members connected to
// different nodes see one another as on one node.
struct EngineOptions {
    std::string url = "memory";
    std::string node_id;                  // empty: a new random id at every start
    std::string key_prefix = "presence:"; // of every Redis key and channel this deployment uses
    // A node that has not renewed its liveness for this long is dead: another node removes
    // its members and announces their departure.
    std::chrono::milliseconds node_timeout{5000};
};

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;                       // 0 = any free port, see Server::port()
    std::size_t max_message_bytes = 64 * 1024;       // larger frames: close 1009
    std::size_t max_send_queue_bytes = 4 * 1024 * 1024;  // per connection; over it: close 1008
    PresenceOptions presence;
    EngineOptions engine;
};

}  // namespace presence
