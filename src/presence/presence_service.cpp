#include "presence/presence_service.h"

#include <algorithm>

#include "protocol/codec.h"
#include "protocol/guid.h"

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

void PresenceService::connect(Link& link) {
    auto owned = std::make_unique<Connection>(link, protocol::new_guid(), options_.max_pending_invitations);
    Connection& c = *owned;
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
    if (c.member()) remove_member(c);
    notify(hooks_.on_disconnect, c.session_id());
    connections_.erase(&link);
}

void PresenceService::lose(Link& link) { disconnect(link); }

void PresenceService::close_all(unsigned short code, std::string_view reason) {
    for (auto& [link, c] : connections_) c->close(code, reason);
}

void PresenceService::disconnect_all() {
    while (!connections_.empty()) {
        Link& link = connections_.begin()->second->link();
        disconnect(link);
        link.drop();
    }
}

void PresenceService::report_error(const Link& link, std::string_view what) const {
    if (const auto it = connections_.find(&link); it != connections_.end())
        report_error(*it->second, what);
}

void PresenceService::report_error(const Connection& c, std::string_view what) const {
    notify(hooks_.on_error, c.session_id(), std::string(what));
}

void PresenceService::receive(Link& link, std::string_view frame) {
    const auto it = connections_.find(&link);
    if (it == connections_.end()) return;
    Connection& c = *it->second;
    protocol::Decoded decoded = protocol::decode(frame);
    const auto reply = [&c](std::string ack) { c.send(std::make_shared<const std::string>(std::move(ack))); };
    if (!protocol::admit(decoded, c.unacknowledged, c.seen_ids, reply)) return;
    if (!decoded.ok()) {
        Message context;
        if (decoded.error->method) context.method = *decoded.error->method;
        reject(c, context, decoded.error->code, std::move(decoded.error->text));
        return;
    }
    const std::size_t invalid_before = c.invalid_in_a_row;
    dispatch(c, decoded.message);
    if (c.invalid_in_a_row == invalid_before) c.invalid_in_a_row = 0;
}

void PresenceService::dispatch(Connection& c, const Message& request) {
    switch (request.method) {
    case Method::hello: return hello(c);
    case Method::member_new: return join(c, request);
    case Method::member_remove: return leave(c, request);
    case Method::channel_member_new: return subscribe(c, request);
    case Method::channel_member_remove: return unsubscribe(c, request);
    case Method::publish_msg: return publish(c, request);
    case Method::get_members: return get_members(c, request);
    case Method::channel_invitation: return invite(c, request);
    case Method::invitation_response: return refuse_invitation(c, request);
    default:
        return reject(c, request, ErrorCode::method_not_found,
                      std::string(protocol::method_name(request.method)) + " is not a request");
    }
}

void PresenceService::hello(Connection& c) {
    c.said_hello = true;
    Message answer = message_of(Method::hello);
    answer.text = std::string(extension::invitation_response);
    c.deliver(make_frame(std::move(answer)));
}

void PresenceService::join(Connection& c, const Message& request) {
    if (c.member()) return answer_error(c, request, ErrorCode::member_already_exists);
    Member member = request.member.value_or(Member{});
    if (member.id.empty()) member.id = c.session_id();
    if (member.id != c.session_id()) return answer_error(c, request, ErrorCode::member_not_exists);
    if (!within(c, request, "member.name", member.name.size(), options_.max_name_bytes) ||
        !within(c, request, "member.info", member.info.size(), options_.max_info_bytes))
        return;
    if (!allowed(hooks_.before_new_member, member))
        return answer_error(c, request, ErrorCode::new_member_denied, {}, &member);
    if (!engine_.add_member(member, c, announcement(Change::member_new, member, "")))
        return answer_error(c, request, ErrorCode::member_already_exists, {}, &member);
    c.set_member(member);
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
    c.invitations.clear();
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
    const std::optional<ErrorCode> error = try_subscribe(*self, channel);
    if (error) answer_error(c, request, *error);
    settle_invitations(c, channel, error);
}

std::optional<ErrorCode> PresenceService::try_subscribe(const Member& self, const std::string& channel) {
    if (engine_.is_subscribed(channel, self.id)) return ErrorCode::subscription_already_exists;
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
    engine_.publish(channel, make_frame(std::move(out)));
}

