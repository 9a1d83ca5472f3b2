// SPDX-License-Identifier: Apache-2.0
#include "server/admin_api.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "auth/token_verifier.h"
#include "presence/version.h"
#include "protocol/codec.h"
#include "protocol/text.h"

namespace presence {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

// A request's fields, query parameters or JSON body members, all strings.
using Fields = std::map<std::string, std::string, std::less<>>;

// Why a request cannot be served; answered as an error.
struct Refusal {
    http::status status;
    std::string message;
};

void answer_json(HttpResponse& res, const json::object& body) {
    res.result(http::status::ok);
    res.set(http::field::content_type, "application/json");
    res.body() = json::serialize(body) + "\n";
}

std::string quoted(std::string_view text) { return json::serialize(json::string(text)); }

// The parameters of `query`, each of `allowed`, once, percent-encoded UTF-8.
std::optional<Fields> parse_query(std::string_view query, std::initializer_list<std::string_view> allowed,
                                  Refusal& refusal) {
    Fields fields;
    while (!query.empty()) {
        const std::string_view parameter = query.substr(0, query.find('&'));
        query.remove_prefix(std::min(query.size(), parameter.size() + 1));
        if (parameter.empty()) continue;
        const std::size_t equals = parameter.find('=');
        const auto name = protocol::percent_decode(parameter.substr(0, equals));
        const auto value = protocol::percent_decode(equals == std::string_view::npos ? "" : parameter.substr(equals + 1));
        if (!name || !value || !protocol::is_valid_utf8(*name) || !protocol::is_valid_utf8(*value)) {
            refusal = {http::status::bad_request, "query parameters must be percent-encoded UTF-8"};
            return std::nullopt;
        }
        if (std::find(allowed.begin(), allowed.end(), *name) == allowed.end()) {
            refusal = {http::status::bad_request, "unknown query parameter " + quoted(*name)};
            return std::nullopt;
        }
        if (!fields.emplace(*name, *value).second) {
            refusal = {http::status::bad_request, "query parameter " + quoted(*name) + " given twice"};
            return std::nullopt;
        }
    }
    return fields;
}

// A JSON object whose members are each one of `allowed` and a string. A misspelt name is
// refused rather than ignored: a publish whose "channel" is misspelt would otherwise reach
// every member.
std::optional<Fields> parse_body(std::string_view body, std::initializer_list<std::string_view> allowed,
                                 Refusal& refusal) {
    boost::system::error_code ec;
    const json::value parsed = json::parse(body, ec);
    if (ec || !parsed.is_object()) {
        refusal = {http::status::bad_request, "the body must be a JSON object"};
        return std::nullopt;
    }
    Fields fields;
    for (const auto& [name, value] : parsed.get_object()) {
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
            refusal = {http::status::bad_request, "unknown field " + quoted(name)};
            return std::nullopt;
        }
        if (!value.is_string() || !protocol::is_valid_utf8(value.get_string())) {
            refusal = {http::status::bad_request, "field " + quoted(name) + " must be a UTF-8 string"};
            return std::nullopt;
        }
        fields.emplace(std::string(name), std::string(value.get_string()));
    }
    return fields;
}

std::string field(const Fields& fields, std::string_view name) {
    const auto it = fields.find(name);
    return it == fields.end() ? std::string() : it->second;
}

Namespace* namespace_of(ServerCore& core, const Fields& fields, Refusal& refusal) {
    const std::string guid = field(fields, "namespace");
    Namespace* ns = core.find(guid);
    if (!ns) refusal = {http::status::not_found, "no namespace " + quoted(guid)};
    return ns;
}

// --- the endpoints ---------------------------------------------------------------------

struct Call {
    ServerCore& core;
    const HttpRequest& request;
    std::string_view query;
    HttpResponse& res;
};

// Counters since the start, summed over the namespaces: a console draws their rates.
json::object totals(const ServerCore& core) {
    using Errors = PresenceService::ErrorsAnswered;
    PresenceService::Activity activity;
    std::uint64_t deliveries = 0, errors = 0;
    for (const auto& ns : core.namespaces()) {
        activity += ns->service.activity();
        deliveries += ns->engine->deliveries();
        const Errors& answered = ns->service.errors_answered();
        for (std::size_t i = 0; i < Errors::codes.size(); ++i) errors += answered.at(i);
    }
    return {{"joins", activity.joins},
            {"leaves", activity.leaves},
            {"publishes", activity.publishes},
            {"deliveries", deliveries},
            {"errors", errors}};
}

