// SPDX-License-Identifier: Apache-2.0
#include "engine/redis/redis_events.h"

#include <boost/json.hpp>
#include <charconv>
#include <vector>

#include "protocol/codec.h"

namespace presence::redis {
namespace {

constexpr std::string_view no_ack = "-";

std::string header(Event::Type type, std::string_view node) {
    std::string out(1, static_cast<char>(type));
    out += ' ';
    out += node;
    return out;
}

void field(std::string& out, std::string_view value) {
    out += ' ';
    out += value;
}

std::string_view ack_field(const Frame& frame) { return frame.ack_id.empty() ? no_ack : frame.ack_id; }

std::optional<std::size_t> number(std::string_view text) {
    std::size_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> out;
    while (!line.empty()) {
        const std::size_t space = line.find(' ');
        out.push_back(line.substr(0, space));
        if (space == std::string_view::npos) break;
        line.remove_prefix(space + 1);
    }
    return out;
}

// Takes from the front of `body` a prefix of the length given in `length_field`.
bool split_body(Event& e, std::string_view length_field, std::string_view& prefix) {
    const auto length = number(length_field);
    if (!length || *length > e.body.size()) return false;
    prefix = e.body.substr(0, *length);
    e.body.remove_prefix(*length);
    return true;
}

bool split_delivery(Event& e, std::string_view length_field) {
    return split_body(e, length_field, e.delivery) && is_delivery_tag(e.delivery);
}

std::string_view ack_of(std::string_view field) { return field == no_ack ? std::string_view() : field; }

bool fill(Event& e, const std::vector<std::string_view>& f) {
    using T = Event::Type;
    switch (e.type) {
    case T::registered: return f.size() == 2 && e.body.empty();
    case T::dead:
        if (f.size() != 3 || !e.body.empty()) return false;
        e.reaper = f[2];
        return true;
    case T::join:
    case T::update:
        if (f.size() != 5) return false;
        e.ack_id = ack_of(f[2]);
        return split_body(e, f[3], e.member) && split_delivery(e, f[4]);
    case T::leave:
        if (f.size() != 5) return false;
        e.member_id = f[2];
        e.ack_id = ack_of(f[3]);
        return split_delivery(e, f[4]);
    case T::subscribe:
    case T::unsubscribe:
        if (f.size() != 6) return false;
        e.member_id = f[2];
        e.ack_id = ack_of(f[3]);
        return split_body(e, f[4], e.channel) && split_delivery(e, f[5]);
    case T::frame: {
        if (f.size() != 6 || f[3].size() != 1) return false;
        e.ack_id = ack_of(f[2]);
        e.target = static_cast<Event::Target>(f[3][0]);
        std::string_view to;
        if (!split_body(e, f[4], to) || !split_delivery(e, f[5])) return false;
        if (e.target == Event::Target::channel) e.channel = to;
        else if (e.target == Event::Target::member) e.member_id = to;
        else if (e.target != Event::Target::everyone) return false;
        return true;
    }
    }
    return false;
}

// The header's last field is the length of the frame's delivery tag; the body is
// `prefix` (whose length, if any, is in the field before), the tag, then the frame's bytes.
std::string with_frame(std::string out, const Frame& frame, std::string_view prefix = {}) {
    const std::string tag = delivery_tag(frame);
    field(out, std::to_string(tag.size()));
    out.reserve(out.size() + 1 + prefix.size() + tag.size() + frame.bytes.size());
    out += '\n';
    out += prefix;
    out += tag;
    out += frame.bytes;
    return out;
}

std::string with_body(std::string out, std::string_view prefix, const Frame& frame) {
    field(out, std::to_string(prefix.size()));
    return with_frame(std::move(out), frame, prefix);
}

}  // namespace

std::optional<Event> parse_event(std::string_view payload) {
    const std::size_t newline = payload.find('\n');
    const std::string_view line = payload.substr(0, newline);
    const std::vector<std::string_view> fields = split_fields(line);
    if (fields.size() < 2 || fields[0].size() != 1 || fields[1].empty()) return std::nullopt;
    Event e;
    e.type = static_cast<Event::Type>(fields[0][0]);
    e.node = fields[1];
    if (newline != std::string_view::npos) e.body = payload.substr(newline + 1);
    if (!fill(e, fields)) return std::nullopt;
    return e;
}

std::shared_ptr<Frame> frame_of(const Event& e) {
    auto frame = std::make_shared<Frame>();
    frame->bytes = std::string(e.body);
    frame->ack_id = std::string(e.ack_id);
    read_delivery_tag(e.delivery, *frame);  // parse_event checked it
    return frame;
}

std::string join_event(std::string_view node, std::string_view member, const Frame& frame) {
    std::string out = header(Event::Type::join, node);
    field(out, ack_field(frame));
    return with_body(std::move(out), member, frame);
}

std::string update_event(std::string_view node, std::string_view member, const Frame& frame) {
    std::string out = header(Event::Type::update, node);
    field(out, ack_field(frame));
    return with_body(std::move(out), member, frame);
}

std::string leave_event(std::string_view node, std::string_view id, const Frame& frame) {
    std::string out = header(Event::Type::leave, node);
    field(out, id);
    field(out, ack_field(frame));
    return with_frame(std::move(out), frame);
}

std::string subscription_event(Event::Type type, std::string_view node, std::string_view id,
                               std::string_view channel, const Frame& frame) {
    std::string out = header(type, node);
    field(out, id);
    field(out, ack_field(frame));
    return with_body(std::move(out), channel, frame);
}

std::string frame_event(std::string_view node, Event::Target target, std::string_view to, const Frame& frame) {
    std::string out = header(Event::Type::frame, node);
    field(out, ack_field(frame));
    field(out, std::string(1, static_cast<char>(target)));
    return with_body(std::move(out), to, frame);
}

std::string registered_event(std::string_view node) { return header(Event::Type::registered, node); }

std::string dead_event(std::string_view node, std::string_view reaper) {
    std::string out = header(Event::Type::dead, node);
    field(out, reaper);
    return out;
}

std::string member_json(const Member& member) {
    return boost::json::serialize(protocol::member_object(member));
}

std::optional<Member> member_from_json(std::string_view json) {
    boost::system::error_code ec;
    const boost::json::value value = boost::json::parse(json, ec);
    if (ec || !value.is_object()) return std::nullopt;
    const boost::json::object& o = value.get_object();
    Member m;
    for (auto [key, out] : {std::pair{"id", &m.id}, std::pair{"name", &m.name}, std::pair{"info", &m.info}}) {
        const boost::json::value* v = o.if_contains(key);
        if (!v || !v->is_string()) return std::nullopt;
        *out = std::string(v->get_string());
    }
    if (m.id.empty()) return std::nullopt;
    // Written only for members of a user.
    if (const boost::json::value* user = o.if_contains("user")) {
        if (!user->is_string()) return std::nullopt;
        m.user = std::string(user->get_string());
    }
    return m;
}

std::string subscription_entry(std::string_view id, std::string_view channel) {
    std::string out(id);
    out += ' ';
    out += channel;
    return out;
}

}  // namespace presence::redis
