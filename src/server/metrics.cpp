// SPDX-License-Identifier: Apache-2.0
#include "server/metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

#include "presence/version.h"
#include "server/server_core.h"

namespace presence {
namespace {

using LimitsHit = PresenceService::LimitsHit;
using ErrorsAnswered = PresenceService::ErrorsAnswered;

// A label value may hold any text (a namespace's Guid may hold quotes): backslash, double
// quote and line feed are escaped, as the format requires.
void append_escaped(std::string& out, std::string_view value) {
    for (const char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
}

// Writes one metric family after another: its HELP and TYPE lines, then its samples.
class Exposition {
public:
    explicit Exposition(std::string& out) : out_(out) {}

    std::string& out() { return out_; }

    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
        out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    }
    template <typename Number>
    void sample(std::string_view name, Number value) {
        out_.append(name);
        end(value);
    }
    template <typename Number>
    void sample(std::string_view name, std::string_view label, std::string_view label_value, Number value) {
        out_.append(name).append("{").append(label).append("=\"");
        append_escaped(out_, label_value);
        out_.append("\"}");
        end(value);
    }

private:
    void end(std::uint64_t value) { out_.append(" ").append(std::to_string(value)).append("\n"); }
    void end(double value) {
        char text[32];
        const auto result = std::to_chars(text, text + sizeof text, value);
        out_.append(" ").append(text, result.ptr).append("\n");
    }

    std::string& out_;
};

double seconds_of(std::chrono::duration<double> duration) { return duration.count(); }

void write_build(Exposition& e, const ServerCore& core) {
    e.family("presence_build_info", "gauge", "The server's version, as a label; always 1.");
    e.sample("presence_build_info", "version", version(), std::uint64_t{1});
    e.family("presence_start_time_seconds", "gauge", "When the server started, in seconds since the Unix epoch.");
    e.sample("presence_start_time_seconds", seconds_of(core.started_at().time_since_epoch()));
}

// Gauges of each namespace, labelled by its Guid (the default namespace's is "").
template <typename Value>
void per_namespace(Exposition& e, const ServerCore& core, std::string_view name, std::string_view help,
                   Value value) {
    e.family(name, "gauge", help);
    for (const auto& ns : core.namespaces()) e.sample(name, "namespace", ns->guid, std::uint64_t(value(*ns)));
}

void write_sizes(Exposition& e, const ServerCore& core) {
    per_namespace(e, core, "presence_connections",
                  "WebSocket connections open on this node (a broker connection counts in each namespace).",
                  [](const Namespace& ns) { return ns.service.connections(); });
    per_namespace(e, core, "presence_members", "Members; with the Redis engine, those of every node.",
                  [](const Namespace& ns) { return ns.engine->count_members(); });
    per_namespace(e, core, "presence_channels",
                  "Channels with at least one member; with the Redis engine, those of every node.",
                  [](const Namespace& ns) { return ns.engine->count_channels(); });
}

void write_traffic(Exposition& e, const ServerCore& core) {
    const Traffic& t = core.counters.traffic();
    e.family("presence_messages_received_total", "counter", "WebSocket messages received from clients.");
    e.sample("presence_messages_received_total", t.messages_received);
    e.family("presence_received_bytes_total", "counter", "Payload bytes of the WebSocket messages received.");
    e.sample("presence_received_bytes_total", t.bytes_received);
    e.family("presence_messages_sent_total", "counter", "WebSocket messages sent to clients.");
    e.sample("presence_messages_sent_total", t.messages_sent);
    e.family("presence_sent_bytes_total", "counter", "Payload bytes of the WebSocket messages sent.");
    e.sample("presence_sent_bytes_total", t.bytes_sent);
    e.family("presence_slow_consumer_drops_total", "counter",
             "Connections closed (1008) because their send queue was full.");
    e.sample("presence_slow_consumer_drops_total", t.slow_consumer_drops);
}

void write_service(Exposition& e, const ServerCore& core) {
    std::uint64_t deliveries = 0, resends = 0, drops = 0;
    ErrorsAnswered errors;
    for (const auto& ns : core.namespaces()) {
        deliveries += ns->engine->deliveries();
        resends += ns->service.ack_resends();
        drops += ns->service.ack_drops();
        errors += ns->service.errors_answered();
    }
    e.family("presence_fanout_deliveries_total", "counter",
             "Frames handed to this node's members by fan-out (publishes, announcements, invitations), "
             "one per recipient.");
    e.sample("presence_fanout_deliveries_total", deliveries);
    e.family("presence_errors_total", "counter", "Error frames answered to clients, by protocol error code.");
    for (std::size_t i = 0; i < ErrorsAnswered::codes.size(); ++i)
        e.sample("presence_errors_total", "code", std::to_string(static_cast<int>(ErrorsAnswered::codes[i])),
                 errors.at(i));
    e.family("presence_ack_resends_total", "counter", "Frames re-sent for want of an acknowledgment.");
    e.sample("presence_ack_resends_total", resends);
    e.family("presence_ack_dropped_total", "counter",
             "Frames given up on, never acknowledged after the last re-send.");
    e.sample("presence_ack_dropped_total", drops);
}

void write_refusals(Exposition& e, const ServerCore& core) {
    constexpr std::string_view refused = "presence_connections_refused_total";
    e.family(refused, "counter", "Connections refused: server_full (503), address_full (429), "
                                 "no_descriptors (503), unauthorized (401, at the upgrade).");
    e.sample(refused, "reason", "server_full", core.counters.refusals().server_full);
    e.sample(refused, "reason", "address_full", core.counters.refusals().address_full);
    e.sample(refused, "reason", "no_descriptors", core.counters.refusals().no_descriptors);
    e.sample(refused, "reason", "unauthorized", core.counters.traffic().refused_unauthorized);

    LimitsHit hit;
    for (const auto& ns : core.namespaces()) hit += ns->service.limits_hit();
    constexpr std::string_view limits = "presence_limits_hit_total";
    e.family(limits, "counter", "Requests refused by a limit: request_rate (error 41), channels_per_member (42), "
                                "invitation_rate (43), channel_members (44), update_rate (45); invitations_received "
                                "(not delivered), connection_state (closed, 1008).");
    e.sample(limits, "limit", "request_rate", hit.requests);
    e.sample(limits, "limit", "channels_per_member", hit.channels);
    e.sample(limits, "limit", "invitation_rate", hit.invitations);
    e.sample(limits, "limit", "channel_members", hit.channel_full);
    e.sample(limits, "limit", "update_rate", hit.updates);
    e.sample(limits, "limit", "invitations_received", hit.invitations_received);
    e.sample(limits, "limit", "connection_state", hit.state_budget);
}

// --- The process, read from /proc as the Prometheus client libraries read it ------------

std::string read_file(const char* path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The fields of /proc/self/stat after the command name (which may hold spaces and
// parentheses): the first is field 3, the state.
std::vector<std::string> stat_fields() {
    const std::string stat = read_file("/proc/self/stat");
    const std::size_t name_end = stat.rfind(')');
    if (name_end == std::string::npos) return {};
    std::istringstream in(stat.substr(name_end + 1));
    std::vector<std::string> fields;
    for (std::string field; in >> field;) fields.push_back(field);
    return fields;
}

// Field `number` of /proc/self/stat (numbered from 1, as proc(5) does), as a number.
std::optional<double> stat_field(const std::vector<std::string>& fields, std::size_t number) {
    if (number < 3 || number - 3 >= fields.size()) return std::nullopt;
    return std::strtod(fields[number - 3].c_str(), nullptr);
}

// When the system booted, in seconds since the Unix epoch: "btime" of /proc/stat.
std::optional<double> boot_time() {
    std::istringstream in(read_file("/proc/stat"));
    for (std::string key; in >> key;) {
        if (key == "btime") {
            double seconds = 0;
            if (in >> seconds) return seconds;
            return std::nullopt;
        }
        in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    }
    return std::nullopt;
}

// Every descriptor is an entry of /proc/self/fd (the one that lists them included, which
// is not counted). A scrape of a server with many connections pays one pass over them.
std::optional<std::uint64_t> open_descriptors() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) return std::nullopt;
    std::uint64_t count = 0;
    while (const dirent* entry = ::readdir(dir))
        if (entry->d_name[0] != '.') ++count;
    ::closedir(dir);
    return count > 0 ? count - 1 : 0;
}

void write_process(Exposition& e) {
    const std::vector<std::string> fields = stat_fields();
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const auto user = stat_field(fields, 14), system = stat_field(fields, 15);
    if (user && system && ticks > 0) {
        e.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
        e.sample("process_cpu_seconds_total", (*user + *system) / ticks);
    }
    if (const auto started = stat_field(fields, 22), booted = boot_time(); started && booted && ticks > 0) {
        e.family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
        e.sample("process_start_time_seconds", *booted + *started / ticks);
    }
    if (const auto bytes = stat_field(fields, 23)) {
        e.family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
        e.sample("process_virtual_memory_bytes", static_cast<std::uint64_t>(*bytes));
    }
    if (const auto pages = stat_field(fields, 24)) {
        e.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        e.sample("process_resident_memory_bytes",
                 static_cast<std::uint64_t>(*pages) * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)));
    }
    if (const auto open = open_descriptors()) {
        e.family("process_open_fds", "gauge", "Number of open file descriptors.");
        e.sample("process_open_fds", *open);
    }
    if (rlimit limit{}; ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        e.family("process_max_fds", "gauge", "Maximum number of open file descriptors.");
        e.sample("process_max_fds", static_cast<std::uint64_t>(limit.rlim_cur));
    }
}