void PresenceService::get_members(Connection& c, const Message& request) {
    const Member* self = self_of(c, request);
    if (!self || !valid_channel(c, request, false)) return;
    const std::string channel = request.channel.value_or("");
    if (!channel.empty() && !engine_.channel_exists(channel))
        return answer_error(c, request, ErrorCode::channel_not_exists);
    if (!allowed(hooks_.before_send_members, channel, *self))
        return answer_error(c, request, ErrorCode::send_members_denied);
    Message answer = message_of(Method::send_members);
    answer.member = *self;
    answer.channel = channel;
    answer.members = channel.empty() ? engine_.all_members() : engine_.members(channel);
    c.deliver(make_frame(std::move(answer)));
}

void PresenceService::invite(Connection& c, const Message& request) {
    const Member* self = self_of(c, request);
    if (!self || !valid_channel(c, request, true)) return;
    if (!request.members || request.members->empty())
        return reject(c, request, ErrorCode::invalid_params, "members[] must name the invitees");
    const Member inviter = *self;
    for (const Member& wanted : *request.members) {
        const Member* invitee = engine_.find_member(wanted.id);
        if (!invitee) {
            const Member unknown{wanted.id, {}, {}};
            answer_error(c, request, ErrorCode::member_not_exists, {}, &unknown);
            continue;
        }
        invite_one(c, inviter, *request.channel, *invitee, request);
    }
}

void PresenceService::invite_one(Connection& c, const Member& self, const std::string& channel,
                                 const Member& invitee, const Message& request) {
    if (!allowed(hooks_.before_invite, channel, self, invitee))
        return answer_error(c, request, ErrorCode::invitation_denied, {}, &invitee);
    Message invitation = message_of(Method::channel_invitation);
    invitation.member = self;
    invitation.channel = channel;
    const auto frame = make_frame(std::move(invitation));
    frame->invitation = Invitation{self.id, channel, c.said_hello};
    engine_.send_to_member(invitee.id, frame);
}

void PresenceService::refuse_invitation(Connection& c, const Message& request) {
    if (!c.member()) return answer_error(c, request, ErrorCode::member_not_exists);
    if (!valid_channel(c, request, true)) return;
    const std::string inviter = request.member ? request.member->id : std::string();
    if (request.text.value_or("") != extension::refused)
        return reject(c, request, ErrorCode::invalid_params, "message.text must be \"refused\"");
    auto& pending = c.invitations;
    const auto it = std::find_if(pending.begin(), pending.end(), [&](const Invitation& p) {
        return p.inviter_id == inviter && p.channel == *request.channel;
    });
    if (it == pending.end())
        return reject(c, request, ErrorCode::invalid_params, "no pending invitation from that member");
    const Invitation invitation = *it;
    pending.erase(it);
    answer_invitation(invitation, *c.member(), extension::refused, std::nullopt);
}

void PresenceService::settle_invitations(Connection& invitee, const std::string& channel,
                                         std::optional<ErrorCode> error) {
    auto& pending = invitee.invitations;
    for (auto it = pending.begin(); it != pending.end();) {
        if (it->channel != channel) {
            ++it;
            continue;
        }
        answer_invitation(*it, *invitee.member(), extension::accepted, error);
        it = pending.erase(it);
    }
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
    Message announce = message_of(method_of(change));
    announce.member = member;
    if (!channel.empty()) announce.channel = std::string(channel);
    return make_frame(std::move(announce));
}

void PresenceService::reaped(const Member& member, const std::vector<std::string>& channels) {
    for (const std::string& channel : channels) notify(hooks_.on_remove_channel_member, channel, member);
    notify(hooks_.on_remove_member, member);
}

void PresenceService::broadcast(std::string_view text, std::string_view channel) {
    Message out = message_of(Method::publish_msg);
    out.member = Member{};
    out.channel = std::string(channel);
    out.text = std::string(text);
    engine_.publish(channel, make_frame(std::move(out)));
}

void PresenceService::resend_unacknowledged(protocol::Clock::time_point now) {
    for (auto& [key, c] : connections_) {
        Connection& connection = *c;
        connection.unacknowledged.resend_due(
            now, options_.ack, [&](const Bytes& bytes) { connection.send(bytes); },
            [&](const std::string& id) {
                report_error(connection, "message " + id + " was never acknowledged; dropped");
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
    report_error(c, text);
    answer_error(c, request, code, text);
    if (++c.invalid_in_a_row > options_.max_invalid_frames)
        c.close(close_policy_violation, "too many invalid messages");
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
    if (!text.empty()) answer.error->text = std::string(text);
    const auto& hook = on_publish ? hooks_.on_error_publish_msg : hooks_.on_error_member_channel;
    notify(hook, *answer.channel, member, answer.error->code, answer.error->text);
    c.deliver(make_frame(std::move(answer)));
}

}  // namespace presence
