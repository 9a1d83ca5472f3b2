// SPDX-License-Identifier: Apache-2.0
// presence-server: the standalone server. Options in (flags, environment, configuration
// file: tools/configuration.h), Server out, its log on stderr (tools/log_lines.h).
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <iostream>
#include <string>
#include <sys/resource.h>
#include <vector>

#include "presence/server.h"
#include "protocol/text.h"
#include "tools/command_line.h"
#include "tools/configuration.h"
#include "tools/log_lines.h"
#include "tools/option_values.h"
#include "tools/systemd_notify.h"

namespace po = boost::program_options;
using presence::LogLevel;
using presence::tools::Log;
using presence::tools::logging_hooks;
using presence::tools::one_of;
using presence::tools::seconds;
using presence::tools::up_to;

namespace {

// Each connection is a file: the soft limit (often 1024) would cap the connections far
// below --max-connections, so it is raised to the hard limit the operator allows.
void raise_file_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
}

// Longer, a member would wait minutes to see who came, with every change held meanwhile;
// and an interval given in milliseconds by mistake (100 for 0.1) is refused.
constexpr double max_diff_interval = 60;

double seconds_of(std::chrono::milliseconds d) { return std::chrono::duration<double>(d).count(); }

struct ServerDurations {
    double ack_interval = 300;
    double ack_timeout = 240;
    double node_timeout = 5;
    double resume_grace = 10;
    double diff_interval = seconds_of(presence::PresenceOptions{}.diff_interval);
    double user_leave_grace = seconds_of(presence::PresenceOptions{}.user_leave_grace);
    double heartbeat_interval = seconds_of(presence::HeartbeatOptions{}.interval);
    double heartbeat_timeout = seconds_of(presence::HeartbeatOptions{}.timeout);
    double close_timeout = seconds_of(presence::ServerOptions{}.close_timeout);
    double http_timeout = seconds_of(presence::ServerOptions{}.http_timeout);
    double webhook_batch_interval = seconds_of(presence::WebhookOptions{}.batch_interval);
    double webhook_retry_delay = seconds_of(presence::WebhookOptions{}.retry_delay);
    double webhook_max_retry_delay = seconds_of(presence::WebhookOptions{}.max_retry_delay);
    double webhook_timeout = seconds_of(presence::WebhookOptions{}.timeout);
    double hook_timeout = seconds_of(presence::HttpHookOptions{}.timeout);
};

// Options that need more than a field to land in.
struct Extras {
    ServerDurations durations;
    std::string public_channels;  // comma-separated
    std::vector<std::string> namespaces;  // Guids
    std::string log_level = "info";
    std::string log_format = "text";
    std::string hook_failure = "deny";
};

void apply(const Extras& x, presence::ServerOptions& options) {
    const ServerDurations& t = x.durations;
    options.presence.ack.interval = seconds(t.ack_interval);
    options.presence.ack.timeout = seconds(t.ack_timeout);
    options.engine.node_timeout = seconds(t.node_timeout);
    options.presence.resume.grace = seconds(t.resume_grace);
    options.presence.diff_interval = seconds(t.diff_interval);
    options.presence.user_leave_grace = seconds(t.user_leave_grace);
    options.heartbeat.interval = seconds(t.heartbeat_interval);
    options.heartbeat.timeout = seconds(t.heartbeat_timeout);
    options.close_timeout = seconds(t.close_timeout);
    options.http_timeout = seconds(t.http_timeout);
    options.webhooks.batch_interval = seconds(t.webhook_batch_interval);
    options.webhooks.retry_delay = seconds(t.webhook_retry_delay);
    options.webhooks.max_retry_delay = seconds(t.webhook_max_retry_delay);
    options.webhooks.timeout = seconds(t.webhook_timeout);
    options.http_hooks.timeout = seconds(t.hook_timeout);
    options.http_hooks.allow_on_failure = x.hook_failure == "allow";
    for (const std::string_view channel : presence::protocol::split_list(x.public_channels))
        options.auth.public_channels.emplace_back(channel);
}

