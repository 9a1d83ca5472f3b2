// SPDX-License-Identifier: Apache-2.0
#include "domain/presence_service.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <tuple>
#include <utility>

#include "protocol/codec.h"
#include "protocol/guid.h"
#include "protocol/text.h"

namespace presence {
namespace {

using protocol::Message;
using protocol::Method;

namespace extension = protocol::extension;
constexpr unsigned short close_policy_violation = 1008;

Message message_of(Method method) {
    Message m;
    m.method = method;
    return m;
}

template <typename Hook, typename... Args>
bool allowed(const Hook& hook, Args&&... args) {
    return !hook || hook(std::forward<Args>(args)...);
}

template <typename Hook, typename... Args>
void notify(const Hook& hook, Args&&... args) {
    if (hook) hook(std::forward<Args>(args)...);
}

bool names(const std::optional<std::string>& list, std::string_view feature) {
    if (!list) return false;
    for (const std::string_view name : protocol::split_list(*list))
        if (name == feature) return true;
    return false;
}

// A resume request's text: the token, a colon, and how many numbered frames the client
// received on its lost connection.
struct ResumeRequest {
    std::string_view token;
    std::uint64_t received = 0;
};

std::optional<ResumeRequest> parse_resume(std::string_view text) {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    ResumeRequest request{text.substr(0, colon)};
    const std::string_view count = text.substr(colon + 1);
    const auto [end, error] = std::from_chars(count.data(), count.data() + count.size(), request.received);
    if (count.empty() || error != std::errc() || end != count.data() + count.size()) return std::nullopt;
    return request;
}

// A page request's text: how many members at most, then, after a colon, the cursor (the
// last id of the previous page; absent for the first page).
struct PageRequest {
    std::size_t limit = 0;
    std::string_view cursor;
};

std::optional<PageRequest> parse_page(std::string_view text, std::size_t max_limit) {
    const std::size_t colon = text.find(':');
    const std::optional<std::size_t> limit = protocol::parse_count(text.substr(0, colon));
    if (!limit || *limit == 0 || *limit > max_limit) return std::nullopt;
    PageRequest request{*limit, {}};
    if (colon != std::string_view::npos) request.cursor = text.substr(colon + 1);
    return request;
}

std::string over_rate_text(double rate, std::string_view what) {
    char text[64];
    std::snprintf(text, sizeof text, "over %g %.*s per second", rate, static_cast<int>(what.size()), what.data());
    return text;
}

bool at_limit(std::size_t count, std::size_t limit) { return limit != 0 && count >= limit; }

// What a request that could not be decoded was, as far as it got.
Message context_of(const protocol::Decoded& decoded) {
    if (decoded.ok()) return decoded.message;
    Message context;
    if (decoded.error->method) context.method = *decoded.error->method;
    return context;
}

// A connection is taken over only by a claimant whose grant fixes the same member id and
// the same user (or neither): its member stays who it was. What it may do is the
// claimant's to say (take_over).
bool same_identity(const Grant& a, const Grant& b) { return a.id == b.id && a.user == b.user; }

bool has_ended(const Grant& grant) {
    return grant.expires && *grant.expires <= std::chrono::system_clock::now();
}

// Whether `claimant` may take `held` over (see same_identity); a grant that ended leaves
// nothing to take, even before end_grants has seen it.
bool may_take_over(const Connection& held, const Connection& claimant) {
    return !has_ended(held.grant()) && same_identity(held.grant(), claimant.grant());
}

bool joins(Change change) { return change == Change::member_new || change == Change::channel_member_new; }

Method method_of(Change change) {
    switch (change) {
    case Change::member_new: return Method::member_new;
    case Change::member_remove: return Method::member_remove;
    case Change::channel_member_new: return Method::channel_member_new;
    case Change::channel_member_remove: break;
    }
    return Method::channel_member_remove;
}

}  // namespace

PresenceService::PresenceService(Engine& engine, PresenceOptions options, const ServerHooks& hooks)
    : engine_(engine), options_(std::move(options)), hooks_(hooks) {
    engine_.set_listener(*this);
}

std::shared_ptr<Frame> PresenceService::make_frame(Message message) const {
    if (options_.ack.enabled) message.id = protocol::new_guid();
    auto frame = std::make_shared<Frame>();
    frame->bytes = protocol::encode(message, options_.encode_base64);
    frame->ack_id = std::move(message.id);
    return frame;
}

void PresenceService::publish_frame(std::string_view channel, Message message) {
    const MadeAt made_at = std::chrono::steady_clock::now();
    const auto frame = make_frame(std::move(message));
    frame->made_at = made_at;
    engine_.publish(channel, frame);
    ++activity_.publishes;
}

Bytes PresenceService::make_aside(const Message& message) const {
    return std::make_shared<const std::string>(protocol::encode(message, options_.encode_base64));
}

void PresenceService::connect(Link& link, Grant grant) {
    // A grant that fixes the member id makes it the session id, the one id a member may join with.
    std::string session_id = grant.id.value_or(protocol::new_guid());
    auto owned =
        std::make_unique<Connection>(link, std::move(session_id), options_, std::move(grant), limits_hit_, hooks_);
    Connection& c = *owned;
    if (c.grant().expires) c.expiry = expiries_.emplace(*c.grant().expires, &c);
    connections_.emplace(&link, std::move(owned));
    Message session = message_of(Method::session);
    session.text = c.session_id();
    c.deliver(make_frame(std::move(session)));
    notify(hooks_.on_connect, c.session_id());
}

void PresenceService::disconnect(Link& link) {
    const auto it = connections_.find(&link);
    if (it == connections_.end()) return;
    Connection& c = *it->second;
    resumable_.erase(c.resume_token());
    if (c.member()) remove_member(c);
    notify(hooks_.on_disconnect, c.session_id());
    forget(c);
    change_views(c, [&c] { c.drop_views(); });
    connections_.erase(&link);
}

void PresenceService::forget(Connection& c) {
    if (c.expiry) expiries_.erase(*std::exchange(c.expiry, std::nullopt));
}

// The member stays, unseen by the others; what it is sent goes to its backlog.
void PresenceService::lose(Link& link, std::shared_ptr<const void> hold) {
    const auto it = connections_.find(&link);
    if (it == connections_.end()) return;
    Connection& c = *it->second;
    if (!c.resumable() || !c.member() || options_.resume.grace.count() <= 0) return disconnect(link);
    const std::string token = c.resume_token();
    resumable_.erase(token);
    c.detach();
    c.hold = std::move(hold);
    detached_.emplace(token, Detached{std::move(it->second), protocol::Clock::now() + options_.resume.grace});
    connections_.erase(it);
}

void PresenceService::expire(protocol::Clock::time_point now) {
    for (auto it = detached_.begin(); it != detached_.end();) {
        if (it->second.deadline > now) {
            ++it;
            continue;
        }
        std::unique_ptr<Connection> c = std::move(it->second.connection);
        it = detached_.erase(it);
        end_detached(std::move(c));
    }
}

void PresenceService::end_detached(std::unique_ptr<Connection> c) {
    if (c->member()) remove_member(*c);
    notify(hooks_.on_disconnect, c->session_id());
    forget(*c);
    change_views(*c, [&c] { c->drop_views(); });
}

// A member whose grant ends is gone, not lost: its departure is announced before the
// close, so that a peer that answers the close with a reset leaves nothing to resume.
void PresenceService::end_grants(std::chrono::system_clock::time_point now) {
    while (!expiries_.empty() && expiries_.begin()->first <= now) {
        Connection& c = *expiries_.begin()->second;
        forget(c);
        c.report_error("token expired");
        if (!c.attached()) {
            end_detached(std::move(detached_.extract(c.resume_token()).mapped().connection));
            continue;
        }
        resumable_.erase(c.resume_token());
        if (c.member()) remove_member(c);
        c.close(close_policy_violation, "token expired");
    }
}

void PresenceService::close_all(unsigned short code, std::string_view reason) {
    for (auto& [link, c] : connections_) c->close(code, reason);
    expire(protocol::Clock::time_point::max());
}

void PresenceService::disconnect_all() {
    while (!connections_.empty()) {
        Link& link = *connections_.begin()->second->link();
        disconnect(link);
        link.drop();
    }
    expire(protocol::Clock::time_point::max());
}

void PresenceService::report_error(const Link& link, std::string_view what) const {
    if (const auto it = connections_.find(&link); it != connections_.end())
        it->second->report_error(what);
}

bool PresenceService::close_connection(std::string_view id, unsigned short code, std::string_view reason) {
    for (const auto& [key, c] : connections_) {
        if (c->session_id() != id) continue;
        Link& link = *c->link();
        disconnect(link);
        link.close(code, reason);
        return true;
    }
    for (auto it = detached_.begin(); it != detached_.end(); ++it) {
        if (it->second.connection->session_id() != id) continue;
        std::unique_ptr<Connection> c = std::move(it->second.connection);
        detached_.erase(it);
        end_detached(std::move(c));
        return true;
    }
    return false;
}

void PresenceService::refuse(Link& link, ErrorCode code, std::string text) {
    if (const auto it = connections_.find(&link); it != connections_.end())
        reject(*it->second, Message{}, code, std::move(text));
}

void PresenceService::receive(Link& link, std::string_view frame) {
    const auto it = connections_.find(&link);
    if (it == connections_.end()) return;
    Connection& c = *it->second;
    protocol::Decoded decoded = protocol::decode(frame);
    if (!remembers_id(c, decoded)) return;
    const auto reply = [&c](std::string ack) { c.send(std::make_shared<const std::string>(std::move(ack))); };
    if (!protocol::admit(decoded, c.unacknowledged, c.seen_ids, reply)) return;
    if (!c.requests.take(protocol::Clock::now())) {
        ++limits_hit_.requests;
        return reject(c, context_of(decoded), ErrorCode::too_many_requests,
                      over_rate_text(options_.max_requests_per_second, "requests"));
    }
    if (!decoded.ok()) return reject(c, context_of(decoded), decoded.error->code, std::move(decoded.error->text));
    // A resume may replace the connection of this link: nothing may touch `c` after it.
    if (decoded.message.method == Method::resume) return resume(c, decoded.message);
    const std::size_t invalid_before = c.invalid_in_a_row;
    dispatch(c, decoded.message);
    if (c.invalid_in_a_row == invalid_before) c.invalid_in_a_row = 0;
}

// A request's id is remembered, for acknowledgment, only when it is short enough and fits
// in what the connection may hold; otherwise the request is refused, unacknowledged.
bool PresenceService::remembers_id(Connection& c, const protocol::Decoded& decoded) {
    const std::string& id = decoded.ok() ? decoded.message.id : decoded.error->id;
    if (id.size() > options_.max_id_bytes) {
        reject(c, context_of(decoded), ErrorCode::invalid_params,
               "id is longer than " + std::to_string(options_.max_id_bytes) + " bytes");
        return false;
    }
    const bool acknowledgment = decoded.ok() && decoded.message.method == Method::acknowledgment;
    if (id.empty() || acknowledgment || c.seen_ids.remembers(id) ||
        c.has_room_for(protocol::SeenIds::cost(id)))
        return true;
    reject(c, context_of(decoded), ErrorCode::invalid_params,
           "id not remembered: this connection holds the most it may (" +
               std::to_string(options_.max_connection_state_bytes) + " bytes)");
    return false;
}

void PresenceService::dispatch(Connection& c, const Message& request) {
    switch (request.method) {
    case Method::hello: return hello(c, request);
    case Method::ping: return c.send_aside(make_aside(message_of(Method::pong)));
    case Method::member_new: return join(c, request);
    case Method::member_remove: return leave(c, request);
    case Method::channel_member_new: return subscribe(c, request);
    case Method::channel_member_remove: return unsubscribe(c, request);
    case Method::publish_msg: return publish(c, request);
    case Method::get_members: return get_members(c, request);
    case Method::channel_invitation: return invite(c, request);
    case Method::invitation_response: return refuse_invitation(c, request);
    case Method::get_members_page: return get_members_page(c, request);
    case Method::get_count: return get_count(c, request);
    case Method::channel_counts: return set_counts_only(c, request);
    case Method::get_users: return get_users(c, request);
    case Method::update_member: return update_member(c, request);
    default:
        return reject(c, request, ErrorCode::method_not_found,
                      std::string(protocol::method_name(request.method)) + " is not a request");
    }
}

void PresenceService::hello(Connection& c, const Message& request) {
    c.said_hello = true;
    const bool can_resume = options_.resume.grace.count() > 0;
    const bool can_diff = options_.diff_interval.count() > 0;
    std::string features = std::string(extension::invitation_response) + "," + std::string(extension::heartbeat);
    if (can_resume) features += "," + std::string(extension::resume);
    // Named back only to a client that named them, so that the answer older clients get
    // stays as it was.
    if (names(request.text, extension::member_pages)) features += "," + std::string(extension::member_pages);
    const bool diffs = can_diff && names(request.text, extension::diffs);
    if (diffs) features += "," + std::string(extension::diffs);
    const bool users = names(request.text, extension::users);
    if (users) features += "," + std::string(extension::users);
    change_views(c, [&c, diffs, users] {
        c.diffs = diffs;
        c.users = users;
    });
    c.updates = names(request.text, extension::updates);
    if (c.updates) features += "," + std::string(extension::updates);
    Message answer = message_of(Method::hello);
    answer.text = std::move(features);
    c.deliver(make_frame(std::move(answer)));
    if (!can_resume || !names(request.text, extension::resume)) return;
    // Numbering starts after the token frame, on both sides; a second hello starts it again.
    resumable_.erase(c.resume_token());
    c.make_resumable(protocol::new_guid(), options_.resume.backlog_frames, options_.resume.backlog_bytes);
    resumable_[c.resume_token()] = c.link();
    Message token = message_of(Method::resume_token);
    token.text = c.resume_token();
    c.send_aside(make_aside(token));
}

void PresenceService::resume(Connection& c, const Message& request) {
    if (c.member() || c.resumable())
        return reject(c, request, ErrorCode::invalid_params, "resume must come before joining and before hello");
    const std::string text = request.text.value_or("");
    const std::optional<ResumeRequest> parsed = parse_resume(text);
    if (!parsed) return reject(c, request, ErrorCode::invalid_params, "message.text must be TOKEN:RECEIVED");
    std::unique_ptr<Connection> resumed = claim(std::string(parsed->token), c);
    if (!resumed) {
        Message answer = message_of(Method::resume);
        answer.text = std::string(extension::expired);
        return c.send_aside(make_aside(answer));
    }
    take_over(c, std::move(resumed), parsed->received);
}

// The connection of `token`, taken from the waiting ones, or from its link when that link
// still looks alive (the client saw it die first): that link is dropped unannounced.
std::unique_ptr<Connection> PresenceService::claim(const std::string& token, const Connection& claimant) {
    if (const auto it = detached_.find(token); it != detached_.end()) {
        if (!may_take_over(*it->second.connection, claimant)) return nullptr;
        std::unique_ptr<Connection> owned = std::move(it->second.connection);
        detached_.erase(it);
        return owned;
    }
    const auto it = resumable_.find(token);
    if (it == resumable_.end()) return nullptr;
    Link* old = it->second;
    const auto owner = connections_.find(old);
    const Connection& held = *owner->second;
    if (!held.resumable() || !may_take_over(held, claimant)) return nullptr;
    std::unique_ptr<Connection> owned = std::move(owner->second);
    connections_.erase(owner);
    resumable_.erase(it);
    owned->detach();
    old->drop();
    return owned;
}

// The resumed connection moves onto the fresh one's link, and the fresh one ends. The
// resumed connection may do what the fresh one's credentials allow, until they end: never
// more. The client gets what it missed, or, when the backlog no longer holds it, the
// member lists of its channels to start again from; then the channels the new grant does
// not allow are left.
void PresenceService::take_over(Connection& fresh, std::unique_ptr<Connection> resumed, std::uint64_t received) {
    Link& link = *fresh.link();
    const std::string fresh_session = fresh.session_id();
    forget(fresh);
    change_views(fresh, [&fresh] { fresh.drop_views(); });
    Connection& c = *resumed;
    forget(c);
    c.set_grant(fresh.grant());
    if (c.grant().expires) c.expiry = expiries_.emplace(*c.grant().expires, &c);
    c.attach(link);
    c.hold.reset();  // the new link's connection is counted by its own transport
    resumable_[c.resume_token()] = &link;
    connections_[&link] = std::move(resumed);
    notify(hooks_.on_disconnect, fresh_session);

    Message answer = message_of(Method::resume);
    answer.member = c.member();
    Backlog& backlog = c.backlog();
    const bool resynced = !backlog.holds_from(received);
    answer.text = std::string(resynced ? extension::resync : extension::resumed);
    if (resynced) backlog.restart();
    c.send_aside(make_aside(answer));
    if (!resynced) backlog.replay_from(received, [&c](const Bytes& bytes) { c.send_aside(bytes); });
    keep_to_grant(c);
    if (!resynced || !c.member()) return;
    for (const std::string& channel : engine_.channels_of(c.member()->id))
        c.deliver(members_frame(*c.member(), channel));
}

// Leaves, announced, what the connection's grant no longer allows.
void PresenceService::keep_to_grant(Connection& c) {
    change_views(c, [&c] { c.keep_counts_to_grant(); });
    if (!c.member()) return;
    const Member self = *c.member();
    for (const std::string& channel : engine_.channels_of(self.id))
        if (!c.grant().may_join(channel)) remove_from_channel(self, channel);
}

void PresenceService::join(Connection& c, const Message& request) {
    if (c.member()) return answer_error(c, request, ErrorCode::member_already_exists);
    Member member = request.member.value_or(Member{});
    if (member.id.empty()) member.id = c.session_id();
    if (member.id != c.session_id()) return answer_error(c, request, ErrorCode::member_not_exists);
    // A declared user other than the one the grant fixes would speak for someone else: the
    // users view would never see that user leave.
    const std::optional<std::string>& user = c.grant().user;
    if (user && !member.user.empty() && member.user != *user)
        return reject(c, request, ErrorCode::invalid_params,
                      user->empty() ? "member.user is not allowed: the connection has no user"
                                    : "member.user differs from the user of the connection's token");
    if (c.grant().name) member.name = *c.grant().name;
    if (c.grant().info) member.info = *c.grant().info;
    if (user) member.user = *user;
    if (!fits(c, request, member)) return;
    if (!allowed(hooks_.before_new_member, member))
        return answer_error(c, request, ErrorCode::new_member_denied, {}, &member);
    if (!engine_.add_member(member, c, announcement(Change::member_new, member, "")))
        return answer_error(c, request, ErrorCode::member_already_exists, {}, &member);
    c.set_member(member);
    ++activity_.joins;
    notify(hooks_.on_new_member, member);
}

void PresenceService::leave(Connection& c, const Message& request) {
    if (self_of(c, request)) remove_member(c);
}

// The leaver is still a member while its departures go out, so it hears them too when
// it is still connected.
void PresenceService::remove_member(Connection& c) {
    const Member self = *c.member();
    for (const std::string& channel : engine_.channels_of(self.id)) remove_from_channel(self, channel);
    engine_.remove_member(self.id, announcement(Change::member_remove, self, ""));
    c.set_member(std::nullopt);
    c.forget_invitations();
    ++activity_.leaves;
    notify(hooks_.on_remove_member, self);
}

void PresenceService::remove_from_channel(const Member& self, const std::string& channel) {
    const bool freed =
        engine_.unsubscribe(channel, self.id, announcement(Change::channel_member_remove, self, channel));
    notify(hooks_.on_remove_channel_member, channel, self);
    if (freed) notify(hooks_.on_remove_channel, channel);
}

void PresenceService::subscribe(Connection& c, const Message& request) {
    const Member* self = self_of(c, request);
    if (!self || !valid_channel(c, request, true)) return;
    const std::string& channel = *request.channel;
    const std::optional<ErrorCode> error = try_subscribe(c, *self, channel);
    if (error) answer_error(c, request, *error);
    settle_invitations(c, channel, error);
}

std::optional<ErrorCode> PresenceService::try_subscribe(const Connection& c, const Member& self,
                                                        const std::string& channel) {
    if (!c.grant().may_join(channel)) return ErrorCode::subscription_denied;
    if (engine_.is_subscribed(channel, self.id)) return ErrorCode::subscription_already_exists;
    if (at_limit(engine_.channels_of(self.id).size(), options_.max_channels_per_member)) {
        ++limits_hit_.channels;
        return ErrorCode::too_many_channels;
    }
    if (at_limit(engine_.member_count(channel), options_.max_channel_members)) {
        ++limits_hit_.channel_full;
        return ErrorCode::channel_full;
    }
    if (!engine_.channel_exists(channel) && !allowed(hooks_.before_new_channel, channel, self))
        return ErrorCode::new_channel_denied;
    if (!allowed(hooks_.before_new_channel_member, channel, self))
        return ErrorCode::subscription_denied;
    if (engine_.subscribe(channel, self.id, announcement(Change::channel_member_new, self, channel)))
        notify(hooks_.on_new_channel, channel);
    notify(hooks_.on_new_channel_member, channel, self);
    return std::nullopt;
}

void PresenceService::unsubscribe(Connection& c, const Message& request) {
    const Member* self = self_of(c, request);
    if (!self || !valid_channel(c, request, true)) return;
    const std::string& channel = *request.channel;
    // Nobody is in a channel its grant does not allow: whether it exists is not told.
    if (!c.grant().may_join(channel)) return answer_error(c, request, ErrorCode::subscription_not_exists);
    if (!engine_.channel_exists(channel)) return answer_error(c, request, ErrorCode::channel_not_exists);
    if (!engine_.is_subscribed(channel, self->id))
        return answer_error(c, request, ErrorCode::subscription_not_exists);
    remove_from_channel(*self, channel);
}

void PresenceService::publish(Connection& c, const Message& request) {
    const Member* self = self_of(c, request);
    if (!self || !valid_channel(c, request, false)) return;
    if (!request.text) return reject(c, request, ErrorCode::invalid_params, "message.text is required");
    const std::string channel = request.channel.value_or("");
    // Publishing to a channel takes being in it, so a channel the grant does not let the
    // member join is as forbidden as one it may not publish to, whether it exists or not.
    const bool granted = c.grant().may_publish(channel) && (channel.empty() || c.grant().may_join(channel));
    if (!granted) return answer_error(c, request, ErrorCode::publish_denied);
    if (!channel.empty()) {
        if (!engine_.channel_exists(channel)) return answer_error(c, request, ErrorCode::channel_not_exists);
        if (!engine_.is_subscribed(channel, self->id))
            return answer_error(c, request, ErrorCode::subscription_not_exists);
    }
    if (!allowed(hooks_.before_publish, channel, *self, *request.text))
        return answer_error(c, request, ErrorCode::publish_denied);
    Message out = message_of(Method::publish_msg);
    out.member = *self;
    out.channel = channel;
    out.text = *request.text;
    publish_frame(channel, std::move(out));
}

void PresenceService::get_members(Connection& c, const Message& request) {
    const Member* self = self_of(c, request);
    if (!self || !valid_channel(c, request, false)) return;
    const std::string channel = request.channel.value_or("");
    if (may_list(c, request, *self, channel)) c.deliver(members_frame(*self, channel));
}

// Answers the error when `self` may not list `channel`; a channel its grant does not allow
// is refused whether it exists or not. A list must not be older than the diffs that follow
// it, so the channel's pending diff goes first.
bool PresenceService::may_list(Connection& c, const Message& request, const Member& self,
                               const std::string& channel) {
    if (!c.grant().may_join(channel)) {
        answer_error(c, request, ErrorCode::send_members_denied);
        return false;
    }
    if (!channel.empty() && !engine_.channel_exists(channel)) {
        answer_error(c, request, ErrorCode::channel_not_exists);
        return false;
    }
    if (!allowed(hooks_.before_send_members, channel, self)) {
        answer_error(c, request, ErrorCode::send_members_denied);
        return false;
    }
    if (c.has_views()) flush_diff(channel);
    return true;
}

void PresenceService::get_members_page(Connection& c, const Message& request) {
    const Member* self = self_of(c, request);
    if (!self || !valid_channel(c, request, false)) return;
    const std::string text = request.text.value_or("");
    const std::optional<PageRequest> page = parse_page(text, options_.max_page_members);
    if (!page)
        return reject(c, request, ErrorCode::invalid_params,
                      "message.text must be LIMIT or LIMIT:CURSOR, with LIMIT from 1 to " +
                          std::to_string(options_.max_page_members));
    const std::string channel = request.channel.value_or("");
    if (!may_list(c, request, *self, channel)) return;
    Message answer = message_of(Method::members_page);
    answer.member = *self;
    answer.channel = channel;
    answer.members = engine_.members_page(channel, page->cursor, page->limit);
    // A full page may be the last one: the next request then gets an empty page.
    answer.text = answer.members->size() == page->limit ? answer.members->back().id : std::string();
    c.deliver(make_frame(std::move(answer)));
}

void PresenceService::get_count(Connection& c, const Message& request) {
    if (!self_of(c, request) || !valid_channel(c, request, false)) return;
    const std::string channel = request.channel.value_or("");
    if (!c.grant().may_join(channel)) return answer_error(c, request, ErrorCode::send_members_denied);
    if (c.has_views()) flush_diff(channel);
    c.deliver(count_frame(channel, View::any));
}

void PresenceService::set_counts_only(Connection& c, const Message& request) {
    if (!self_of(c, request) || !valid_channel(c, request, false)) return;
    const std::string channel = request.channel.value_or("");
    const std::string mode = request.text.value_or("");
    if (mode != extension::on && mode != extension::off)
        return reject(c, request, ErrorCode::invalid_params, "message.text must be \"on\" or \"off\"");
    if (!c.grant().may_join(channel)) return answer_error(c, request, ErrorCode::send_members_denied);
    bool taken = true;
    change_views(c, [&] {
        if (mode == extension::on) taken = c.take_counts_only(channel);
        else c.drop_counts_only(channel);
    });
    if (!taken)
        return reject(c, request, ErrorCode::invalid_params,
                      "counts only not taken: this connection holds the most it may (" +
                          std::to_string(options_.max_connection_state_bytes) + " bytes)");
    c.deliver(count_frame(channel, View::any));
}

std::size_t PresenceService::count_of(std::string_view channel) const {
    return channel.empty() ? engine_.count_members() : engine_.member_count(channel);
}

FramePtr PresenceService::count_frame(const std::string& channel, View view) const {
    Message count = message_of(Method::count);
    count.channel = channel;
    count.text = std::to_string(count_of(channel));
    auto frame = make_frame(std::move(count));
    frame->view = view;
    frame->channel = channel;
    return frame;
}

template <typename Edit>
void PresenceService::change_views(Connection& c, Edit edit) {
    const bool viewed = c.has_views();
    const bool counted = c.takes_counts();
    const bool users = c.users;
    edit();
    const auto recount = [](bool before, bool after, std::size_t& count) {
        if (before != after) after ? ++count : --count;
    };
    recount(viewed, c.has_views(), viewers_);
    recount(counted, c.takes_counts(), counters_);
    recount(users, c.users, user_viewers_);
    if (viewers_ == 0) pending_diffs_.clear();
    if (user_viewers_ > 0) return;
    pending_leaves_.clear();
    leave_index_.clear();
}

void PresenceService::changed(Change change, const Member& member, std::string_view channel) {
    if (!member.user.empty()) count_user(change, member, channel);
    if (viewers_ == 0) return;
    // Changes gather for the diff interval from the first one on.
    const bool first_change = pending_diffs_.empty();
    if (first_change) next_flush_ = protocol::Clock::now() + options_.diff_interval;
    auto [it, fresh] = pending_diffs_.try_emplace(std::string(channel));
    PendingDiff& diff = it->second;
    auto [entry, first] = diff.entries.try_emplace(member.id);
    if (first) diff.order.push_back(member.id);
    if (joins(change)) entry->second.joined = member;
    else if (entry->second.joined) entry->second.joined.reset();
    else entry->second.left = member;
    if (first_change && wake_) wake_();
}

void PresenceService::flush_views(protocol::Clock::time_point now) {
    flush_leaves(now);
    if (now < next_flush_ || options_.diff_interval.count() <= 0) return;
    while (!pending_diffs_.empty()) flush_diff(std::string(pending_diffs_.begin()->first));
}

std::optional<protocol::Clock::time_point> PresenceService::next_flush() const {
    std::optional<protocol::Clock::time_point> next;
    if (!pending_leaves_.empty()) next = pending_leaves_.front().deadline;
    if (!pending_diffs_.empty() && options_.diff_interval.count() > 0)
        next = std::min(next.value_or(next_flush_), next_flush_);
    return next;
}

// Encoded once for the channel and fanned out to this node's members, each of whom takes
// the diff or the count if it asked for it.
void PresenceService::flush_diff(const std::string& channel) {
    const auto it = pending_diffs_.find(channel);
    if (it == pending_diffs_.end()) return;
    const PendingDiff pending = std::move(it->second);
    pending_diffs_.erase(it);
    std::vector<Member> joined;
    std::vector<Member> left;
    for (const std::string& id : pending.order) {
        const PendingDiff::Entry& entry = pending.entries.find(id)->second;
        if (entry.left) left.push_back(*entry.left);
        if (entry.joined) joined.push_back(*entry.joined);
    }
    if (joined.empty() && left.empty()) return;
    Message diff = message_of(Method::diff);
    diff.channel = channel;
    diff.text = std::to_string(joined.size()) + " " + std::to_string(count_of(channel));
    diff.members = std::move(joined);
    diff.members->insert(diff.members->end(), left.begin(), left.end());
    auto frame = make_frame(std::move(diff));
    frame->view = View::diff;
    frame->channel = channel;
    engine_.publish_local(channel, frame);
    if (counters_ > 0) engine_.publish_local(channel, count_frame(channel, View::count));
}

// --- The users extension ---------------------------------------------------------------

// Each user once, its connections under it; members without a user each on their own.
void PresenceService::get_users(Connection& c, const Message& request) {
    const Member* self = self_of(c, request);
    if (!self || !valid_channel(c, request, false)) return;
    const std::string channel = request.channel.value_or("");
    if (!may_list(c, request, *self, channel)) return;
    Message answer = message_of(Method::users);
    answer.member = *self;
    answer.channel = channel;
    answer.members = channel.empty() ? engine_.all_members() : engine_.members(channel);
    std::sort(answer.members->begin(), answer.members->end(), [](const Member& a, const Member& b) {
        return std::tie(a.user, a.id) < std::tie(b.user, b.id);
    });
    c.deliver(make_frame(std::move(answer)));
}

void PresenceService::count_user(Change change, const Member& member, std::string_view channel) {
    auto per_channel = user_counts_.find(channel);
    if (joins(change)) {
        if (per_channel == user_counts_.end())
            per_channel = user_counts_.emplace(std::string(channel), StringMap<std::size_t>{}).first;
        if (++per_channel->second[member.user] == 1) announce_user(change, member, channel);
        return;
    }
    if (per_channel == user_counts_.end()) return;
    const auto user = per_channel->second.find(member.user);
    if (user == per_channel->second.end() || --user->second > 0) return;
    per_channel->second.erase(user);
    if (per_channel->second.empty()) user_counts_.erase(per_channel);
    announce_user(change, member, channel);
}

// A first join right after the user's last leave (within the grace) cancels that leave,
// and neither is told.
void PresenceService::announce_user(Change change, const Member& member, std::string_view channel) {
    if (user_viewers_ == 0) return;
    std::string key = std::string(channel) + '\0' + member.user;
    const auto pending = leave_index_.find(key);
    if (joins(change) && pending != leave_index_.end()) {
        pending_leaves_.erase(pending->second);
        leave_index_.erase(pending);
        return;
    }
    FramePtr frame = change_frame(change, member, channel, View::user);
    if (joins(change) || options_.user_leave_grace.count() <= 0) return engine_.publish_local(channel, frame);
    const auto deadline = protocol::Clock::now() + options_.user_leave_grace;
    pending_leaves_.push_back({key, std::string(channel), std::move(frame), deadline});
    leave_index_.emplace(std::move(key), std::prev(pending_leaves_.end()));
    if (pending_leaves_.size() == 1 && wake_) wake_();
}

void PresenceService::flush_leaves(protocol::Clock::time_point now) {
    while (!pending_leaves_.empty() && pending_leaves_.front().deadline <= now) {
        const PendingLeave leave = std::move(pending_leaves_.front());
        leave_index_.erase(leave.key);
        pending_leaves_.pop_front();
        engine_.publish_local(leave.channel, leave.frame);
    }
}

FramePtr PresenceService::members_frame(const Member& self, const std::string& channel) const {
    Message answer = message_of(Method::send_members);
    answer.member = self;
    answer.channel = channel;
    answer.members = channel.empty() ? engine_.all_members() : engine_.members(channel);
    return make_frame(std::move(answer));
}

void PresenceService::invite(Connection& c, const Message& request) {
    const Member* self = self_of(c, request);
    if (!self || !valid_channel(c, request, true)) return;
    if (!request.members || request.members->empty())
        return reject(c, request, ErrorCode::invalid_params, "members[] must name the invitees");
    if (options_.max_invitees != 0 && request.members->size() > options_.max_invitees)
        return reject(c, request, ErrorCode::invalid_params,
                      "members[] names more than " + std::to_string(options_.max_invitees) + " invitees");
    const Member inviter = *self;
    if (!c.grant().may_join(*request.channel)) return answer_error(c, request, ErrorCode::invitation_denied);
    // However many invitees are refused, one error answers the invitation: about the first.
    std::optional<std::pair<ErrorCode, Member>> refusal;
    for (const Member& wanted : *request.members) {
        const Member* invitee = engine_.find_member(wanted.id);
        const std::optional<ErrorCode> error = invite_one(c, inviter, *request.channel, invitee);
        if (error && !refusal) refusal.emplace(*error, invitee ? *invitee : Member{wanted.id, {}, {}});
    }
    if (refusal) answer_error(c, request, refusal->first, {}, &refusal->second);
}

// Every invitee named costs the inviter one invitation of its rate, a member or not, so
// that naming ids that are no members is no cheaper.
std::optional<ErrorCode> PresenceService::invite_one(Connection& c, const Member& self, const std::string& channel,
                                                     const Member* invitee) {
    if (!c.invitations_sent.take(protocol::Clock::now())) {
        ++limits_hit_.invitations;
        return ErrorCode::too_many_invitations;
    }
    if (!invitee) return ErrorCode::member_not_exists;
    if (!allowed(hooks_.before_invite, channel, self, *invitee)) return ErrorCode::invitation_denied;
    Message invitation = message_of(Method::channel_invitation);
    invitation.member = self;
    invitation.channel = channel;
    const auto frame = make_frame(std::move(invitation));
    frame->invitation = Invitation{self.id, channel, c.said_hello};
    engine_.send_to_member(invitee->id, frame);
    return std::nullopt;
}

void PresenceService::refuse_invitation(Connection& c, const Message& request) {
    if (!c.member()) return answer_error(c, request, ErrorCode::member_not_exists);
    if (!valid_channel(c, request, true)) return;
    const std::string inviter = request.member ? request.member->id : std::string();
    if (request.text.value_or("") != extension::refused)
        return reject(c, request, ErrorCode::invalid_params, "message.text must be \"refused\"");
    const std::optional<Invitation> invitation = c.take_invitation(inviter, *request.channel);
    if (!invitation) return reject(c, request, ErrorCode::invalid_params, "no pending invitation from that member");
    answer_invitation(*invitation, *c.member(), extension::refused, std::nullopt);
}

// The fields the request carries change; those the grant fixes stay, as at join. Every
// update is announced, even one that changes nothing, so that the requester can tell it
// was made.
void PresenceService::update_member(Connection& c, const Message& request) {
    const Member* self = self_of(c, request);
    if (!self) return;
    Member member = *self;
    if (request.member && request.carried.name && !c.grant().name) member.name = request.member->name;
    if (request.member && request.carried.info && !c.grant().info) member.info = request.member->info;
    if (!fits(c, request, member)) return;
    if (!c.info_updates.take(protocol::Clock::now())) {
        ++limits_hit_.updates;
        return answer_error(c, request, ErrorCode::too_many_updates,
                            over_rate_text(options_.max_info_updates_per_second, "member updates"));
    }
    engine_.update_member(member, update_announcement(member));
    c.set_member(member);
    notify(hooks_.on_update_member, member);
}

FramePtr PresenceService::update_announcement(const Member& member) {
    Message announce = message_of(Method::update_member);
    announce.member = member;
    auto frame = make_frame(std::move(announce));
    frame->view = View::update;
    frame->about = member.id;
    return frame;
}

// A diff still to be sent must not give the member as it was before its update, which
// its recipients may have had already.
void PresenceService::updated(const Member& member) {
    for (auto& [channel, diff] : pending_diffs_) {
        const auto it = diff.entries.find(member.id);
        if (it != diff.entries.end() && it->second.joined) it->second.joined = member;
    }
}

void PresenceService::settle_invitations(Connection& invitee, const std::string& channel,
                                         std::optional<ErrorCode> error) {
    for (const Invitation& invitation : invitee.take_invitations(channel))
        answer_invitation(invitation, *invitee.member(), extension::accepted, error);
}

void PresenceService::answer_invitation(const Invitation& invitation, const Member& invitee,
                                        std::string_view answer, std::optional<ErrorCode> error) {
    if (!invitation.wants_answer) return;
    Message response = message_of(Method::invitation_response);
    response.member = invitee;
    response.channel = invitation.channel;
    response.text = std::string(answer);
    if (error) response.error = protocol::make_error(*error);
    engine_.send_to_member(invitation.inviter_id, make_frame(std::move(response)));
}

FramePtr PresenceService::announcement(Change change, const Member& member, std::string_view channel) {
    return change_frame(change, member, channel, View::change);
}

std::shared_ptr<Frame> PresenceService::change_frame(Change change, const Member& member, std::string_view channel,
                                                     View view) const {
    Message announce = message_of(method_of(change));
    announce.member = member;
    if (!channel.empty()) announce.channel = std::string(channel);
    auto frame = make_frame(std::move(announce));
    frame->view = view;
    frame->about = member.id;
    frame->channel = std::string(channel);
    frame->of_user = !member.user.empty();
    return frame;
}

// Only the node that reaped `member` runs its hooks, so that a deployment reports each
// departure once, the channels it left empty included.
void PresenceService::reaped(const Member& member, const std::vector<std::string>& channels) {
    for (const std::string& channel : channels) {
        notify(hooks_.on_remove_channel_member, channel, member);
        if (!engine_.channel_exists(channel)) notify(hooks_.on_remove_channel, channel);
    }
    notify(hooks_.on_remove_member, member);
}

bool PresenceService::broadcast(std::string_view text, std::string_view channel) {
    if (!protocol::is_valid_utf8(text) || !protocol::is_valid_utf8(channel)) return false;
    Message out = message_of(Method::publish_msg);
    out.member = Member{};
    out.channel = std::string(channel);
    out.text = std::string(text);
    publish_frame(channel, std::move(out));
    return true;
}

void PresenceService::resend_unacknowledged(protocol::Clock::time_point now) {
    for (auto& [key, c] : connections_) {
        Connection& connection = *c;
        connection.unacknowledged.resend_due(
            now, options_.ack,
            [&](const Bytes& bytes) {
                ++ack_resends_;
                connection.send(bytes);
            },
            [&](const std::string& id) {
                ++ack_drops_;
                connection.report_error("message " + id + " was never acknowledged; dropped");
            });
    }
}

const Member* PresenceService::self_of(Connection& c, const Message& request) {
    const bool someone_else =
        request.member && !request.member->id.empty() && request.member->id != c.session_id();
    if (!c.member() || someone_else) {
        answer_error(c, request, ErrorCode::member_not_exists);
        return nullptr;
    }
    return &*c.member();
}

bool PresenceService::valid_channel(Connection& c, const Message& request, bool required) {
    if (required && request.channel.value_or("").empty()) {
        reject(c, request, ErrorCode::invalid_params, "channel.name is required");
        return false;
    }
    return within(c, request, "channel.name", request.channel.value_or("").size(),
                  options_.max_channel_bytes);
}

// A member's strings within the server's limits, the error answered otherwise.
bool PresenceService::fits(Connection& c, const Message& request, const Member& member) {
    return within(c, request, "member.name", member.name.size(), options_.max_name_bytes) &&
           within(c, request, "member.info", member.info.size(), options_.max_info_bytes) &&
           within(c, request, "member.user", member.user.size(), options_.max_name_bytes);
}

bool PresenceService::within(Connection& c, const Message& request, std::string_view field,
                             std::size_t size, std::size_t limit) {
    if (size <= limit) return true;
    reject(c, request, ErrorCode::invalid_params,
           std::string(field) + " is longer than " + std::to_string(limit) + " bytes");
    return false;
}

// A malformed request: answered like any error, and counted, so that a peer sending
// nothing but garbage is eventually closed.
void PresenceService::reject(Connection& c, const Message& request, ErrorCode code, std::string text) {
    c.report_error(text);
    answer_error(c, request, code, text);
    if (++c.invalid_in_a_row > options_.max_invalid_frames) {
        c.report_error("too many invalid messages");
        c.close(close_policy_violation, "too many invalid messages");
    }
}

void PresenceService::answer_error(Connection& c, const Message& request, ErrorCode code,
                                   std::string_view text, const Member* about) {
    const bool on_publish = request.method == Method::publish_msg;
    Message answer = message_of(on_publish ? Method::error_publish_msg : Method::error_member_channel);
    const Member member = about ? *about : c.member().value_or(Member{c.session_id(), {}, {}});
    answer.member = member;
    answer.channel = request.channel.value_or("");
    if (on_publish) answer.text = request.text.value_or("");
    answer.error = protocol::make_error(code);
    errors_answered_.count(code);
    if (!text.empty()) answer.error->text = std::string(text);
    const auto& hook = on_publish ? hooks_.on_error_publish_msg : hooks_.on_error_member_channel;
    notify(hook, *answer.channel, member, answer.error->code, answer.error->text);
    c.deliver(make_frame(std::move(answer)));
}

const Connection* PresenceService::connection_of(const Link& link) const {
    const auto it = connections_.find(&link);
    return it == connections_.end() ? nullptr : it->second.get();
}

// The error is about whom a refusing hook names: a join's member, an invitation's first invitee.
void PresenceService::deny(Link& link, std::string_view frame, ErrorCode code, std::string text) {
    const auto it = connections_.find(&link);
    if (it == connections_.end()) return;
    Connection& c = *it->second;
    const protocol::Decoded decoded = protocol::decode(frame);
    if (!decoded.ok() || !remembers_id(c, decoded)) return;
    const auto reply = [&c](std::string ack) { c.send(std::make_shared<const std::string>(std::move(ack))); };
    if (!protocol::admit(decoded, c.unacknowledged, c.seen_ids, reply)) return;
    const Message& request = decoded.message;
    std::optional<Member> about;
    if (request.method == Method::member_new) {
        about = request.member.value_or(Member{});
        if (about->id.empty()) about->id = c.session_id();
        if (c.grant().name) about->name = *c.grant().name;
        if (c.grant().info) about->info = *c.grant().info;
        if (c.grant().user) about->user = *c.grant().user;
    } else if (request.method == Method::channel_invitation && request.members && !request.members->empty()) {
        const Member* invitee = engine_.find_member(request.members->front().id);
        about = invitee ? *invitee : Member{request.members->front().id, {}, {}};
    }
    answer_error(c, request, code, text, about ? &*about : nullptr);
}

}  // namespace presence