void write_outcomes(Exposition& e, const ServerCore& core) {
    constexpr std::string_view accepted = "presence_connections_accepted_total";
    e.family(accepted, "counter", "TCP connections accepted, by what became of them: websocket (upgraded), "
                                  "refused (a limit or no valid token), tls_failed, http (no upgrade).");
    const auto& counts = core.counters.measures().outcomes;
    constexpr std::array<std::string_view, 4> names{"websocket", "refused", "tls_failed", "http"};
    for (std::size_t i = 0; i < names.size(); ++i) e.sample(accepted, "outcome", names[i], counts[i]);
}

void write_latencies(Exposition& e, const ServerCore& core) {
    constexpr std::string_view publish = "presence_publish_to_write_seconds";
    e.family(publish, "histogram",
             "From the making of a published message's frame to the end of its write to a recipient.");
    core.counters.measures().publish_to_write.write(e.out(), publish);
}

// Each namespace has its own connections to Redis.
void write_redis(Exposition& e, const ServerCore& core) {
    if (!core.shared_engine()) return;
    per_namespace(e, core, "presence_redis_up",
                  "1 while the Redis engine is connected and its shared view up to date, else 0.",
                  [](const Namespace& ns) { return ns.engine->trouble().empty() ? 1 : 0; });
    constexpr std::string_view latency = "presence_redis_latency_seconds";
    e.family(latency, "gauge",
             "Round trip of the last liveness renewal Redis answered, behind this node's other commands; "
             "none while Redis is unreachable.");
    for (const auto& ns : core.namespaces())
        if (const auto round_trip = ns->engine->round_trip())
            e.sample(latency, "namespace", ns->guid, seconds_of(*round_trip));
    constexpr std::string_view round_trips = "presence_redis_round_trip_seconds";
    e.family(round_trips, "histogram",
             "Round trips of the liveness renewals Redis answered, behind this node's other commands.");
    for (const auto& ns : core.namespaces()) {
        if (const LatencyHistogram* histogram = ns->engine->round_trips()) {
            std::string label = "namespace=\"";
            append_escaped(label, ns->guid);
            histogram->write(e.out(), round_trips, label + "\"");
        }
    }
}

}  // namespace

std::string metrics_text(const ServerCore& core) {
    std::string out;
    Exposition e(out);
    write_process(e);
    write_build(e, core);
    write_sizes(e, core);
    write_traffic(e, core);
    write_service(e, core);
    write_refusals(e, core);
    write_outcomes(e, core);
    write_latencies(e, core);
    write_redis(e, core);
    if (core.webhooks()) core.webhooks()->write_metrics(out);
    if (core.http_hooks()) core.http_hooks()->write_metrics(out);
    return out;
}

}  // namespace presence