po::options_description describe(presence::ServerOptions& o, Extras& x) {
    ServerDurations& t = x.durations;
    presence::PresenceOptions& p = o.presence;
    presence::AuthOptions& a = o.auth;
    presence::EngineOptions& e = o.engine;
    presence::AdminOptions& admin = o.admin;
    presence::WebhookOptions& w = o.webhooks;
    presence::HttpHookOptions& hook = o.http_hooks;
    po::options_description d("presence-server options");
    d.add_options()
        ("help,h", "show this help and exit")
        ("version", "show the version and exit")
        ("config", po::value<std::string>(),
         "TOML file of options, each under its flag's name (flags and PRESENCE_* variables take precedence)")
        ("print-config", po::bool_switch(), "print the configuration in effect, as a file for --config, and exit")
        ("host", po::value(&o.host)->default_value(o.host), "address to listen on")
        ("port", po::value(&o.port)->default_value(o.port), "port to listen on (0 = any free port)")
        ("max-message-bytes", po::value(&o.max_message_bytes)->default_value(o.max_message_bytes),
         "largest frame accepted from a client; larger ones are closed with 1009")
        ("max-send-queue-bytes", po::value(&o.max_send_queue_bytes)->default_value(o.max_send_queue_bytes),
         "bytes queued for one client before it is closed as too slow (1008)")
        ("max-connections", po::value(&o.max_connections)->default_value(o.max_connections),
         "connections at once, HTTP or WebSocket, counted from their accept (0 = no limit); over it, HTTP 503")
        ("max-connections-per-address",
         po::value(&o.max_connections_per_address)->default_value(o.max_connections_per_address),
         "connections at once from one IP address, lost members that may resume included (0 = no limit); "
         "over it, HTTP 429")
        ("close-timeout", po::value(&t.close_timeout)->default_value(t.close_timeout),
         "seconds a connection the server closes has to complete the closing handshake before its socket is closed")
        ("http-timeout", po::value(&t.http_timeout)->default_value(t.http_timeout),
         "seconds an HTTP connection has to send a complete request, from its accept or the previous answer")
        ("max-header-bytes", po::value(&o.max_header_bytes)->default_value(o.max_header_bytes),
         "largest HTTP request header; over it, HTTP 431 (414 for the request line alone)")
        ("heartbeat-interval", po::value(&t.heartbeat_interval)->default_value(t.heartbeat_interval),
         "seconds of silence from a client before it is pinged (0 = no heartbeat)")
        ("heartbeat-timeout", po::value(&t.heartbeat_timeout)->default_value(t.heartbeat_timeout),
         "seconds without an answer to that ping before the client is lost and its departure announced")
        ("tls-cert", po::value(&o.tls.cert_file),
         "PEM certificate chain: serve wss:// and https:// instead of ws:// and http:// (with --tls-key)")
        ("tls-key", po::value(&o.tls.key_file), "PEM private key of that certificate")
        ("tls-ciphers", po::value(&o.tls.ciphers)->default_value(o.tls.ciphers),
         "cipher suites TLS 1.2 may use, in OpenSSL's notation (TLS 1.3 keeps OpenSSL's, all AEAD)")
        ("max-name-bytes", po::value(&p.max_name_bytes)->default_value(p.max_name_bytes), "longest member name")
        ("max-info-bytes", po::value(&p.max_info_bytes)->default_value(p.max_info_bytes), "longest member info")
        ("max-channel-bytes", po::value(&p.max_channel_bytes)->default_value(p.max_channel_bytes),
         "longest channel name")
        ("max-invalid-frames", po::value(&p.max_invalid_frames)->default_value(p.max_invalid_frames),
         "invalid frames in a row before a client is closed with 1008")
        ("max-requests-per-second", po::value(&p.max_requests_per_second)->default_value(p.max_requests_per_second),
         "requests one connection may send per second on average (0 = no limit); over it: error 41")
        ("request-burst", po::value(&p.request_burst)->default_value(p.request_burst),
         "requests one connection may send at once above that rate")
        ("max-channels-per-member", po::value(&p.max_channels_per_member)->default_value(p.max_channels_per_member),
         "channels one member may be in (0 = no limit); over it: error 42")
        ("max-invitations-per-minute",
         po::value(&p.max_invitations_per_minute)->default_value(p.max_invitations_per_minute),
         "invitations one member may send per minute (0 = no limit); over it: error 43")
        ("max-info-updates-per-second",
         po::value(&p.max_info_updates_per_second)->default_value(p.max_info_updates_per_second),
         "updates of its name and info one member may send per second on average (0 = no limit); "
         "over it: error 45")
        ("info-update-burst", po::value(&p.info_update_burst)->default_value(p.info_update_burst),
         "updates of its name and info one member may send at once above that rate")
        ("max-pending-invitations",
         po::value(&p.max_pending_invitations)->default_value(p.max_pending_invitations),
         "invitations one member may have pending; the oldest is forgotten first")
        ("max-invitees", po::value(&p.max_invitees)->default_value(p.max_invitees),
         "invitees one invitation may name (0 = no limit); more: error -32602")
        ("max-invitations-received-per-minute",
         po::value(&p.max_invitations_received_per_minute)->default_value(p.max_invitations_received_per_minute),
         "invitations one member may be sent per minute, from every inviter (0 = no limit); over it they "
         "are not delivered")
        ("max-id-bytes", po::value(&p.max_id_bytes)->default_value(p.max_id_bytes),
         "longest id of a client's frame; longer: error -32602")
        ("max-connection-state-bytes",
         po::value(&p.max_connection_state_bytes)->default_value(p.max_connection_state_bytes),
         "bytes held for one connection: frames it has not acknowledged, the ids of its requests, its resume "
         "backlog, its pending invitations, its counts-only channels (0 = no limit); over it the connection is "
         "closed with 1008")
        ("max-channel-members", po::value(&p.max_channel_members)->default_value(p.max_channel_members),
         "members one channel may hold, over every node (0 = no limit); over it: error 44")
        ("ack", po::bool_switch(&p.ack.enabled), "acknowledgment: re-send what clients do not acknowledge")
        ("ack-interval", po::value(&t.ack_interval)->default_value(t.ack_interval), "seconds between re-send rounds")
        ("ack-timeout", po::value(&t.ack_timeout)->default_value(t.ack_timeout),
         "seconds without acknowledgment before a message is re-sent")
        ("ack-retries", po::value(&p.ack.max_retries)->default_value(p.ack.max_retries),
         "re-sends before a message is dropped (0 = no limit)")
        ("base64", po::bool_switch(&p.encode_base64), "Base64-encode every string the server sends")
        ("resume-grace", po::value(&t.resume_grace)->default_value(t.resume_grace),
         "seconds a member whose connection was lost may resume it (0 = no resume)")
        ("resume-backlog-frames", po::value(&p.resume.backlog_frames)->default_value(p.resume.backlog_frames),
         "frames kept per resumable connection for a resume to send again")
        ("resume-backlog-bytes", po::value(&p.resume.backlog_bytes)->default_value(p.resume.backlog_bytes),
         "bytes kept per resumable connection for a resume to send again")
        ("diff-interval", up_to(&t.diff_interval, max_diff_interval)->default_value(t.diff_interval),
         "seconds joins and leaves gather before a channel's diff goes to the clients that asked for diffs "
         "(0 = no diffs extension; at most 60)")
        ("user-leave-grace", po::value(&t.user_leave_grace)->default_value(t.user_leave_grace),
         "seconds a user's last leave of a channel waits for the user to come back before the clients "
         "that asked for users are told (0 = told at once)")
        ("max-page-members", po::value(&p.max_page_members)->default_value(p.max_page_members),
         "members in one page of ext@presence@get@members@page")
        ("engine", po::value(&e.url)->default_value(e.url),
         "where presence state lives: memory, or redis://HOST[:PORT] shared by several nodes")
        ("node-id", po::value(&e.node_id), "this node's name among the nodes sharing Redis (default: random)")
        ("redis-prefix", po::value(&e.key_prefix)->default_value(e.key_prefix),
         "prefix of every Redis key and channel, so that deployments can share one Redis")
        ("node-timeout", po::value(&t.node_timeout)->default_value(t.node_timeout),
         "seconds after which a silent node is dead and its members are removed")
        ("auth-hs256-secret", po::value(&a.hs256_secret),
         "require signed tokens (JWT), HS256 with this secret (best given as PRESENCE_AUTH_HS256_SECRET)")
        ("auth-public-key", po::value(&a.public_key_file),
         "require signed tokens (JWT), RS256 or ES256 with this PEM public key")
        ("auth-allow-anonymous", po::bool_switch(&a.allow_anonymous),
         "with tokens required: a client without a token may still join, in the public channels only")
        ("auth-public-channels", po::value(&x.public_channels),
         "comma-separated channels anonymous members may use: names, or prefixes ending in *")
        ("namespace", po::value(&x.namespaces)->composing(),
         "a namespace with this Guid besides the default one, with the presence options above; repeat for more")
        ("admin-api-key", po::value(&admin.api_key),
         "serve the admin API under /api/, to requests with Authorization: Bearer KEY")
        ("admin-address", po::value(&admin.address),
         "HOST:PORT where /metrics and the admin API are served instead of the main port")
        ("metrics", po::value(&admin.metrics)->default_value(admin.metrics), "serve /metrics (true or false)")
        ("webhook-url", po::value(&w.url), "POST changes of presence to this http:// or https:// URL")
        ("webhook-secret", po::value(&w.secret), "key of the webhook signature (HMAC-SHA256); required with --webhook-url")
        ("webhook-batch-interval", po::value(&t.webhook_batch_interval)->default_value(t.webhook_batch_interval),
         "seconds events gather before a POST")
        ("webhook-max-batch-events", po::value(&w.max_batch_events)->default_value(w.max_batch_events),
         "events per POST")
        ("webhook-max-queue-events", po::value(&w.max_queue_events)->default_value(w.max_queue_events),
         "events waiting to be sent; past it the oldest are dropped")
        ("webhook-max-attempts", po::value(&w.max_attempts)->default_value(w.max_attempts),
         "attempts per batch before it is dropped")
        ("webhook-retry-delay", po::value(&t.webhook_retry_delay)->default_value(t.webhook_retry_delay),
         "seconds before the first retry; doubled after each")
        ("webhook-max-retry-delay", po::value(&t.webhook_max_retry_delay)->default_value(t.webhook_max_retry_delay),
         "longest wait between two attempts, in seconds")
        ("webhook-timeout", po::value(&t.webhook_timeout)->default_value(t.webhook_timeout),
         "seconds one attempt may take")
        ("webhook-ca-file", po::value(&w.ca_file), "https webhooks: trust this PEM CA file instead of the system's")
        ("hook-url", po::value(&hook.url),
         "ask this http:// or https:// URL to allow or refuse each request of the --hook-events")
        ("hook-secret", po::value(&hook.secret), "key of the hook signature (HMAC-SHA256); required with --hook-url")
        ("hook-events", po::value(&hook.events)->default_value(hook.events),
         "comma-separated requests the hook decides: join, subscribe, publish, get-members, invite")
        ("hook-timeout", po::value(&t.hook_timeout)->default_value(t.hook_timeout),
         "seconds one decision may take, waiting for a connection included; then --hook-failure decides")
        ("hook-max-in-flight", po::value(&hook.max_in_flight)->default_value(hook.max_in_flight),
         "decisions waiting at once; past it a request gets --hook-failure's decision at once")
        ("hook-connections", po::value(&hook.connections)->default_value(hook.connections),
         "kept-alive connections to the hook, each carrying one request at a time")
        ("hook-failure", one_of(&x.hook_failure, {"deny", "allow"})->default_value(x.hook_failure),
         "what a request gets when the hook is down, slow, overloaded or answers no decision: deny or allow")
        ("hook-ca-file", po::value(&hook.ca_file), "https hook: trust this PEM CA file instead of the system's")
        ("log-level", one_of(&x.log_level, presence::tools::log_level_names)->default_value(x.log_level),
         "least urgent log entries written to stderr: error, warning, info, or debug (every connection)")
        ("log-format", one_of(&x.log_format, presence::tools::log_format_names)->default_value(x.log_format),
         "log entries as text lines or as JSON objects, one per line");
    return d;
}

