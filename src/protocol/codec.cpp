// SPDX-License-Identifier: Apache-2.0
#include "protocol/codec.h"

#include <utility>

#include <boost/json.hpp>

#include "protocol/text.h"

namespace presence::protocol {
namespace json = boost::json;
namespace {

// An integer that fits in an int. A number written with a fraction or an exponent is
// not an integer, and a wider one must not wrap around into a different error code.
std::optional<int> int_value(const json::value& v) {
    if (v.is_int64() && std::in_range<int>(v.get_int64())) return static_cast<int>(v.get_int64());
    if (v.is_uint64() && std::in_range<int>(v.get_uint64()))
        return static_cast<int>(v.get_uint64());
    return std::nullopt;
}

bool carries(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && !v->is_null();
}

struct Reader {
    std::optional<DecodeError> error;

    void fail(ErrorCode code, std::string text) {
        if (!error) error = DecodeError{code, std::move(text), {}, {}};
    }

    // A string field, Base64-decoded when it carries the prefix. Bytes that are not UTF-8
    // are Latin-1: sgcWebSockets' browser client encodes with btoa(), which takes each
    // character as one byte.
    std::string string_value(const json::value& v, std::string_view field) {
        if (!v.is_string()) {
            fail(ErrorCode::invalid_params, std::string(field) + " must be a string");
            return {};
        }
        const std::string_view s = v.get_string();
        if (!s.starts_with(base64_prefix)) return std::string(s);
        auto decoded = base64_decode(s.substr(base64_prefix.size()));
        if (!decoded) {
            fail(ErrorCode::invalid_params, "bad Base64 in " + std::string(field));
            return {};
        }
        if (!is_valid_utf8(*decoded)) return latin1_to_utf8(*decoded);
        return std::move(*decoded);
    }

    std::string optional_string(const json::object& o, std::string_view key,
                                std::string_view field) {
        const json::value* v = o.if_contains(key);
        if (!v || v->is_null()) return {};
        return string_value(*v, field);
    }

    // The object under `key`, or nullptr when absent or null.
    const json::object* object_field(const json::object& o, std::string_view key) {
        const json::value* v = o.if_contains(key);
        if (!v || v->is_null()) return nullptr;
        if (!v->is_object()) {
            fail(ErrorCode::invalid_params, std::string(key) + " must be an object");
            return nullptr;
        }
        return &v->get_object();
    }

    Member member(const json::object& o, std::string_view field) {
        const std::string prefix(field);
        return Member{optional_string(o, "id", prefix + ".id"),
                      optional_string(o, "name", prefix + ".name"),
                      optional_string(o, "info", prefix + ".info"),
                      optional_string(o, "user", prefix + ".user")};
    }

    // The users extension's grouped list, flattened: each member carries its entry's user.
    std::vector<Member> users(const json::value& v) {
        std::vector<Member> out;
        if (!v.is_array()) {
            fail(ErrorCode::invalid_params, "users must be an array");
            return out;
        }
        for (const json::value& item : v.get_array()) {
            const json::value* listed = item.is_object() ? item.get_object().if_contains("members") : nullptr;
            if (!listed) {
                fail(ErrorCode::invalid_params, "users[] items must be objects with members");
                return out;
            }
            const std::string user = optional_string(item.get_object(), "user", "users[].user");
            for (Member& m : members(*listed)) {
                m.user = user;
                out.push_back(std::move(m));
            }
        }
        return out;
    }

    std::vector<Member> members(const json::value& v) {
        std::vector<Member> out;
        if (!v.is_array()) {
            fail(ErrorCode::invalid_params, "members must be an array");
            return out;
        }
        out.reserve(v.get_array().size());
        for (const json::value& item : v.get_array()) {
            if (!item.is_object()) {
                fail(ErrorCode::invalid_params, "members[] items must be objects");
                return out;
            }
            out.push_back(member(item.get_object(), "members[]"));
        }
        return out;
    }

    std::optional<Error> error_object(const json::object& o) {
        Error e;
        if (const json::value* code = o.if_contains("code")) {
            if (const std::optional<int> c = int_value(*code)) e.code = *c;
            else fail(ErrorCode::invalid_params, "error.code must be a 32-bit integer");
        }
        e.text = optional_string(o, "text", "error.text");
        return e;
    }

