// SPDX-License-Identifier: Apache-2.0
#include "client/client_protocol.h"

#include <algorithm>
#include <utility>

#include "protocol/codec.h"
#include "protocol/guid.h"
#include "protocol/hello_features.h"
#include "protocol/text.h"

namespace presence::client {
namespace {

using protocol::Message;
using protocol::Method;

namespace extension = protocol::extension;

template <typename Callback, typename... Args>
void emit(const Callback& callback, Args&&... args) {
    if (callback) callback(std::forward<Args>(args)...);
}

Member member_of(const Message& m) { return m.member.value_or(Member{}); }
std::string channel_of(const Message& m) { return m.channel.value_or(""); }

// The features this client says hello with. Naming heartbeat asks nothing of the server:
// this client uses WebSocket pings, never ext@presence@ping.
std::string features(const ClientOptions& options) {
    return protocol::hello_request([&options](std::string_view name) {
        return (name == extension::resume && options.resume) || (name == extension::diffs && options.diffs) ||
               (name == extension::users && options.users) || (name == extension::updates && options.updates);
    });
}

}  // namespace

ClientProtocol::ClientProtocol(const ClientOptions& options, const ClientEvents& events, Send send)
    : options_(options), events_(events), send_(std::move(send)), name_(options.name), info_(options.info) {}

void ClientProtocol::receive(std::string_view frame) {
    const protocol::Decoded decoded = protocol::decode(frame);
    count(decoded);
    const auto reply = [this](std::string ack) { send_(std::make_shared<const std::string>(std::move(ack))); };
    if (!protocol::admit(decoded, unacknowledged_, seen_ids_, reply)) return;
    if (!decoded.ok()) return report("bad frame from the server: " + decoded.error->text);
    dispatch(decoded.message);
}

// Both sides count the frames the server sends after the token, whatever they are, except
// the pongs and the resume frames; a frame too bad to read was sent all the same.
void ClientProtocol::count(const protocol::Decoded& decoded) {
    if (!counting_) return;
    const std::optional<Method> method = decoded.ok() ? decoded.message.method : decoded.error->method;
    if (method == Method::pong || method == Method::resume || method == Method::resume_token) return;
    ++received_;
}

void ClientProtocol::connection_lost() {
    restoring_ = true;
    counting_ = false;  // the next connection's session is not one of the member's frames
}

void ClientProtocol::dispatch(const Message& m) {
    track_self(m);
    switch (m.method) {
    case Method::session: return on_session(m);
    case Method::hello: return on_hello(m);
    case Method::resume_token: return on_resume_token(m);
    case Method::resume: return on_resume(m);
    case Method::member_new: return emit(events_.on_new_member, member_of(m));
    case Method::member_remove: return emit(events_.on_remove_member, member_of(m));
    case Method::channel_member_new: return emit(events_.on_new_channel_member, channel_of(m), member_of(m));
    case Method::channel_member_remove:
        return emit(events_.on_remove_channel_member, channel_of(m), member_of(m));
    case Method::publish_msg:
        return emit(events_.on_publish_msg, channel_of(m), member_of(m), m.text.value_or(""));
    case Method::send_members:
        return emit(events_.on_get_members, channel_of(m), m.members.value_or(std::vector<Member>{}));
    case Method::channel_invitation: return on_invitation(m);
    case Method::invitation_response: return on_invitation_response(m);
    case Method::members_page:
        return emit(events_.on_members_page, channel_of(m), m.members.value_or(std::vector<Member>{}),
                    m.text.value_or(""));
    case Method::count: return on_count(m);
    case Method::diff: return on_diff(m);
    case Method::users:
        return emit(events_.on_get_users, channel_of(m), m.members.value_or(std::vector<Member>{}));
    case Method::update_member: return emit(events_.on_update_member, member_of(m));
    case Method::error_member_channel: {
        const protocol::Error e = m.error.value_or(protocol::Error{});
        return emit(events_.on_error_member_channel, channel_of(m), member_of(m), e.code, e.text);
    }
    case Method::error_publish_msg: {
        const protocol::Error e = m.error.value_or(protocol::Error{});
        return emit(events_.on_error_publish_msg, channel_of(m), member_of(m), m.text.value_or(""), e.code,
                    e.text);
    }
    default:
        return report("unexpected " + std::string(protocol::method_name(m.method)) + " from the server");
    }
}

void ClientProtocol::track_self(const Message& m) {
    if (session_id_.empty() || !m.member || m.member->id != session_id_) return;
    switch (m.method) {
    case Method::member_new: joined_ = true; break;
    case Method::member_remove: joined_ = false; break;
    case Method::channel_member_new: channels_.insert(channel_of(m)); break;
    case Method::channel_member_remove: channels_.erase(channel_of(m)); break;
    default: break;
    }
}

// A member that lost its connection asks to be resumed before anything else: the server
// takes a resume only as the first request after the session.
void ClientProtocol::on_session(const Message& m) {
    if (m.text.value_or("").empty()) return report("session frame without a session id");
    if (!restoring_) return join(*m.text);
    new_session_ = *m.text;
    Message resume;
    resume.method = Method::resume;
    resume.text = resume_token_ + ":" + std::to_string(received_);
    send_(encode(resume));
}

// The original sequence: join with the session id as member id, then OnSession. The hello
// goes first so our server can send extensions from the start; an sgc server ignores it.
void ClientProtocol::join(std::string session_id) {
    session_id_ = std::move(session_id);
    Message hello;
    hello.method = Method::hello;
    hello.text = features(options_);
    // Untracked: a server that ignores the hello might never acknowledge it either.
    send(std::move(hello), false);
    Message member_new;
    member_new.method = Method::member_new;
    member_new.member = self();
    send(std::move(member_new));
    emit(events_.on_session, session_id_);
}

void ClientProtocol::on_hello(const Message& m) {
    const std::string text = m.text.value_or("");
    const auto features = protocol::split_list(text);
    invitation_responses_ =
        std::find(features.begin(), features.end(), extension::invitation_response) != features.end();
}

void ClientProtocol::on_resume_token(const Message& m) {
    if (!options_.resume || m.text.value_or("").empty()) return report("unexpected resume token from the server");
    resume_token_ = *m.text;
    received_ = 0;
    counting_ = true;
}

void ClientProtocol::on_resume(const Message& m) {
    if (!restoring_) return report("unexpected resume answer from the server");
    restoring_ = false;
    const std::string answer = m.text.value_or("");
    if (answer == extension::resumed || answer == extension::resync) {
        counting_ = true;
        if (answer == extension::resync) received_ = 0;
        return emit(events_.on_resume, answer == extension::resumed);
    }
    if (answer != extension::expired) report("unknown resume answer '" + answer + "': joining as a new member");
    rejoin();
}

// The server has forgotten the member: the new connection joins as a new one, with its
// session id, and enters the channels the old one was in. Requests of the old member that
// are still unacknowledged would now be refused, so they are dropped.
void ClientProtocol::rejoin() {
    resume_token_.clear();
    counting_ = false;
    joined_ = false;
    unacknowledged_ = protocol::AckQueue{};
    const std::set<std::string> channels = std::exchange(channels_, {});
    join(new_session_);
    for (const std::string& channel : channels) subscribe(channel);
}

void ClientProtocol::on_invitation(const Message& m) {
    const Member inviter = member_of(m);
    const std::string channel = channel_of(m);
    if (events_.on_channel_invitation && events_.on_channel_invitation(inviter, channel))
        return subscribe(channel);
    if (!invitation_responses_) return;
    Message refusal;
    refusal.method = Method::invitation_response;
    refusal.member = Member{inviter.id, {}, {}};
    refusal.channel = channel;
    refusal.text = std::string(extension::refused);
    send(std::move(refusal));
}

void ClientProtocol::on_invitation_response(const Message& m) {
    std::optional<RemoteError> error;
    if (m.error) error = RemoteError{m.error->code, m.error->text};
    emit(events_.on_channel_invitation_response, member_of(m), channel_of(m), m.text == extension::accepted, error);
}

void ClientProtocol::subscribe(const std::string& channel) { send(request(Method::channel_member_new, channel)); }

void ClientProtocol::unsubscribe(const std::string& channel) {
    send(request(Method::channel_member_remove, channel));
}

void ClientProtocol::publish(const std::string& text, const std::string& channel) {
    Message m = request(Method::publish_msg, channel);
    m.text = text;
    send(std::move(m));
}

void ClientProtocol::invite(const std::string& channel, const std::string& member_id) {
    Message m = request(Method::channel_invitation, channel);
    m.members = std::vector<Member>{Member{member_id, {}, {}}};
    send(std::move(m));
}

void ClientProtocol::get_members(const std::string& channel) { send(request(Method::get_members, channel)); }

void ClientProtocol::get_members_page(const std::string& channel, std::size_t limit, const std::string& cursor) {
    Message m = request(Method::get_members_page, channel);
    m.text = std::to_string(limit);
    if (!cursor.empty()) *m.text += ":" + cursor;
    send(std::move(m));
}

void ClientProtocol::get_count(const std::string& channel) { send(request(Method::get_count, channel)); }

void ClientProtocol::get_users(const std::string& channel) { send(request(Method::get_users, channel)); }

void ClientProtocol::set_counts_only(const std::string& channel, bool on) {
    Message m = request(Method::channel_counts, channel);
    m.text = std::string(on ? extension::on : extension::off);
    send(std::move(m));
}

void ClientProtocol::update_member(const std::optional<std::string>& name, const std::optional<std::string>& info) {
    if (name) name_ = *name;
    if (info) info_ = *info;
    Message m;
    m.method = Method::update_member;
    m.member = self();
    m.carried = protocol::Carried{name.has_value(), info.has_value()};
    send(std::move(m));
}

void ClientProtocol::on_count(const Message& m) {
    const std::optional<std::size_t> count = protocol::parse_count(m.text.value_or(""));
    if (!count) return report("count frame without a count");
    emit(events_.on_count, channel_of(m), *count);
}

// message.text is "JOINED COUNT": members[] holds the joined ones first, then the left ones.
void ClientProtocol::on_diff(const Message& m) {
    const std::string text = m.text.value_or("");
    const std::size_t space = text.find(' ');
    const std::optional<std::size_t> joins = protocol::parse_count(text.substr(0, space));
    const std::optional<std::size_t> count =
        space == std::string::npos ? std::nullopt : protocol::parse_count(text.substr(space + 1));
    const std::vector<Member> members = m.members.value_or(std::vector<Member>{});
    if (!joins || !count || *joins > members.size()) return report("diff frame with a bad message.text");
    const auto split = members.begin() + static_cast<std::ptrdiff_t>(*joins);
    emit(events_.on_diff, channel_of(m), std::vector<Member>(members.begin(), split),
         std::vector<Member>(split, members.end()), *count);
}

void ClientProtocol::resend_due(protocol::Clock::time_point now) {
    if (restoring_) return;
    unacknowledged_.resend_due(now, options_.ack, send_, [this](const std::string& id) {
        report("message " + id + " was never acknowledged; dropped after " +
               std::to_string(options_.ack.max_retries) + " re-sends");
    });
}

void ClientProtocol::send(Message m, bool tracked) {
    if (tracked && options_.ack.enabled) m.id = protocol::new_guid();
    const Bytes bytes = encode(m);
    if (!m.id.empty()) unacknowledged_.track(m.id, bytes, protocol::Clock::now());
    // With acknowledgment on, what is dropped here is re-sent once the member is back.
    if (restoring_) return report("not connected: message dropped");
    send_(bytes);
}

ClientProtocol::Bytes ClientProtocol::encode(const Message& m) const {
    return std::make_shared<const std::string>(protocol::encode(m, options_.encode_base64));
}

Message ClientProtocol::request(Method method, std::string channel) const {
    Message m;
    m.method = method;
    m.member = self();
    m.channel = std::move(channel);
    return m;
}

Member ClientProtocol::self() const { return Member{session_id_, name_, info_, options_.user}; }

void ClientProtocol::report(const std::string& what) const { emit(events_.on_error, what); }

}  // namespace presence::client