// Every node sharing the view, its members summed over the namespaces; this one first.
json::array nodes(const ServerCore& core, const std::string& self) {
    std::vector<NodeSummary> all;
    for (const auto& ns : core.namespaces())
        for (const NodeSummary& node : ns->engine->nodes()) {
            const auto known = std::find_if(all.begin(), all.end(), [&](const auto& n) { return n.id == node.id; });
            if (known == all.end())
                all.push_back(node);
            else
                known->members += node.members;
        }
    std::sort(all.begin() + 1, all.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    json::array list;
    for (const NodeSummary& node : all)
        list.push_back(json::object{{"id", &node == &all.front() ? self : node.id},
                                    {"members", node.members},
                                    {"self", &node == &all.front()}});
    return list;
}

std::optional<Refusal> info(const Call& call) {
    Refusal refusal;
    if (!parse_query(call.query, {}, refusal)) return refusal;
    const ServerCore& core = call.core;
    std::size_t members = 0, channels = 0;
    json::array namespaces;
    for (const auto& ns : core.namespaces()) {
        members += ns->engine->count_members();
        channels += ns->engine->count_channels();
        namespaces.emplace_back(ns->guid);
    }
    const auto uptime = std::chrono::steady_clock::now() - core.started_steady();
    const std::string engine_node = core.namespaces().front()->engine->node_id();
    const std::string node = engine_node.empty() ? core.options.engine.node_id : engine_node;
    json::object answer{{"version", version()},
                        {"uptime_seconds", std::chrono::duration_cast<std::chrono::seconds>(uptime).count()},
                        {"node_id", node},
                        {"engine", core.shared_engine() ? "redis" : "memory"},
                        {"connections", core.connections()},
                        {"members", members},
                        {"channels", channels},
                        {"namespaces", std::move(namespaces)},
                        {"nodes", nodes(core, node)},
                        {"totals", totals(core)}};
    if (const std::string problem = core.trouble(); !problem.empty()) answer["problem"] = problem;
    answer_json(call.res, answer);
    return std::nullopt;
}

// The parameter `name`, a whole number above 0; 0 when not given, nullopt after a refusal.
std::optional<std::size_t> positive(const Fields& fields, std::string_view name, Refusal& refusal) {
    const auto it = fields.find(name);
    if (it == fields.end()) return 0;
    const std::string& text = it->second;
    std::size_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value == 0) {
        refusal = {http::status::bad_request, "query parameter " + quoted(name) + " must be a whole number above 0"};
        return std::nullopt;
    }
    return value;
}

// Whether `name` holds `part`, ASCII letters matched whatever their case.
bool holds(std::string_view name, std::string_view part) {
    const auto same = [](unsigned char a, unsigned char b) { return std::tolower(a) == std::tolower(b); };
    return std::search(name.begin(), name.end(), part.begin(), part.end(), same) != name.end();
}

// Without `top`, every channel by name; with it, the `top` largest, then by name: a console
// polls the largest of many channels without the server listing them all. `match` keeps
// the names that hold it; `total` counts the channels kept before `top` cuts, `everyone`
// the namespace's members.
std::optional<Refusal> channels(const Call& call) {
    Refusal refusal;
    const auto params = parse_query(call.query, {"namespace", "top", "match"}, refusal);
    if (!params) return refusal;
    const Namespace* ns = namespace_of(call.core, *params, refusal);
    if (!ns) return refusal;
    const auto top = positive(*params, "top", refusal);
    if (!top) return refusal;
    std::vector<ChannelSummary> found = ns->engine->channels();
    if (const std::string match = field(*params, "match"); !match.empty())
        std::erase_if(found, [&match](const ChannelSummary& c) { return !holds(c.name, match); });
    const std::size_t total = found.size();
    if (*top != 0) {
        const auto larger = [](const ChannelSummary& a, const ChannelSummary& b) {
            return a.members != b.members ? a.members > b.members : a.name < b.name;
        };
        const std::size_t kept = std::min(*top, found.size());
        std::partial_sort(found.begin(), found.begin() + kept, found.end(), larger);
        found.resize(kept);
    }
    json::array list;
    for (const ChannelSummary& channel : found)
        list.push_back(json::object{{"name", channel.name}, {"members", channel.members}});
    answer_json(call.res, {{"channels", std::move(list)}, {"total", total}, {"everyone", ns->engine->count_members()}});
    return std::nullopt;
}

// Without `limit`, every member; with it, a page in the order of the ids, after `after`:
// a console shows the first members of a large channel without the server listing all.
// `total` counts them all.
std::optional<Refusal> members(const Call& call) {
    Refusal refusal;
    const auto params = parse_query(call.query, {"channel", "namespace", "limit", "after"}, refusal);
    if (!params) return refusal;
    const Namespace* ns = namespace_of(call.core, *params, refusal);
    if (!ns) return refusal;
    const auto limit = positive(*params, "limit", refusal);
    if (!limit) return refusal;
    const std::string channel = field(*params, "channel");
    const std::string after = field(*params, "after");
    if (!after.empty() && *limit == 0) return Refusal{http::status::bad_request, "\"after\" needs \"limit\""};
    const Engine& engine = *ns->engine;
    json::array list;
    for (const Member& member : *limit != 0       ? engine.members_page(channel, after, *limit)
                                : channel.empty() ? engine.all_members()
                                                  : engine.members(channel))
        list.push_back(protocol::member_object(member));
    const std::size_t total = channel.empty() ? engine.count_members() : engine.member_count(channel);
    answer_json(call.res, {{"members", std::move(list)}, {"total", total}});
    return std::nullopt;
}