std::string started(const presence::ServerOptions& options, std::uint16_t port, const std::vector<std::string>& guids) {
    std::string namespaces = "default";
    for (const std::string& guid : guids) namespaces += ", " + guid;
    const std::string host = options.host.find(':') == std::string::npos ? options.host : "[" + options.host + "]";
    return std::string("listening on ") + (options.tls.enabled() ? "wss://" : "ws://") + host + ":" +
           std::to_string(port) + "; engine " + options.engine.url + "; namespaces: " + namespaces;
}

}  // namespace

int main(int argc, char** argv) {
    raise_file_limit();
    presence::ServerOptions options;
    Extras extras;
    const po::options_description description = describe(options, extras);
    const presence::tools::ConfigurationSources sources{
        "presence-server", "PRESENCE_", {"auth-hs256-secret", "admin-api-key", "webhook-secret", "hook-secret"}};
    if (const auto done = presence::tools::load_configuration(argc, argv, description, sources)) return *done;
    apply(extras, options);
    const Log log(presence::tools::log_level_named(extras.log_level),
                  presence::tools::log_format_named(extras.log_format), presence::tools::stderr_is_journal());

    try {
        // Signals are caught before the address is announced: whoever reads that line may
        // stop the server at once.
        boost::asio::io_context signals_io;
        boost::asio::signal_set signals(signals_io, SIGINT, SIGTERM);
        presence::Server server(options, logging_hooks(log));
        for (const std::string& guid : extras.namespaces)
            server.add_namespace(guid, options.presence, logging_hooks(log));
        server.start();
        std::cout << "presence-server listening on " << options.host << ":" << server.port() << std::endl;
        const std::string listening = started(options, server.port(), extras.namespaces);
        log.write(LogLevel::info, listening);
        // Under systemd (Type=notify), `systemctl start` returns once the server listens.
        presence::tools::notify_systemd("READY=1\nSTATUS=" + listening);
        signals.async_wait([&log](boost::system::error_code, int signal) {
            presence::tools::notify_systemd("STOPPING=1");
            log.write(LogLevel::info, std::string(signal == SIGINT ? "SIGINT" : "SIGTERM") + ": stopping");
        });
        signals_io.run();
        server.stop();
        log.write(LogLevel::info, "stopped");
    } catch (const std::exception& e) {
        log.write(LogLevel::error, e.what());
        return 1;
    }
    return 0;
}