    void body(const json::object& root, Message& m) {
        if (const json::object* o = object_field(root, "member")) {
            m.member = member(*o, "member");
            m.carried = Carried{carries(*o, "name"), carries(*o, "info")};
        }
        if (const json::object* o = object_field(root, "channel"))
            m.channel = optional_string(*o, "name", "channel.name");
        if (const json::object* o = object_field(root, "message"))
            m.text = optional_string(*o, "text", "message.text");
        if (const json::object* o = object_field(root, "error")) m.error = error_object(*o);
        if (const json::value* v = root.if_contains("members"); v && !v->is_null())
            m.members = members(*v);
        else if (const json::value* u = root.if_contains("users"); u && !u->is_null())
            m.members = users(*u);
    }
};

DecodeError header_error(ErrorCode code, std::string text) {
    return DecodeError{code, std::move(text), {}, {}};
}

void put_string(json::object& o, std::string_view key, std::string_view value, bool base64) {
    if (base64 && !value.empty())
        o.emplace(key, std::string(base64_prefix) + base64_encode(value));
    else
        o.emplace(key, value);
}

}  // namespace

json::object member_object(const Member& m, bool base64, Carried carried) {
    json::object o;
    put_string(o, "id", m.id, base64);
    if (carried.name) put_string(o, "name", m.name, base64);
    if (carried.info) put_string(o, "info", m.info, base64);
    // Only members of a user carry the field, so that what sgcWebSockets peers are sent
    // about members of their own kind stays exactly as it was.
    if (!m.user.empty()) put_string(o, "user", m.user, base64);
    return o;
}

namespace {

// One entry per user, in the order of `members` (sorted by user): its connections under it.
// A member without a user is an entry of its own, without the field.
json::array users_array(const std::vector<Member>& members, bool base64) {
    json::array out;
    for (std::size_t i = 0; i < members.size();) {
        const std::string& user = members[i].user;
        json::array connections;
        do {
            Member m = members[i];
            m.user.clear();
            connections.push_back(member_object(m, base64));
            ++i;
        } while (!user.empty() && i < members.size() && members[i].user == user);
        json::object entry;
        if (!user.empty()) put_string(entry, "user", user, base64);
        entry.emplace("members", std::move(connections));
        out.push_back(std::move(entry));
    }
    return out;
}

}  // namespace

Decoded decode(std::string_view frame) {
    Decoded out;
    json::error_code ec;
    const json::value root = json::parse(frame, ec);
    if (ec) {
        out.error = header_error(ErrorCode::parse_error, "not JSON: " + ec.message());
        return out;
    }
    if (!root.is_object()) {
        out.error = header_error(ErrorCode::invalid_request, "a frame must be a JSON object");
        return out;
    }
    const json::object& o = root.get_object();
    Reader r;
    std::string id = r.optional_string(o, "id", "id");
    const json::value* version = o.if_contains("jsonrpc");
    const json::value* method = o.if_contains("method");
    if (!version || !version->is_string() || version->get_string() != "2.0") {
        r.fail(ErrorCode::invalid_request, "jsonrpc must be \"2.0\"");
    } else if (!method || method->is_null()) {
        r.fail(ErrorCode::invalid_request, "method is missing");
    } else if (!method->is_string()) {
        r.fail(ErrorCode::invalid_request, "method must be a string");
    } else {
        const std::string name = r.string_value(*method, "method");
        if (auto m = method_from_name(name)) out.message.method = *m;
        else if (!r.error) r.fail(ErrorCode::method_not_found, "unknown method: " + name);
        if (!r.error) r.body(o, out.message);
        if (r.error && method_from_name(name)) r.error->method = method_from_name(name);
    }
    if (r.error) {
        r.error->id = std::move(id);
        out.error = std::move(r.error);
        return out;
    }
    out.message.id = std::move(id);
    return out;
}

std::string encode(const Message& m, bool base64) {
    json::object o;
    o.emplace("jsonrpc", "2.0");
    put_string(o, "method", method_name(m.method), base64);
    if (m.member) o.emplace("member", member_object(*m.member, base64, m.carried));
    if (m.channel) {
        json::object c;
        put_string(c, "name", *m.channel, base64);
        o.emplace("channel", std::move(c));
    }
    if (m.text) {
        json::object t;
        put_string(t, "text", *m.text, base64);
        o.emplace("message", std::move(t));
    }
    if (m.error) {
        json::object e;
        e.emplace("code", m.error->code);
        put_string(e, "text", m.error->text, base64);
        o.emplace("error", std::move(e));
    }
    if (m.members && m.method == Method::users) {
        o.emplace("users", users_array(*m.members, base64));
    } else if (m.members) {
        json::array a;
        a.reserve(m.members->size());
        for (const Member& member : *m.members) a.push_back(member_object(member, base64));
        o.emplace("members", std::move(a));
    }
    if (!m.id.empty()) put_string(o, "id", m.id, base64);
    return json::serialize(o);
}

std::string encode_acknowledgment(std::string_view id) {
    Message ack;
    ack.method = Method::acknowledgment;
    ack.id = std::string(id);
    return encode(ack, false);
}

}  // namespace presence::protocol
