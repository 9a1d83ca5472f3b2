// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "presence/acknowledgment.h"

namespace presence {

/// The resume extension: a member whose connection was lost stays a member for `grace`,
/// and frames sent to it meanwhile are kept (up to both bounds) for its next connection.
struct ResumeOptions {
    std::chrono::milliseconds grace{10000};  ///< 0 = no resume
    std::size_t backlog_frames = 256;
    std::size_t backlog_bytes = 256 * 1024;
};

/// The rules of presence: limits on what members may send, Base64 and acknowledgment
/// of what the server sends. Requests over a limit are answered with error -32602.
struct PresenceOptions {
    std::size_t max_name_bytes = 256;      ///< member name
    std::size_t max_info_bytes = 4096;     ///< member info
    std::size_t max_channel_bytes = 256;   ///< channel name
    std::size_t max_invalid_frames = 16;   ///< in a row, before the connection is closed (1008)
    std::size_t max_pending_invitations = 64;  ///< per invitee; the oldest is forgotten first
    std::size_t max_id_bytes = 64;         ///< the id of a client's frame; longer: error -32602
    /// What the server may hold for one connection (frames waiting for acknowledgment, the ids
    /// of its requests, its resume backlog, its pending invitations, its counts-only
    /// channels), counted in bytes; over it the backlog and the invitations are trimmed
    /// first, then the connection is closed (1008). 0 = no limit.
    std::size_t max_connection_state_bytes = 4 * 1024 * 1024;
    // Each of the limits below: 0 = no limit (docs/security.md).
    /// Per connection, a token bucket refilled at this rate; over it: error 41.
    double max_requests_per_second = 200;
    std::size_t request_burst = 400;  ///< the bucket's size
    std::size_t max_channels_per_member = 100;    ///< per member; over it: error 42
    std::size_t max_invitations_per_minute = 60;  ///< per member, each invitee counts; over it: error 43
    std::size_t max_invitees = 50;  ///< per invitation; more: error -32602
    /// Per invitee, from every inviter; over it the invitation is not delivered.
    std::size_t max_invitations_received_per_minute = 60;
    /// Per connection, a token bucket for updates of the member's name and info
    /// (the member update extension); over it: error 45.
    double max_info_updates_per_second = 1;
    std::size_t info_update_burst = 5;  ///< the bucket's size
    /// Per channel, counting the members of every node; over it: error 44.
    std::size_t max_channel_members = 0;
    /// The diffs extension (docs/protocol.md): how long joins and leaves gather before a
    /// channel's diff goes out to the connections that asked for diffs or counts;
    /// 0 = the extension is off.
    std::chrono::milliseconds diff_interval{100};
    /// The users extension (docs/protocol.md): a user's last leave of a channel is told to
    /// the connections that asked for users only once this long has passed without the
    /// user coming back, so that a reloaded page is not seen leaving; 0 = told at once.
    std::chrono::milliseconds user_leave_grace{2000};
    std::size_t max_page_members = 1000;  ///< members in one page of a paged member list (docs/protocol.md)
    bool encode_base64 = false;            ///< Base64-encode every string the server sends
    AckOptions ack;                        ///< acknowledgment of what the server sends
    ResumeOptions resume;
};

/// Where presence state lives. "memory": in this process. "redis://HOST:PORT": shared by
/// every node that uses the same Redis and key prefix, so that members connected to
/// different nodes see one another as on one node.
struct EngineOptions {
    std::string url = "memory";
    std::string node_id;                  ///< empty: a new random id at every start
    std::string key_prefix = "presence:"; ///< of every Redis key and channel this deployment uses
    /// A node that has not renewed its liveness for this long is dead: another node removes
    /// its members and announces their departure.
    std::chrono::milliseconds node_timeout{5000};
};

/// WebSocket ping/pong, so that a peer that vanished without closing (cable pulled,
/// process frozen) is found and its departure announced within interval + timeout. Any
/// frame from the peer counts as a sign of life, a pong as much as a request. A peer found
/// gone is a lost connection, not a closed one: its member may resume (ResumeOptions).
struct HeartbeatOptions {
    std::chrono::milliseconds interval{15000};  ///< silence before a ping; 0 = no heartbeat
    /// Silence after the ping: the peer is gone. Above 0 when the interval is
    /// (Server::start throws std::invalid_argument otherwise).
    std::chrono::milliseconds timeout{10000};
};

/// Serves wss:// and https:// instead of ws:// and http:// on the same port: every
/// connection is TLS 1.2 or later. Both files are needed: Server::start throws
/// std::runtime_error naming a file it cannot use, or the only one given.
struct TlsOptions {
    std::string cert_file;  ///< PEM certificate chain
    std::string key_file;   ///< PEM private key
    /// The cipher suites TLS 1.2 may agree on, in OpenSSL's notation: by default ECDHE key
    /// exchange with AEAD ciphers only (forward secrecy, no CBC). TLS 1.3 keeps OpenSSL's
    /// suites, all of them AEAD. A list OpenSSL matches to no suite makes Server::start throw.
    std::string ciphers =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
    bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

/// Signed tokens (JWT) presented at connect: `?token=` in the URL or
/// `Authorization: Bearer`. On when a key is given.
struct AuthOptions {
    std::string hs256_secret;     ///< HS256
    std::string public_key_file;  ///< PEM public key: RSA for RS256, EC P-256 for ES256
    /// Without a valid token: false = refused (401); true = a member limited to the
    /// channels of `public_channels`.
    bool allow_anonymous = false;
    std::vector<std::string> public_channels;  ///< exact names, or prefixes ending in '*'
    bool enabled() const { return !hs256_secret.empty() || !public_key_file.empty(); }
};

/// The operator's HTTP side (docs/operations.md): /metrics in the Prometheus text format,
/// /healthz and /readyz, and the admin API under /api/.
struct AdminOptions {
    /// The admin API's key, presented as `Authorization: Bearer KEY`; empty = no admin API.
    std::string api_key;
    /// Where /metrics and the admin API are served: empty = on the main port, beside the
    /// WebSocket endpoint; "HOST:PORT" = on that address only (the probes stay on both).
    std::string address;
    bool metrics = true;  ///< serve /metrics
};

/// Webhooks: changes of presence (channel occupied and vacated, member added and removed)
/// POSTed as JSON to `url` in batches, signed with HMAC-SHA256 of `secret`
/// (docs/operations.md). Each node reports the changes made by its own members.
struct WebhookOptions {
    std::string url;     ///< http:// or https://; empty = no webhooks
    std::string secret;  ///< key of the signature header; required with `url`
    std::chrono::milliseconds batch_interval{250};  ///< how long events gather before a POST
    std::size_t max_batch_events = 100;             ///< events per POST
    std::size_t max_queue_events = 10000;           ///< waiting events; past it the oldest are dropped
    std::size_t max_attempts = 5;                   ///< per batch, after which it is dropped
    std::chrono::milliseconds retry_delay{500};     ///< before the first retry; doubles after each
    std::chrono::milliseconds max_retry_delay{30000};
    std::chrono::milliseconds timeout{5000};        ///< per attempt
    std::string ca_file;  ///< https: trust this PEM CA file instead of the system's
    bool enabled() const { return !url.empty(); }
};

/// Server hooks over HTTP (docs/operations.md): before each request of the kinds in
/// `events`, the server POSTs it as JSON to `url`, signed like the webhooks with `secret`,
/// and the application's answer allows or refuses it. A member's next requests wait for
/// the decision; other members never do.
struct HttpHookOptions {
    std::string url;     ///< http:// or https://; empty = no HTTP hooks
    std::string secret;  ///< key of the signature header; required with `url`
    /// The decisions asked for, comma-separated: join, subscribe, publish, get-members, invite.
    std::string events = "join,subscribe,publish,get-members,invite";
    std::chrono::milliseconds timeout{2000};  ///< per decision, from the request on
    std::size_t max_in_flight = 256;  ///< decisions waiting at once; past it a request fails at once
    std::size_t connections = 8;      ///< kept-alive connections to `url`
    /// When the application does not answer in time, cannot be reached, or answers no
    /// decision: false = the request is refused, true = it is allowed.
    bool allow_on_failure = false;
    std::string ca_file;  ///< https: trust this PEM CA file instead of the system's
    bool enabled() const { return !url.empty(); }
};

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;                       ///< 0 = any free port, see Server::port()
    std::size_t max_message_bytes = 64 * 1024;       ///< larger frames: close 1009
    std::size_t max_send_queue_bytes = 4 * 1024 * 1024;  ///< per connection; over it: close 1008
    /// Connections open at once, HTTP or WebSocket, checked when one is accepted: a
    /// connection counts from its accept to its end, and then for as long as a member lost
    /// with it may resume. Each 0 = no limit.
    std::size_t max_connections = 100000;             ///< over it: HTTP 503 "server full"
    std::size_t max_connections_per_address = 1000;   ///< per source IP; over it: HTTP 429
    /// A connection the server closes (a slow consumer, an expired token, a shutdown...)
    /// has this long to complete the closing handshake; then its socket is closed.
    std::chrono::milliseconds close_timeout{2000};
    /// An HTTP connection has this long to send a complete request, from its accept or from
    /// the previous answer: an idle keep-alive connection is closed after it.
    std::chrono::milliseconds http_timeout{10000};
    /// The largest HTTP request header, request line included: over it, HTTP 431 (414 when
    /// the request line alone is over it). Room for a token of 8 KiB in the URL or header.
    std::size_t max_header_bytes = 16 * 1024;
    HeartbeatOptions heartbeat;
    TlsOptions tls;
    AuthOptions auth;
    PresenceOptions presence;
    EngineOptions engine;
    AdminOptions admin;
    WebhookOptions webhooks;
    HttpHookOptions http_hooks;
};

}  // namespace presence