// The path of Server::broadcast: encoded once, and with Redis sent on to every node.
std::optional<Refusal> publish(const Call& call) {
    Refusal refusal;
    const auto body = parse_body(call.request.body(), {"text", "channel", "namespace"}, refusal);
    if (!body) return refusal;
    if (!body->contains("text")) return Refusal{http::status::bad_request, "field \"text\" is required"};
    Namespace* ns = namespace_of(call.core, *body, refusal);
    if (!ns) return refusal;
    const std::string channel = field(*body, "channel");
    ns->service.broadcast(field(*body, "text"), channel);
    const std::size_t reached = channel.empty() ? ns->engine->count_members() : ns->engine->member_count(channel);
    answer_json(call.res, {{"published", true}, {"members", reached}});
    return std::nullopt;
}

// Only a connection of this node can be closed here; a member of another node is told
// apart from one that does not exist.
std::optional<Refusal> disconnect(const Call& call) {
    Refusal refusal;
    const auto body = parse_body(call.request.body(), {"id", "namespace"}, refusal);
    if (!body) return refusal;
    if (!body->contains("id")) return Refusal{http::status::bad_request, "field \"id\" is required"};
    Namespace* ns = namespace_of(call.core, *body, refusal);
    if (!ns) return refusal;
    const std::string id = field(*body, "id");
    if (call.core.disconnect_member(*ns, id)) {
        answer_json(call.res, {{"disconnected", true}});
        return std::nullopt;
    }
    if (ns->engine->find_member(id))
        return Refusal{http::status::not_found, "member " + quoted(id) + " is connected to another node"};
    return Refusal{http::status::not_found, "no member " + quoted(id)};
}

struct Route {
    std::string_view path;
    http::verb verb;
    std::optional<Refusal> (*serve)(const Call&);
};

constexpr std::array routes{
    Route{"/api/info", http::verb::get, info},
    Route{"/api/channels", http::verb::get, channels},
    Route{"/api/members", http::verb::get, members},
    Route{"/api/publish", http::verb::post, publish},
    Route{"/api/disconnect", http::verb::post, disconnect},
};

bool accepts(http::verb endpoint, http::verb asked) {
    return asked == endpoint || (endpoint == http::verb::get && asked == http::verb::head);
}

std::string_view allowed(http::verb endpoint) { return endpoint == http::verb::get ? "GET, HEAD" : "POST"; }

std::optional<Refusal> route(ServerCore& core, const HttpRequest& request, HttpResponse& res) {
    const std::string_view target = request.target();
    const std::size_t question = target.find('?');
    const std::string_view path = target.substr(0, question);
    const std::string_view query = question == std::string_view::npos ? "" : target.substr(question + 1);
    for (const Route& endpoint : routes) {
        if (endpoint.path != path) continue;
        if (!accepts(endpoint.verb, request.method())) {
            res.set(http::field::allow, allowed(endpoint.verb));
            return Refusal{http::status::method_not_allowed,
                           "use " + std::string(allowed(endpoint.verb)) + " for " + std::string(path)};
        }
        return endpoint.serve(Call{core, request, query, res});
    }
    return Refusal{http::status::not_found, "no admin endpoint " + quoted(path)};
}

}  // namespace

void api_error(HttpResponse& res, http::status status, std::string_view message) {
    res.result(status);
    res.set(http::field::content_type, "application/json");
    json::object error{{"status", static_cast<int>(status)}, {"message", message}};
    res.body() = json::serialize(json::object{{"error", std::move(error)}}) + "\n";
}

// Digests of equal length are compared, so that neither the time taken nor a length check
// says how much of the presented key is right, or how long the real one is.
bool presents_key(std::string_view authorization, std::string_view key) {
    const std::optional<std::string> presented = auth::token_of({}, authorization);
    if (!presented) return false;
    std::array<unsigned char, SHA256_DIGEST_LENGTH> given{}, expected{};
    SHA256(reinterpret_cast<const unsigned char*>(presented->data()), presented->size(), given.data());
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), expected.data());
    return CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

void answer_api(ServerCore& core, const HttpRequest& request, HttpResponse& res) {
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    if (!presents_key(request[http::field::authorization], core.options.admin.api_key)) {
        res.set(http::field::www_authenticate, "Bearer");
        return api_error(res, http::status::unauthorized, "the admin key is missing or wrong");
    }
    if (core.stopping()) return api_error(res, http::status::service_unavailable, "the server is stopping");
    if (const std::optional<Refusal> refusal = route(core, request, res))
        api_error(res, refusal->status, refusal->message);
}

}  // namespace presence
