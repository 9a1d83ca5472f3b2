// SPDX-License-Identifier: Apache-2.0
#include "server/http_hooks.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <stdexcept>

#include "protocol/codec.h"
#include "protocol/text.h"
#include "server/namespace.h"

namespace presence {
namespace json = boost::json;
using protocol::Method;

struct HttpHooks::Call {
    Call(Strand& strand, HookEvent event, std::string body, Decided decided)
        : event(event), body(std::move(body)), decided(std::move(decided)), deadline(strand) {}

    const HookEvent event;
    const std::string body;
    Decided decided;  // null once the call is cancelled or answered
    boost::asio::steady_timer deadline;
    Clock::time_point asked_at = Clock::now();
    std::optional<std::size_t> poster;  // while its POST is under way
    bool done = false;
};

namespace {

constexpr std::array<std::string_view, hook_event_count> event_names{"join", "subscribe", "publish", "get-members",
                                                                     "invite"};

// The text of a refusal the failure policy makes: the client learns no more than that.
constexpr std::string_view no_decision = "no decision";

std::optional<HookEvent> hook_event_of(Method method) {
    switch (method) {
    case Method::member_new: return HookEvent::join;
    case Method::channel_member_new: return HookEvent::subscribe;
    case Method::publish_msg: return HookEvent::publish;
    case Method::get_members:
    case Method::get_members_page: return HookEvent::get_members;
    case Method::channel_invitation: return HookEvent::invite;
    default: return std::nullopt;
    }
}

ErrorCode default_code(HookEvent event) {
    switch (event) {
    case HookEvent::join: return ErrorCode::new_member_denied;
    case HookEvent::subscribe: return ErrorCode::subscription_denied;
    case HookEvent::publish: return ErrorCode::publish_denied;
    case HookEvent::get_members: return ErrorCode::send_members_denied;
    case HookEvent::invite: return ErrorCode::invitation_denied;
    }
    return ErrorCode::invalid_request;
}

// The codes a refusal of `event` may carry besides its own: those a refusing C++ hook
// could cause there.
bool fits(HookEvent event, std::int64_t code) {
    if (code == static_cast<int>(default_code(event))) return true;
    if (event == HookEvent::join) return code == static_cast<int>(ErrorCode::member_already_exists);
    if (event == HookEvent::subscribe) return code == static_cast<int>(ErrorCode::new_channel_denied);
    return false;
}

void require(bool condition, const std::string& complaint) {
    if (!condition) throw std::invalid_argument(complaint);
}

HttpHookOptions checked(HttpHookOptions options) {
    parse_webhook_url(options.url, "http_hooks.url");
    require(!options.secret.empty(), "http_hooks.secret is required with http_hooks.url");
    require(options.timeout > std::chrono::milliseconds(0), "http_hooks.timeout must be above 0");
    require(options.max_in_flight > 0, "http_hooks.max_in_flight must be at least 1");
    require(options.connections > 0, "http_hooks.connections must be at least 1");
    return options;
}

json::object member_json(const Member& member) {
    json::object out{{"id", member.id}, {"name", member.name}, {"info", member.info}};
    if (!member.user.empty()) out["user"] = member.user;
    return out;
}

json::array strings(const std::vector<std::string>& values) {
    json::array out;
    for (const std::string& value : values) out.emplace_back(value);
    return out;
}

// What a token gave the connection; null without one.
json::value token_json(const Grant& grant) {
    if (!grant.restricted) return nullptr;
    json::object out;
    if (grant.id) out["sub"] = *grant.id;
    if (grant.name) out["name"] = *grant.name;
    if (grant.info) out["info"] = *grant.info;
    if (grant.user) out["user"] = *grant.user;
    if (grant.namespace_guid) out["ns"] = *grant.namespace_guid;
    out["channels"] = strings(grant.join);
    out["publish"] = strings(grant.publish);
    if (grant.expires)
        out["exp"] = std::chrono::duration_cast<std::chrono::seconds>(grant.expires->time_since_epoch()).count();
    return out;
}

// The member a join would add: its id the session's, the fields its grant fixes fixed.
std::optional<Member> joining(const Connection& c, const protocol::Message& request) {
    Member member = request.member.value_or(Member{});
    if (member.id.empty()) member.id = c.session_id();
    if (member.id != c.session_id()) return std::nullopt;
    if (c.grant().name) member.name = *c.grant().name;
    if (c.grant().info) member.info = *c.grant().info;
    if (c.grant().user) member.user = *c.grant().user;
    return member;
}

// Whether the grant lets the request through to the hooks that the service would call.
bool granted(const Grant& grant, HookEvent event, const std::string& channel) {
    if (event == HookEvent::publish)
        return grant.may_publish(channel) && (channel.empty() || grant.may_join(channel));
    return event == HookEvent::join || grant.may_join(channel);
}

std::int64_t now_ms() {
    using std::chrono::milliseconds;
    return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void write_family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void write_sample(std::string& out, std::string_view name, std::string_view labels, std::uint64_t value) {
    out.append(name).append(labels).append(" ").append(std::to_string(value)).append("\n");
}

}  // namespace

std::string_view name_of(HookEvent event) { return event_names[static_cast<std::size_t>(event)]; }

std::optional<HookDecision> parse_hook_answer(HookEvent event, std::string_view body) {
    boost::system::error_code ec;
    const json::value value = json::parse(body, ec);
    if (ec || !value.is_object()) return std::nullopt;
    const json::object& answer = value.get_object();
    const json::value* allow = answer.if_contains("allow");
    if (!allow || !allow->is_bool()) return std::nullopt;
    const auto string_of = [&answer](std::string_view key) -> std::optional<std::string> {
        const json::value* field = answer.if_contains(key);
        if (!field || !field->is_string()) return std::nullopt;
        return std::string(field->get_string());
    };
    HookDecision decision;
    decision.allow = allow->get_bool();
    if (decision.allow) {
        if (event == HookEvent::join) {
            decision.name = string_of("name");
            decision.info = string_of("info");
        }
        return decision;
    }
    decision.code = default_code(event);
    if (const json::value* code = answer.if_contains("code"); code && code->is_int64() && fits(event, code->get_int64()))
        decision.code = static_cast<ErrorCode>(code->get_int64());
    decision.text = string_of("text").value_or("");
    return decision;
}

HttpHooks::HttpHooks(Strand strand, HttpHookOptions options, Log log)
    : options_(checked(std::move(options))),
      url_(parse_webhook_url(options_.url, "http_hooks.url")),
      log_(std::move(log)),
      busy_(options_.connections, false),
      strand_(std::move(strand)) {
    for (const std::string_view name : protocol::split_list(options_.events)) {
        const auto it = std::find(event_names.begin(), event_names.end(), name);
        require(it != event_names.end(), "http_hooks.events: no event \"" + std::string(name) +
                                             "\" (join, subscribe, publish, get-members, invite)");
        hooked_[static_cast<std::size_t>(it - event_names.begin())] = true;
    }
    const auto tls = client_tls(url_, options_.ca_file, "http_hooks");
    for (std::size_t i = 0; i < options_.connections; ++i)
        posters_.push_back(std::make_shared<HttpPoster>(strand_, url_, tls, options_.timeout));
}

HttpHooks::~HttpHooks() {
    for (const auto& poster : posters_) poster->cancel();
}

std::optional<HttpHooks::Question> HttpHooks::question(const Namespace& ns, const Link& link,
                                                       std::string_view frame) const {
    protocol::Decoded decoded = protocol::decode(frame);
    if (!decoded.ok()) return std::nullopt;
    const protocol::Message& request = decoded.message;
    const std::optional<HookEvent> event = hook_event_of(request.method);
    if (!event || !hooked(*event)) return std::nullopt;
    const Connection* c = ns.service.connection_of(link);
    if (!c || (*event == HookEvent::join) == c->member().has_value()) return std::nullopt;
    const std::optional<Member> member = *event == HookEvent::join ? joining(*c, request) : c->member();
    const std::string channel = request.channel.value_or("");
    if (!member || !granted(c->grant(), *event, channel)) return std::nullopt;

    json::object body{{"event", name_of(*event)}, {"namespace", ns.guid}, {"member", member_json(*member)}};
    if (*event != HookEvent::join) body["channel"] = channel;
    if (*event == HookEvent::subscribe) body["new_channel"] = !ns.engine->channel_exists(channel);
    if (*event == HookEvent::publish) body["message"] = request.text.value_or("");
    if (*event == HookEvent::invite) {
        json::array invitees;
        for (const Member& named : request.members.value_or(std::vector<Member>{})) {
            const Member* found = ns.engine->find_member(named.id);
            invitees.emplace_back(found ? member_json(*found) : json::object{{"id", named.id}});
        }
        body["invitees"] = std::move(invitees);
    }
    body["address"] = link.peer();
    body["token"] = token_json(c->grant());
    body["time_ms"] = now_ms();
    return Question{*event, json::serialize(body), std::move(decoded.message)};
}

std::shared_ptr<HttpHooks::Call> HttpHooks::ask(HookEvent event, std::string body, Decided decided) {
    auto call = std::make_shared<Call>(strand_, event, std::move(body), std::move(decided));
    ++in_flight_;
    if (in_flight_ > options_.max_in_flight) {
        // Decided later, as every call is: the asker is in the middle of its own work.
        boost::asio::post(strand_, [this, alive = std::weak_ptr<int>(lifetime_), call] {
            if (!alive.expired() && !call->done)
                fail(call, Failure::overloaded, std::to_string(options_.max_in_flight) + " decisions in flight");
        });
        return call;
    }
    call->deadline.expires_after(options_.timeout);
    call->deadline.async_wait([this, alive = std::weak_ptr<int>(lifetime_), call](boost::system::error_code ec) {
        if (!ec && !alive.expired() && !call->done) timed_out(call);
    });
    const auto free = std::find(busy_.begin(), busy_.end(), false);
    if (free == busy_.end())
        waiting_.push_back(call);
    else
        post(call, static_cast<std::size_t>(free - busy_.begin()));
    return call;
}

void HttpHooks::cancel(const std::shared_ptr<Call>& call) {
    call->decided = nullptr;
    if (call->done || call->poster) return;
    const auto it = std::find(waiting_.begin(), waiting_.end(), call);
    if (it != waiting_.end()) waiting_.erase(it);
    call->done = true;
    call->deadline.cancel();
    --in_flight_;
}

void HttpHooks::post(const std::shared_ptr<Call>& call, std::size_t poster) {
    busy_[poster] = true;
    call->poster = poster;
    posters_[poster]->post(signed_request(url_, options_.secret, call->body),
                           [this, alive = std::weak_ptr<int>(lifetime_), call, poster](const std::string& failure) {
                               if (!alive.expired()) answered(call, poster, failure);
                           });
}

void HttpHooks::answered(const std::shared_ptr<Call>& call, std::size_t poster, const std::string& failure) {
    busy_[poster] = false;
    call->poster.reset();
    if (failure.empty()) {
        if (const std::optional<HookDecision> decision = parse_hook_answer(call->event, posters_[poster]->answer()))
            resolve(call, *decision, decision->allow ? Outcome::allowed : Outcome::denied);
        else
            fail(call, Failure::bad_answer, "the answer is no JSON object with a boolean \"allow\"");
    } else {
        fail(call, Failure::error, failure);
    }
    post_next();
}

// A POST under way is abandoned with its connection: the application is too slow.
void HttpHooks::timed_out(const std::shared_ptr<Call>& call) {
    if (const std::optional<std::size_t> poster = call->poster) {
        posters_[*poster]->cancel();
        busy_[*poster] = false;
        call->poster.reset();
    } else if (const auto it = std::find(waiting_.begin(), waiting_.end(), call); it != waiting_.end()) {
        waiting_.erase(it);
    }
    fail(call, Failure::timeout, "no decision within " + std::to_string(options_.timeout.count()) + " ms");
    post_next();
}

void HttpHooks::post_next() {
    while (!waiting_.empty()) {
        const auto free = std::find(busy_.begin(), busy_.end(), false);
        if (free == busy_.end()) return;
        const std::shared_ptr<Call> call = std::move(waiting_.front());
        waiting_.pop_front();
        post(call, static_cast<std::size_t>(free - busy_.begin()));
    }
}

void HttpHooks::fail(const std::shared_ptr<Call>& call, Failure failure, const std::string& why) {
    ++failures_[static_cast<std::size_t>(failure)];
    if (!std::exchange(failing_, true) && log_)
        log_(LogLevel::warning, "hooks: " + why + "; requests are " +
                                    (options_.allow_on_failure ? "allowed" : "refused") +
                                    " while the application does not decide");
    HookDecision decision;
    decision.allow = options_.allow_on_failure;
    decision.code = default_code(call->event);
    decision.text = no_decision;
    resolve(call, decision, Outcome::failed);
}

void HttpHooks::resolve(const std::shared_ptr<Call>& call, const HookDecision& decision, Outcome outcome) {
    if (outcome != Outcome::failed && std::exchange(failing_, false) && log_)
        log_(LogLevel::info, "hooks: the application decides again");
    call->done = true;
    call->deadline.cancel();
    --in_flight_;
    ++outcomes_[static_cast<std::size_t>(call->event)][static_cast<std::size_t>(outcome)];
    durations_.observe(Clock::now() - call->asked_at);
    if (const Decided decided = std::exchange(call->decided, nullptr)) decided(decision);
}

void HttpHooks::write_metrics(std::string& out) const {
    static constexpr std::array<std::string_view, 3> outcome_names{"allowed", "denied", "failed"};
    static constexpr std::array<std::string_view, failure_count> failure_names{"timeout", "error", "bad_answer",
                                                                               "overloaded"};
    write_family(out, "presence_hook_requests_total", "counter",
                 "Decisions asked of the HTTP hooks, by event and outcome (failed: the failure policy decided).");
    for (std::size_t event = 0; event < hook_event_count; ++event)
        for (std::size_t outcome = 0; outcome < outcome_names.size(); ++outcome)
            write_sample(out, "presence_hook_requests_total",
                         "{event=\"" + std::string(event_names[event]) + "\",result=\"" +
                             std::string(outcome_names[outcome]) + "\"}",
                         outcomes_[event][outcome]);
    write_family(out, "presence_hook_failures_total", "counter",
                 "HTTP hook decisions not taken: timeout, error (unreachable, not 2xx), bad_answer, overloaded "
                 "(max in flight).");
    for (std::size_t failure = 0; failure < failure_count; ++failure)
        write_sample(out, "presence_hook_failures_total", "{reason=\"" + std::string(failure_names[failure]) + "\"}",
                     failures_[failure]);
    write_family(out, "presence_hook_in_flight", "gauge", "HTTP hook decisions asked and not yet taken.");
    write_sample(out, "presence_hook_in_flight", "", in_flight_);
    write_family(out, "presence_hook_request_duration_seconds", "histogram",
                 "HTTP hook decisions, from the request to the decision, failures included.");
    durations_.write(out, "presence_hook_request_duration_seconds");
}

}  // namespace presence
