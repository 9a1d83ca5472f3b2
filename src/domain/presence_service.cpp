// SPDX-License-Identifier: Apache-2.0
#include "domain/presence_service.h"

#include <charconv>
#include <utility>

#include "presence/close_codes.h"
#include "protocol/codec.h"
#include "protocol/hello_features.h"
#include "protocol/text.h"

namespace presence {
namespace {

using protocol::Message;
using protocol::Method;

namespace extension = protocol::extension;

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

// What a request that could not be decoded was, as far as it got.
Message context_of(const protocol::Decoded& decoded) {
    if (decoded.ok()) return decoded.message;
    Message context;
    if (decoded.error->method) context.method = *decoded.error->method;
    return context;
}

}  // namespace

PresenceService::PresenceService(Engine& engine, PresenceOptions options, const ServerHooks& hooks)
    : engine_(engine), options_(std::move(options)), hooks_(hooks) {
    engine_.set_listener(*this);
}

void PresenceService::connect(Link& link, Grant grant) {
    Connection& c = sessions_.open(link, std::move(grant));
    Message session = message_of(Method::session);
    session.text = c.session_id();
    c.deliver(frames_.make(std::move(session)));
    notify(hooks_.on_connect, c.session_id());
}

void PresenceService::disconnect(Link& link) {
    if (std::unique_ptr<Connection> c = sessions_.close(link)) end(std::move(c));
}

void PresenceService::end(std::unique_ptr<Connection> c) {
    if (c->member()) membership_.remove_member(*c);
    notify(hooks_.on_disconnect, c->session_id());
    views_.drop(*c);
}

// The member stays, unseen by the others; what it is sent goes to its backlog.
void PresenceService::lose(Link& link, std::shared_ptr<const void> hold) {
    if (!sessions_.detach(link, std::move(hold))) disconnect(link);
}

void PresenceService::expire(protocol::Clock::time_point now) {
    for (std::unique_ptr<Connection>& c : sessions_.take_expired(now)) end(std::move(c));
}

// A member whose grant ends is gone, not lost: its departure is announced before the
// close, so that a peer that answers the close with a reset leaves nothing to resume.
void PresenceService::end_grants(std::chrono::system_clock::time_point now) {
    while (Connection* c = sessions_.take_ended_grant(now)) {
        c->report_error("token expired");
        if (!c->attached()) {
            end(sessions_.take_detached(c->resume_token()));
            continue;
        }
        if (c->member()) membership_.remove_member(*c);
        c->close(close_code::policy_violation, "token expired");
    }
}

void PresenceService::close_all(unsigned short code, std::string_view reason) {
    sessions_.for_each([&](Connection& c) { c.close(code, reason); });
    expire(protocol::Clock::time_point::max());
}

void PresenceService::disconnect_all() {
    while (sessions_.attached() > 0) {
        Link* link = nullptr;
        sessions_.for_each([&link](Connection& c) { link = c.link(); });
        disconnect(*link);
        link->drop();
    }
    expire(protocol::Clock::time_point::max());
}

void PresenceService::report_error(const Link& link, std::string_view what) const {
    if (const Connection* c = sessions_.find(link)) c->report_error(what);
}

bool PresenceService::close_connection(std::string_view id, unsigned short code, std::string_view reason) {
    Connection* c = sessions_.find_by_id(id);
    if (!c) return false;
    if (!c->attached()) {
        end(sessions_.take_detached(c->resume_token()));
        return true;
    }
    Link& link = *c->link();
    disconnect(link);
    link.close(code, reason);
    return true;
}

void PresenceService::refuse(Link& link, ErrorCode code, std::string text) {
    if (Connection* c = sessions_.find(link)) answers_.reject(*c, Message{}, code, std::move(text));
}

void PresenceService::receive(Link& link, std::string_view frame) {
    Connection* found = sessions_.find(link);
    if (!found) return;
    Connection& c = *found;
    protocol::Decoded decoded = protocol::decode(frame);
    if (!admitted(c, decoded)) return;
    if (!c.requests.take(protocol::Clock::now())) {
        ++statistics_.limits_hit.requests;
        return answers_.reject(c, context_of(decoded), ErrorCode::too_many_requests,
                               over_rate_text(options_.max_requests_per_second, "requests"));
    }
    if (!decoded.ok())
        return answers_.reject(c, context_of(decoded), decoded.error->code, std::move(decoded.error->text));
    // A resume may replace the connection of this link: nothing may touch `c` after it.
    if (decoded.message.method == Method::resume) return resume(c, decoded.message);
    const std::size_t invalid_before = c.invalid_in_a_row;
    dispatch(c, decoded.message);
    if (c.invalid_in_a_row == invalid_before) c.invalid_in_a_row = 0;
}

// Whether the request goes on: its id remembered, its acknowledgment sent, and not a
// repeat of one already handled.
bool PresenceService::admitted(Connection& c, const protocol::Decoded& decoded) {
    if (!remembers_id(c, decoded)) return false;
    const auto reply = [&c](std::string ack) { c.send(std::make_shared<const std::string>(std::move(ack))); };
    return protocol::admit(decoded, c.unacknowledged, c.seen_ids, reply);
}

// A request's id is remembered, for acknowledgment, only when it is short enough and fits
// in what the connection may hold; otherwise the request is refused, unacknowledged.
bool PresenceService::remembers_id(Connection& c, const protocol::Decoded& decoded) {
    const std::string& id = decoded.ok() ? decoded.message.id : decoded.error->id;
    if (id.size() > options_.max_id_bytes) {
        answers_.reject(c, context_of(decoded), ErrorCode::invalid_params,
                        "id is longer than " + std::to_string(options_.max_id_bytes) + " bytes");
        return false;
    }
    const bool acknowledgment = decoded.ok() && decoded.message.method == Method::acknowledgment;
    if (id.empty() || acknowledgment || c.seen_ids.remembers(id) || c.has_room_for(protocol::SeenIds::cost(id)))
        return true;
    answers_.reject(c, context_of(decoded), ErrorCode::invalid_params,
                    "id not remembered: this connection holds the most it may (" +
                        std::to_string(options_.max_connection_state_bytes) + " bytes)");
    return false;
}

// The one place a method of the wire protocol meets its rule.
void PresenceService::dispatch(Connection& c, const Message& request) {
    switch (request.method) {
    case Method::hello: return hello(c, request);
    case Method::ping: return c.send_aside(frames_.aside(message_of(Method::pong)));
    case Method::member_new: return membership_.join(c, request);
    case Method::member_remove: return membership_.leave(c, request);
    case Method::channel_member_new: return membership_.subscribe(c, request);
    case Method::channel_member_remove: return membership_.unsubscribe(c, request);
    case Method::publish_msg: return membership_.publish(c, request);
    case Method::get_members: return membership_.get_members(c, request);
    case Method::get_members_page: return membership_.get_members_page(c, request);
    case Method::update_member: return membership_.update_member(c, request);
    case Method::channel_invitation: return invitations_.invite(c, request);
    case Method::invitation_response: return invitations_.respond(c, request);
    case Method::get_count: return views_.get_count(c, request);
    case Method::channel_counts: return views_.set_counts_only(c, request);
    case Method::get_users: return views_.get_users(c, request);
    default:
        return answers_.reject(c, request, ErrorCode::method_not_found,
                               std::string(protocol::method_name(request.method)) + " is not a request");
    }
}

void PresenceService::hello(Connection& c, const Message& request) {
    c.said_hello = true;
    const bool can_resume = options_.resume.grace.count() > 0;
    const bool can_diff = options_.diff_interval.count() > 0;
    std::vector<std::string_view> turned_off;
    if (!can_resume) turned_off.push_back(extension::resume);
    if (!can_diff) turned_off.push_back(extension::diffs);
    std::string features = protocol::hello_answer(request.text.value_or(""), turned_off);
    views_.choose(c, names(features, extension::diffs), names(features, extension::users),
                  names(features, extension::updates));
    Message answer = message_of(Method::hello);
    answer.text = std::move(features);
    c.deliver(frames_.make(std::move(answer)));
    if (!can_resume || !names(request.text, extension::resume)) return;
    sessions_.make_resumable(c);
    Message token = message_of(Method::resume_token);
    token.text = c.resume_token();
    c.send_aside(frames_.aside(token));
}

void PresenceService::resume(Connection& c, const Message& request) {
    if (c.member() || c.resumable())
        return answers_.reject(c, request, ErrorCode::invalid_params,
                               "resume must come before joining and before hello");
    const std::string text = request.text.value_or("");
    const std::optional<ResumeRequest> parsed = parse_resume(text);
    if (!parsed) return answers_.reject(c, request, ErrorCode::invalid_params, "message.text must be TOKEN:RECEIVED");
    std::unique_ptr<Connection> resumed = sessions_.claim(std::string(parsed->token), c);
    if (!resumed) {
        Message answer = message_of(Method::resume);
        answer.text = std::string(extension::expired);
        return c.send_aside(frames_.aside(answer));
    }
    take_over(c, std::move(resumed), parsed->received);
}

// The resumed connection moves onto the fresh one's link, and the fresh one ends. The
// resumed connection may do what the fresh one's credentials allow, until they end: never
// more. The client gets what it missed, or, when the backlog no longer holds it, the
// member lists of its channels to start again from; then the channels the new grant does
// not allow are left.
void PresenceService::take_over(Connection& fresh, std::unique_ptr<Connection> resumed, std::uint64_t received) {
    views_.drop(fresh);
    Connection& c = *resumed;
    const std::unique_ptr<Connection> replaced = sessions_.adopt(*fresh.link(), std::move(resumed));
    notify(hooks_.on_disconnect, replaced->session_id());

    Message answer = message_of(Method::resume);
    answer.member = c.member();
    Backlog& backlog = c.backlog();
    const bool resynced = !backlog.holds_from(received);
    answer.text = std::string(resynced ? extension::resync : extension::resumed);
    if (resynced) backlog.restart();
    c.send_aside(frames_.aside(answer));
    if (!resynced) backlog.replay_from(received, [&c](const Bytes& bytes) { c.send_aside(bytes); });
    views_.keep_to_grant(c);
    membership_.keep_to_grant(c);
    if (resynced) membership_.send_lists(c);
}

bool PresenceService::broadcast(std::string_view text, std::string_view channel) {
    return membership_.broadcast(text, channel);
}

void PresenceService::resend_unacknowledged(protocol::Clock::time_point now) {
    sessions_.for_each([&](Connection& c) {
        c.unacknowledged.resend_due(
            now, options_.ack,
            [&](const Bytes& bytes) {
                ++statistics_.ack_resends;
                c.send(bytes);
            },
            [&](const std::string& id) {
                ++statistics_.ack_drops;
                c.report_error("message " + id + " was never acknowledged; dropped");
            });
    });
}

FramePtr PresenceService::announcement(Change change, const Member& member, std::string_view channel) {
    return frames_.change(change, member, channel, View::change);
}

void PresenceService::reaped(const Member& member, const std::vector<std::string>& channels) {
    membership_.reaped(member, channels);
}

void PresenceService::changed(Change change, const Member& member, std::string_view channel) {
    views_.changed(change, member, channel);
}

FramePtr PresenceService::update_announcement(const Member& member) { return frames_.update(member); }

void PresenceService::updated(const Member& member) { views_.updated(member); }

const Connection* PresenceService::connection_of(const Link& link) const { return sessions_.find(link); }

// The error is about whom a refusing hook names: a join's member, an invitation's first invitee.
void PresenceService::deny(Link& link, std::string_view frame, ErrorCode code, std::string text) {
    Connection* found = sessions_.find(link);
    if (!found) return;
    Connection& c = *found;
    const protocol::Decoded decoded = protocol::decode(frame);
    if (!decoded.ok() || !admitted(c, decoded)) return;
    const Message& request = decoded.message;
    std::optional<Member> about;
    if (request.method == Method::member_new) {
        about = declared_member(c, request);
        apply_grant(*about, c.grant());
    } else if (request.method == Method::channel_invitation && request.members && !request.members->empty()) {
        const Member* invitee = engine_.find_member(request.members->front().id);
        about = invitee ? *invitee : Member{request.members->front().id, {}, {}};
    }
    answers_.error(c, request, code, text, about ? &*about : nullptr);
}

}  // namespace presence
