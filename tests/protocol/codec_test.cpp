// SPDX-License-Identifier: Apache-2.0
#include "protocol/codec.h"
#include "protocol/text.h"

#include <limits>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

// Readable values in failure messages; found by GoogleTest through the types' namespaces.
namespace presence {
static void PrintTo(const Member& m, std::ostream* os) {
    *os << "{id:\"" << m.id << "\", name:\"" << m.name << "\", info:\"" << m.info << "\"}";
}
static void PrintTo(ErrorCode c, std::ostream* os) { *os << static_cast<int>(c); }
}  // namespace presence

namespace presence::protocol {

static void PrintTo(const Error& e, std::ostream* os) {
    *os << "{code:" << e.code << ", text:\"" << e.text << "\"}";
}

static void PrintTo(const Message& m, std::ostream* os) {
    *os << method_name(m.method) << " " << ::testing::PrintToString(m.member)
        << " channel=" << ::testing::PrintToString(m.channel)
        << " text=" << ::testing::PrintToString(m.text)
        << " error=" << ::testing::PrintToString(m.error)
        << " members=" << ::testing::PrintToString(m.members) << " id=\"" << m.id << "\"";
}

static void PrintTo(Method m, std::ostream* os) { *os << method_name(m); }

namespace {

namespace json = boost::json;

constexpr Method all_methods[] = {
    Method::session,
    Method::member_new,
    Method::member_remove,
    Method::channel_member_new,
    Method::channel_member_remove,
    Method::publish_msg,
    Method::get_members,
    Method::send_members,
    Method::channel_invitation,
    Method::error_member_channel,
    Method::error_publish_msg,
    Method::acknowledgment,
    Method::hello,
    Method::invitation_response,
    Method::resume,
    Method::resume_token,
    Method::ping,
    Method::pong,
    Method::get_members_page,
    Method::members_page,
    Method::get_count,
    Method::count,
    Method::channel_counts,
    Method::diff,
    Method::update_member,
};

const Member ann{"3f2c5a6e-1b7d-4c1e-9a0f-2d4e6b8c0a1f", "Ann", "line one\r\nline two"};
const Member bob{"b0b", "Bob", ""};

// A message with the objects `method` carries on the wire, and an acknowledgment id.
Message sample(Method method) {
    Message m;
    m.method = method;
    m.id = "9d1e2f3a-aaaa-bbbb-cccc-000000000001";
    switch (method) {
    case Method::session:
    case Method::hello:
    case Method::resume_token:
        m.text = "e7a1c2d3-0000-4000-8000-123456789abc";
        break;
    case Method::member_new:
    case Method::member_remove:
    case Method::update_member:
        m.member = ann;
        break;
    case Method::channel_member_new:
    case Method::channel_member_remove:
        m.member = ann;
        m.channel = "room";
        break;
    case Method::publish_msg:
        m.member = ann;
        m.channel = "room";
        m.text = "hello, room";
        break;
    case Method::get_members:
    case Method::get_users:
        m.member = ann;
        m.channel = "";
        break;
    case Method::users:
        m.member = ann;
        m.channel = "room";
        m.members = std::vector<Member>{Member{"c4rl", "Carl", ""}, Member{ann.id, ann.name, ann.info, "u-ann"},
                                        Member{"a2", "Ann", "tab 2", "u-ann"}};
        break;
    case Method::send_members:
        m.member = ann;
        m.channel = "room";
        m.members = std::vector<Member>{ann, bob};
        break;
    case Method::channel_invitation:
        m.member = ann;
        m.channel = "room";
        m.members = std::vector<Member>{Member{"b0b", "", ""}, Member{"c4rl", "", ""}};
        break;
    case Method::error_member_channel:
        m.member = ann;
        m.channel = "room";
        m.error = make_error(ErrorCode::subscription_already_exists);
        break;
    case Method::error_publish_msg:
        m.member = ann;
        m.channel = "room";
        m.text = "hello, room";
        m.error = make_error(ErrorCode::subscription_not_exists);
        break;
    case Method::acknowledgment:
    case Method::ping:
    case Method::pong:
        break;
    case Method::resume:
        m.member = ann;
        m.text = "resumed";
        break;
    case Method::get_members_page:
    case Method::get_count:
    case Method::channel_counts:
        m.member = ann;
        m.channel = "room";
        m.text = "100:b0b";
        break;
    case Method::members_page:
    case Method::diff:
        m.member = ann;
        m.channel = "room";
        m.members = std::vector<Member>{ann, bob};
        m.text = "1 7";
        break;
    case Method::count:
        m.channel = "room";
        m.text = "7";
        break;
    case Method::invitation_response:
        m.member = bob;
        m.channel = "room";
        m.text = "accepted";
        m.error = make_error(ErrorCode::new_channel_denied);
        break;
    }
    return m;
}

json::object parse_object(const std::string& frame) {
    return json::parse(frame).as_object();
}

// Every string value in `v`, with the path that leads to it.
void collect_strings(const json::value& v, const std::string& path,
                     std::vector<std::pair<std::string, std::string>>& out) {
    if (v.is_string()) {
        out.emplace_back(path, std::string(v.get_string()));
    } else if (v.is_object()) {
        for (const auto& [key, item] : v.get_object())
            collect_strings(item, path + "." + std::string(key), out);
    } else if (v.is_array()) {
        for (const json::value& item : v.get_array()) collect_strings(item, path + "[]", out);
    }
}

std::vector<std::string> keys(const json::object& o) {
    std::vector<std::string> out;
    for (const auto& [key, value] : o) out.emplace_back(key);
    return out;
}

Message decode_ok(std::string_view frame) {
    const Decoded d = decode(frame);
    EXPECT_TRUE(d.ok()) << frame << " -> " << (d.error ? d.error->text : "");
    return d.message;
}

DecodeError decode_error(std::string_view frame) {
    const Decoded d = decode(frame);
    EXPECT_FALSE(d.ok()) << frame << " was accepted";
    return d.error.value_or(DecodeError{});
}

std::string b64(std::string_view s) { return std::string(base64_prefix) + base64_encode(s); }

// --- round trips ---------------------------------------------------------------------

class RoundTrip : public ::testing::TestWithParam<std::tuple<Method, bool>> {};

TEST_P(RoundTrip, EncodeThenDecodeGivesTheSameMessage) {
    const auto [method, base64] = GetParam();
    const Message original = sample(method);
    const std::string frame = encode(original, base64);
    const Decoded back = decode(frame);
    ASSERT_TRUE(back.ok()) << frame << " -> " << back.error->text;
    EXPECT_EQ(back.message, original) << frame;
}

TEST_P(RoundTrip, Base64CoversEveryNonEmptyStringButJsonrpc) {
    const auto [method, base64] = GetParam();
    const std::string frame = encode(sample(method), base64);
    const json::object root = parse_object(frame);

    ASSERT_TRUE(root.contains("jsonrpc"));
    EXPECT_EQ(root.at("jsonrpc"), "2.0") << frame;

    std::vector<std::pair<std::string, std::string>> strings;
    collect_strings(root, "", strings);
    for (const auto& [path, value] : strings) {
        if (path == ".jsonrpc" || value.empty()) {
            EXPECT_FALSE(value.starts_with(base64_prefix)) << path << " in " << frame;
            continue;
        }
        EXPECT_EQ(value.starts_with(base64_prefix), base64) << path << " in " << frame;
    }
    if (const json::value* error = root.if_contains("error")) {
        EXPECT_TRUE(error->at("code").is_int64()) << frame;
    }
}

std::string round_trip_name(const ::testing::TestParamInfo<std::tuple<Method, bool>>& info) {
    std::string name(method_name(std::get<0>(info.param)));
    for (char& c : name)
        if (c == '@') c = '_';
    return name + (std::get<1>(info.param) ? "_base64" : "_plain");
}

INSTANTIATE_TEST_SUITE_P(EveryMethod, RoundTrip,
                         ::testing::Combine(::testing::ValuesIn(all_methods), ::testing::Bool()),
                         round_trip_name);

TEST(MethodNames, EveryMethodHasAUniqueNameThatMapsBack) {
    std::vector<std::string_view> seen;
    for (const Method m : all_methods) {
        const std::string_view name = method_name(m);
        ASSERT_FALSE(name.empty());
        EXPECT_EQ(method_from_name(name), m) << name;
        for (const std::string_view other : seen) EXPECT_NE(name, other);
        seen.push_back(name);
    }
    EXPECT_EQ(method_name(Method::publish_msg), "sgc@presence@publish@msg");
    EXPECT_EQ(method_name(Method::hello), "ext@presence@hello");
    EXPECT_EQ(method_name(Method::invitation_response),
              "ext@presence@channel@invitation@response");
    EXPECT_FALSE(method_from_name(""));
    EXPECT_FALSE(method_from_name("SGC@presence@session"));
    EXPECT_FALSE(method_from_name("sgc@presence@session "));
}

// --- exact output --------------------------------------------------------------------

TEST(Encode, WritesOnlyTheObjectsThatAreSet) {
    Message m;
    m.method = Method::session;
    EXPECT_EQ(encode(m, false), R"({"jsonrpc":"2.0","method":"sgc@presence@session"})");
    m.text = "s-1";
    EXPECT_EQ(encode(m, false),
              R"({"jsonrpc":"2.0","method":"sgc@presence@session","message":{"text":"s-1"}})");
}

TEST(Encode, PlainPublishIsExact) {
    Message m;
    m.method = Method::publish_msg;
    m.member = Member{"m1", "Ann", ""};
    m.channel = "room";
    m.text = "hi";
    EXPECT_EQ(encode(m, false),
              R"({"jsonrpc":"2.0","method":"sgc@presence@publish@msg",)"
              R"("member":{"id":"m1","name":"Ann","info":""},"channel":{"name":"room"},)"
              R"("message":{"text":"hi"}})");
}

TEST(Encode, Base64PublishIsExactAndLeavesEmptyStringsAlone) {
    Message m;
    m.method = Method::publish_msg;
    m.member = Member{"m1", "Ann", ""};
    m.channel = "room";
    m.text = "hi";
    m.id = "id-1";
    EXPECT_EQ(encode(m, true),
              R"({"jsonrpc":"2.0","method":"sgc@b64:c2djQHByZXNlbmNlQHB1Ymxpc2hAbXNn",)"
              R"("member":{"id":"sgc@b64:bTE=","name":"sgc@b64:QW5u","info":""},)"
              R"("channel":{"name":"sgc@b64:cm9vbQ=="},"message":{"text":"sgc@b64:aGk="},)"
              R"("id":"sgc@b64:aWQtMQ=="})");
}

TEST(Encode, ErrorCodeStaysAnIntegerWithBase64) {
    Message m;
    m.method = Method::error_member_channel;
    m.error = Error{-32602, ""};
    EXPECT_EQ(encode(m, true),
              R"({"jsonrpc":"2.0","method":"sgc@b64:)" + base64_encode(method_name(m.method)) +
                  R"(","error":{"code":-32602,"text":""}})");
}

TEST(Encode, KeysComeInTheDocumentedOrder) {
    Message m;
    m.method = Method::error_publish_msg;
    m.id = "x";
    m.members = std::vector<Member>{bob};
    m.error = Error{5, "Channel not exists"};
    m.text = "t";
    m.channel = "c";
    m.member = ann;
    for (const bool base64 : {false, true}) {
        const json::object root = parse_object(encode(m, base64));
        EXPECT_EQ(keys(root), (std::vector<std::string>{"jsonrpc", "method", "member", "channel",
                                                        "message", "error", "members", "id"}));
        EXPECT_EQ(keys(root.at("member").as_object()),
                  (std::vector<std::string>{"id", "name", "info"}));
        EXPECT_EQ(keys(root.at("members").as_array().at(0).as_object()),
                  (std::vector<std::string>{"id", "name", "info"}));
        EXPECT_EQ(keys(root.at("error").as_object()), (std::vector<std::string>{"code", "text"}));
    }
}

// A member of no user is written exactly as sgcWebSockets writes members; a member of a
// user carries the field after the others.
TEST(Encode, UserIsWrittenOnlyForMembersOfAUser) {
    Message m;
    m.method = Method::member_new;
    m.member = bob;
    EXPECT_EQ(keys(parse_object(encode(m, false)).at("member").as_object()),
              (std::vector<std::string>{"id", "name", "info"}));
    m.member->user = "u-bob";
    const json::object member = parse_object(encode(m, false)).at("member").as_object();
    EXPECT_EQ(keys(member), (std::vector<std::string>{"id", "name", "info", "user"}));
    EXPECT_EQ(member.at("user").as_string(), "u-bob");
}

// Each user once with its connections under it; members of no user each on their own.
TEST(Encode, UsersListGroupsTheConnectionsOfEachUser) {
    Message m;
    m.method = Method::users;
    m.channel = "room";
    m.members = std::vector<Member>{Member{"c1", "", ""}, Member{"c2", "", ""}, Member{"a1", "A", "", "u-a"},
                                    Member{"a2", "A", "tab", "u-a"}, Member{"b1", "B", "", "u-b"}};
    const json::object root = parse_object(encode(m, false));
    EXPECT_FALSE(root.contains("members"));
    EXPECT_EQ(json::serialize(root.at("users")),
              R"([{"members":[{"id":"c1","name":"","info":""}]},{"members":[{"id":"c2","name":"","info":""}]},)"
              R"({"user":"u-a","members":[{"id":"a1","name":"A","info":""},{"id":"a2","name":"A","info":"tab"}]},)"
              R"({"user":"u-b","members":[{"id":"b1","name":"B","info":""}]}])");
}

TEST(Encode, EmptyMembersListIsWritten) {
    Message m;
    m.method = Method::send_members;
    m.channel = "";
    m.members = std::vector<Member>{};
    EXPECT_EQ(encode(m, true),
              R"({"jsonrpc":"2.0","method":"sgc@b64:)" + base64_encode(method_name(m.method)) +
                  R"(","channel":{"name":""},"members":[]})");
}

TEST(Acknowledgment, IsNeverBase64) {
    EXPECT_EQ(encode_acknowledgment("id-1"),
              R"({"jsonrpc":"2.0","method":"sgc@presence@acknowledgment","id":"id-1"})");
    const Message back = decode_ok(encode_acknowledgment("9d1e2f3a-\"quoted\"-\\"));
    EXPECT_EQ(back.method, Method::acknowledgment);
    EXPECT_EQ(back.id, "9d1e2f3a-\"quoted\"-\\");
    EXPECT_FALSE(back.member || back.channel || back.text || back.error || back.members);
}

// --- frames as sgcWebSockets writes them ---------------------------------------------

TEST(DecodeSgc, SessionFrame) {
    const Message m = decode_ok(
        R"({"jsonrpc":"2.0","method":"sgc@presence@session",)"
        R"("message":{"text":"{6F9619FF-8B86-D011-B42D-00C04FC964FF}"}})");
    EXPECT_EQ(m.method, Method::session);
    EXPECT_EQ(m.text, "{6F9619FF-8B86-D011-B42D-00C04FC964FF}");
    EXPECT_FALSE(m.member || m.channel || m.error || m.members);
    EXPECT_EQ(m.id, "");
}

TEST(DecodeSgc, MemberNewWithMultiLineInfo) {
    const Message m = decode_ok(
        "{\"jsonrpc\": \"2.0\", \"method\": \"sgc@presence@member@new\",\n"
        " \"member\": {\"id\": \"s-1\", \"name\": \"Ann\", \"info\": \"city=Rome\\r\\nage=30\"}}");
    EXPECT_EQ(m.method, Method::member_new);
    EXPECT_EQ(m.member, (Member{"s-1", "Ann", "city=Rome\r\nage=30"}));
}

TEST(DecodeSgc, KeyOrderAndUnknownKeysDoNotMatter) {
    const Message m = decode_ok(
        R"({"channel":{"name":"room","extra":1},"member":{"info":"","name":"Ann","id":"s-1"},)"
        R"("method":"sgc@presence@channel@member@new","params":[1,2],"jsonrpc":"2.0"})");
    EXPECT_EQ(m.method, Method::channel_member_new);
    EXPECT_EQ(m.member, (Member{"s-1", "Ann", ""}));
    EXPECT_EQ(m.channel, "room");
}

TEST(DecodeSgc, MissingFieldsInsideObjectsAreEmpty) {
    const Message m = decode_ok(
        R"({"jsonrpc":"2.0","method":"sgc@presence@get@members","channel":{},"member":{"id":"s-1"}})");
    EXPECT_EQ(m.channel, "");
    EXPECT_EQ(m.member, (Member{"s-1", "", ""}));
}

TEST(DecodeSgc, Base64PublishWithAckId) {
    const Message m = decode_ok(
        R"({"jsonrpc":"2.0","method":"sgc@b64:c2djQHByZXNlbmNlQHB1Ymxpc2hAbXNn",)"
        R"("member":{"id":"sgc@b64:bTE=","name":"sgc@b64:QW5u","info":""},)"
        R"("channel":{"name":"sgc@b64:cm9vbQ=="},"message":{"text":"sgc@b64:aGk="},)"
        R"("id":"sgc@b64:aWQtMQ=="})");
    EXPECT_EQ(m.method, Method::publish_msg);
    EXPECT_EQ(m.member, (Member{"m1", "Ann", ""}));
    EXPECT_EQ(m.channel, "room");
    EXPECT_EQ(m.text, "hi");
    EXPECT_EQ(m.id, "id-1");
}

TEST(DecodeSgc, MixedPlainAndBase64StringsAreBothRead) {
    // A receiver decodes every prefixed string whatever its own setting; plain strings
    // next to them are taken as they are.
    const Message m = decode_ok(
        R"({"jsonrpc":"2.0","method":"sgc@presence@publish@msg",)"
        R"("member":{"id":"m1","name":"sgc@b64:Wm/Dqw==","info":""},)"
        R"("channel":{"name":"room"},"message":{"text":"sgc@b64:"}})");
    EXPECT_EQ(m.member, (Member{"m1", "Zoë", ""}));
    EXPECT_EQ(m.channel, "room");
    EXPECT_EQ(m.text, "");
}

TEST(DecodeSgc, SendMembersWithBase64Items) {
    const Message m = decode_ok(
        R"({"jsonrpc":"2.0","method":"sgc@presence@send@members",)"
        R"("channel":{"name":""},"member":{"id":"m1","name":"Ann","info":""},)"
        R"("members":[{"id":"sgc@b64:bTE=","name":"sgc@b64:QW5u","info":""},)"
        R"({"id":"b0b","name":"sgc@b64:Wm/Dqw==","info":"x"}]})");
    EXPECT_EQ(m.method, Method::send_members);
    EXPECT_EQ(m.channel, "");
    ASSERT_TRUE(m.members);
    EXPECT_EQ(*m.members, (std::vector<Member>{{"m1", "Ann", ""}, {"b0b", "Zoë", "x"}}));
}

TEST(DecodeSgc, InvitationWithInviteesById) {
    const Message m = decode_ok(
        R"({"jsonrpc":"2.0","method":"sgc@presence@channel@invitation",)"
        R"("member":{"id":"m1","name":"Ann","info":""},"channel":{"name":"room"},)"
        R"("members":[{"id":"b0b"},{"id":"c4rl"}]})");
    EXPECT_EQ(m.method, Method::channel_invitation);
    ASSERT_TRUE(m.members);
    EXPECT_EQ(*m.members, (std::vector<Member>{{"b0b", "", ""}, {"c4rl", "", ""}}));
}

TEST(DecodeSgc, ErrorFrames) {
    const Message e = decode_ok(
        R"({"jsonrpc":"2.0","method":"sgc@presence@error@member@channel",)"
        R"("error":{"code":11,"text":"Subscription already exists."},)"
        R"("channel":{"name":"room"},"member":{"id":"m1","name":"Ann","info":""}})");
    EXPECT_EQ(e.method, Method::error_member_channel);
    EXPECT_EQ(e.error, make_error(ErrorCode::subscription_already_exists));

    const Message p = decode_ok(
        R"({"jsonrpc":"2.0","method":"sgc@presence@error@publish@msg",)"
        R"("error":{"code":12,"text":"sgc@b64:)" + base64_encode("Subscription not exists.") +
        R"("},"message":{"text":"hi"},"channel":{"name":"room"},)"
        R"("member":{"id":"m1","name":"Ann","info":""}})");
    EXPECT_EQ(p.method, Method::error_publish_msg);
    EXPECT_EQ(p.error, make_error(ErrorCode::subscription_not_exists));
    EXPECT_EQ(p.text, "hi");
}

TEST(DecodeSgc, NegativeAndLargeErrorCodesInRange) {
    EXPECT_EQ(decode_ok(R"({"jsonrpc":"2.0","method":"sgc@presence@error@member@channel",)"
                        R"("error":{"code":-32700,"text":"x"}})")
                  .error,
              (Error{-32700, "x"}));
    EXPECT_EQ(decode_ok(R"({"jsonrpc":"2.0","method":"sgc@presence@error@member@channel",)"
                        R"("error":{"code":2147483647}})")
                  .error,
              (Error{2147483647, ""}));
    EXPECT_EQ(decode_ok(R"({"jsonrpc":"2.0","method":"sgc@presence@error@member@channel",)"
                        R"("error":{"code":-2147483648}})")
                  .error,
              (Error{std::numeric_limits<int>::min(), ""}));
}

TEST(DecodeSgc, AcknowledgmentFrame) {
    const Message m = decode_ok(
        R"({"jsonrpc":"2.0","method":"sgc@presence@acknowledgment","id":"{A1B2}"})");
    EXPECT_EQ(m.method, Method::acknowledgment);
    EXPECT_EQ(m.id, "{A1B2}");
}

TEST(Decode, NullObjectsAreAbsent) {
    const Message m = decode_ok(
        R"({"jsonrpc":"2.0","method":"sgc@presence@publish@msg","member":null,)"
        R"("channel":null,"message":null,"error":null,"members":null,"id":null})");
    EXPECT_EQ(m.method, Method::publish_msg);
    EXPECT_FALSE(m.member);
    EXPECT_FALSE(m.channel);
    EXPECT_FALSE(m.text);
    EXPECT_FALSE(m.error);
    EXPECT_FALSE(m.members);
    EXPECT_EQ(m.id, "");
}

TEST(Decode, NullStringsInsideObjectsAreEmpty) {
    const Message m = decode_ok(
        R"({"jsonrpc":"2.0","method":"sgc@presence@member@new",)"
        R"("member":{"id":null,"name":"Ann","info":null}})");
    EXPECT_EQ(m.member, (Member{"", "Ann", ""}));
}

// --- member updates: only the fields carried ----------------------------------------

TEST(MemberUpdate, MethodName) {
    EXPECT_EQ(method_name(Method::update_member), "ext@presence@member@update");
}

TEST(MemberUpdate, AbsentOrNullFieldsAreNotCarried) {
    const Message name_only = decode_ok(
        R"({"jsonrpc":"2.0","method":"ext@presence@member@update","member":{"id":"m1","name":"Ann"}})");
    EXPECT_EQ(name_only.method, Method::update_member);
    EXPECT_EQ(name_only.member, (Member{"m1", "Ann", ""}));
    EXPECT_EQ(name_only.carried, (Carried{true, false}));
    const Message info_only = decode_ok(
        R"({"jsonrpc":"2.0","method":"ext@presence@member@update","member":{"name":null,"info":""}})");
    EXPECT_EQ(info_only.carried, (Carried{false, true}));
    const Message both = decode_ok(
        R"({"jsonrpc":"2.0","method":"ext@presence@member@update","member":{"name":"","info":"sgc@b64:eA=="}})");
    EXPECT_EQ(both.member, (Member{"", "", "x"}));
    EXPECT_EQ(both.carried, (Carried{true, true}));
}

TEST(MemberUpdate, EncodeLeavesOutWhatIsNotCarried) {
    Message m;
    m.method = Method::update_member;
    m.member = Member{"m1", "Ann", "ignored"};
    m.carried = Carried{true, false};
    EXPECT_EQ(encode(m, false),
              R"({"jsonrpc":"2.0","method":"ext@presence@member@update","member":{"id":"m1","name":"Ann"}})");
    m.carried = Carried{false, true};
    const Message back = decode_ok(encode(m, true));
    EXPECT_EQ(back.member, (Member{"m1", "", "ignored"}));
    EXPECT_EQ(back.carried, (Carried{false, true}));
}

TEST(MemberUpdate, WronglyTypedFieldsAreInvalidParams) {
    EXPECT_EQ(decode_error(R"({"jsonrpc":"2.0","method":"ext@presence@member@update","member":{"name":5}})").code,
              ErrorCode::invalid_params);
    EXPECT_EQ(decode_error(R"({"jsonrpc":"2.0","method":"ext@presence@member@update","member":"Ann"})").code,
              ErrorCode::invalid_params);
}

// --- text that needs care ------------------------------------------------------------

class AwkwardText : public ::testing::TestWithParam<bool> {};

TEST_P(AwkwardText, SurvivesARoundTrip) {
    using namespace std::string_literals;
    const std::vector<std::string> texts = {
        "Zoë Ærøskøbing",
        "日本語のテキスト",
        "emoji \xF0\x9F\x98\x80 and \xF4\x8F\xBF\xBF",
        "quote \" backslash \\ slash / ",
        "controls \b\f\n\r\t \x01 \x1F end",
        "nul \0 inside"s,
        "</script><!--",
        "sgc@b64:not really Base64",
        "sgc@b64:",
        "   leading and trailing   ",
    };
    for (const std::string& t : texts) {
        Message m;
        m.method = Method::publish_msg;
        m.member = Member{t, t, t};
        m.channel = t;
        m.text = t;
        m.error = Error{20, t};
        m.members = std::vector<Member>{Member{t, t, t}};
        m.id = t;
        const bool base64 = GetParam();
        const std::string frame = encode(m, base64);
        if (base64 || !t.starts_with(base64_prefix)) {
            const Decoded back = decode(frame);
            ASSERT_TRUE(back.ok()) << frame << " -> " << back.error->text;
            EXPECT_EQ(back.message, m) << frame;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Both, AwkwardText, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "base64" : "plain"; });

TEST(Decode, JsonEscapesAreUnderstood) {
    const Message m = decode_ok(
        R"({"jsonrpc":"2.0","method":"sgc@presence@publish@msg",)"
        R"("message":{"text":"\u00e9\ud83d\ude00\"\\\/\n\u0000"}})");
    EXPECT_EQ(m.text, std::string("\xC3\xA9\xF0\x9F\x98\x80\"\\/\n\0", 11));
}

TEST(Decode, PlainTextStartingWithThePrefixIsTakenForBase64) {
    // A plain string that happens to start with the prefix cannot be told apart from an
    // encoded one: a sender must encode such a string (Base64 on) to send it safely.
    const Decoded d = decode(
        R"({"jsonrpc":"2.0","method":"sgc@presence@publish@msg",)"
        R"("message":{"text":"sgc@b64:not really Base64"}})");
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error->code, ErrorCode::invalid_params);
}

// --- malformed input -----------------------------------------------------------------

struct Bad {
    std::string frame;
    ErrorCode code;
};

void expect_rejected(const std::vector<Bad>& cases) {
    for (const Bad& c : cases) {
        const DecodeError e = decode_error(c.frame);
        EXPECT_EQ(static_cast<int>(e.code), static_cast<int>(c.code)) << c.frame;
        EXPECT_FALSE(e.text.empty()) << c.frame;
    }
}

TEST(Reject, NotJsonIsParseError) {
    expect_rejected({
        {"", ErrorCode::parse_error},
        {"hello", ErrorCode::parse_error},
        {R"({"jsonrpc":"2.0","method":)", ErrorCode::parse_error},
        {R"({'jsonrpc':'2.0'})", ErrorCode::parse_error},
        {R"({"jsonrpc":"2.0",})", ErrorCode::parse_error},
        {R"({"jsonrpc":"2.0"} {})", ErrorCode::parse_error},
        {"{\"jsonrpc\":\"2.0\",\"method\":\"sgc@presence@session\",\"message\":{\"text\":\"\xFF\"}}",
         ErrorCode::parse_error},
    });
}

TEST(Reject, NotAnObjectIsInvalidRequest) {
    expect_rejected({
        {"[1,2,3]", ErrorCode::invalid_request},
        {"[]", ErrorCode::invalid_request},
        {"42", ErrorCode::invalid_request},
        {R"("sgc@presence@session")", ErrorCode::invalid_request},
        {"null", ErrorCode::invalid_request},
        {"true", ErrorCode::invalid_request},
    });
}

TEST(Reject, BadJsonrpcIsInvalidRequest) {
    expect_rejected({
        {R"({"method":"sgc@presence@session"})", ErrorCode::invalid_request},
        {R"({"jsonrpc":"1.0","method":"sgc@presence@session"})", ErrorCode::invalid_request},
        {R"({"jsonrpc":"2","method":"sgc@presence@session"})", ErrorCode::invalid_request},
        {R"({"jsonrpc":2.0,"method":"sgc@presence@session"})", ErrorCode::invalid_request},
        {R"({"jsonrpc":null,"method":"sgc@presence@session"})", ErrorCode::invalid_request},
        {R"({"jsonrpc":"sgc@b64:Mi4w","method":"sgc@presence@session"})",
         ErrorCode::invalid_request},
    });
}

TEST(Reject, MissingMethodIsInvalidRequest) {
    expect_rejected({
        {R"({"jsonrpc":"2.0"})", ErrorCode::invalid_request},
        {R"({"jsonrpc":"2.0","channel":{"name":""}})", ErrorCode::invalid_request},
        {R"({"jsonrpc":"2.0","method":null})", ErrorCode::invalid_request},
        {R"({"jsonrpc":"2.0","method":1})", ErrorCode::invalid_request},
        {R"({"jsonrpc":"2.0","method":{"name":"sgc@presence@session"}})",
         ErrorCode::invalid_request},
    });
}

TEST(Reject, UnknownMethodIsMethodNotFound) {
    expect_rejected({
        {R"({"jsonrpc":"2.0","method":"sgc@presence@no@such"})", ErrorCode::method_not_found},
        {R"({"jsonrpc":"2.0","method":""})", ErrorCode::method_not_found},
        {R"({"jsonrpc":"2.0","method":"SGC@PRESENCE@SESSION"})", ErrorCode::method_not_found},
        {R"({"jsonrpc":"2.0","method":"sgc@b64:c2djQHByZXNlbmNlQG5vQHN1Y2g="})",
         ErrorCode::method_not_found},
    });
}

TEST(Reject, WronglyTypedFieldsAreInvalidParams) {
    const std::string head = R"({"jsonrpc":"2.0","method":"sgc@presence@channel@invitation",)";
    expect_rejected({
        {head + R"("member":"me"})", ErrorCode::invalid_params},
        {head + R"("member":["m1"]})", ErrorCode::invalid_params},
        {head + R"("member":{"id":"m1","name":5}})", ErrorCode::invalid_params},
        {head + R"("member":{"id":7}})", ErrorCode::invalid_params},
        {head + R"("member":{"info":true}})", ErrorCode::invalid_params},
        {head + R"("channel":"room"})", ErrorCode::invalid_params},
        {head + R"("channel":{"name":["room"]}})", ErrorCode::invalid_params},
        {head + R"("message":"hi"})", ErrorCode::invalid_params},
        {head + R"("message":{"text":17}})", ErrorCode::invalid_params},
        {head + R"("members":{"id":"b0b"}})", ErrorCode::invalid_params},
        {head + R"("members":"b0b"})", ErrorCode::invalid_params},
        {head + R"("members":[1]})", ErrorCode::invalid_params},
        {head + R"("members":[{"id":"b0b"},"c4rl"]})", ErrorCode::invalid_params},
        {head + R"("members":[{"id":"b0b"},null]})", ErrorCode::invalid_params},
        {head + R"("members":[{"id":"b0b","name":{}}]})", ErrorCode::invalid_params},
        {head + R"("member":{"id":"m1","user":5}})", ErrorCode::invalid_params},
        {head + R"("users":{"user":"u"}})", ErrorCode::invalid_params},
        {head + R"("users":[{"user":"u"}]})", ErrorCode::invalid_params},
        {head + R"("users":[{"user":7,"members":[]}]})", ErrorCode::invalid_params},
        {head + R"("users":[{"user":"u","members":[{"id":1}]}]})", ErrorCode::invalid_params},
        {head + R"("error":"bad"})", ErrorCode::invalid_params},
        {head + R"("error":{"code":"3","text":""}})", ErrorCode::invalid_params},
        {head + R"("error":{"code":3.5}})", ErrorCode::invalid_params},
        {head + R"("error":{"code":3.0}})", ErrorCode::invalid_params},
        {head + R"("error":{"code":null}})", ErrorCode::invalid_params},
        {head + R"("error":{"code":4294967297}})", ErrorCode::invalid_params},
        {head + R"("error":{"code":-2147483649}})", ErrorCode::invalid_params},
        {head + R"("error":{"code":18446744073709551615}})", ErrorCode::invalid_params},
        {head + R"("error":{"code":3,"text":3}})", ErrorCode::invalid_params},
        {head + R"("id":5})", ErrorCode::invalid_params},
    });
}

TEST(Reject, BadBase64IsInvalidParams) {
    const std::string head = R"({"jsonrpc":"2.0","method":"sgc@presence@publish@msg",)";
    const std::vector<std::string> bad_payloads = {
        "!!not*base64!!",  // characters outside the alphabet
        "Zm9v\\n",         // whitespace (a JSON escape)
        "Zm 9v",
        "Zm9v_-8=",        // URL-safe alphabet
        "Zm9",             // length not a multiple of 4
        "Zm9vY",
        "Zg=",
        "Zg===",           // too much padding
        "Z===",
        "====",
        "Zm=v",            // padding in the middle
        "Zg==Zg==",
        "=Zm9",
        "Zh==",            // non-zero bits after the last byte
        "Zm9=",
    };
    for (const std::string& p : bad_payloads) {
        const std::string value = "\"sgc@b64:" + p + "\"";
        expect_rejected({
            {head + R"("message":{"text":)" + value + "}}", ErrorCode::invalid_params},
            {head + R"("member":{"id":"m1","name":)" + value + "}}", ErrorCode::invalid_params},
            {head + R"("channel":{"name":)" + value + "}}", ErrorCode::invalid_params},
            {head + R"("members":[{"id":)" + value + "}]}", ErrorCode::invalid_params},
            {head + R"("error":{"code":1,"text":)" + value + "}}", ErrorCode::invalid_params},
            {head + R"("id":)" + value + "}", ErrorCode::invalid_params},
            {R"({"jsonrpc":"2.0","method":)" + value + "}", ErrorCode::invalid_params},
        });
    }
}

// sgcWebSockets' browser client encodes with btoa(), one byte per character: "café"
// comes as the Latin-1 bytes 63 61 66 E9, which are no UTF-8.
TEST(DecodeSgc, Base64OfBytesThatAreNotUtf8IsReadAsLatin1) {
    const Message m = decode_ok(
        R"({"jsonrpc":"2.0","method":"sgc@presence@publish@msg",)"
        R"("member":{"id":"m1","name":")" + b64("caf\xE9") + R"(","info":")" + b64("\xA9 Zo\xEB") + R"("},)"
        R"("channel":{"name":")" + b64("\xFC" "ber") + R"("},"message":{"text":")" + b64("\xFF\xFE\xFD\x80") + R"("},)"
        R"("members":[{"id":"b0b","name":")" + b64("Ren\xE9" "e") + R"("}]})");
    EXPECT_EQ(m.member, (Member{"m1", "café", "© Zoë"}));
    EXPECT_EQ(m.channel, "über");
    EXPECT_EQ(m.text, "ÿþý\u0080");
    ASSERT_TRUE(m.members);
    EXPECT_EQ(m.members->front().name, "Renée");
}

// Bytes that are valid UTF-8 are UTF-8, even where a Latin-1 reading was meant: "Ã©" sent
// as Latin-1 is the bytes of "é" in UTF-8.
TEST(DecodeSgc, Base64OfValidUtf8IsReadAsUtf8) {
    const Message m = decode_ok(R"({"jsonrpc":"2.0","method":"sgc@presence@publish@msg",)"
                                R"("message":{"text":")" + b64("\xC3\xA9") + R"("}})");
    EXPECT_EQ(m.text, "é");
}

// Overlong forms, surrogates and truncated sequences are no UTF-8 either: read as Latin-1,
// they become harmless characters rather than reaching anything as invalid text.
TEST(DecodeSgc, Base64OfInvalidUtf8BecomesValidUtf8) {
    for (const std::string bytes : {"\xC0\xAF", "\xED\xA0\x80", "abc\xE2\x82"}) {
        const Message m = decode_ok(R"({"jsonrpc":"2.0","method":"sgc@presence@publish@msg",)"
                                    R"("message":{"text":")" + b64(bytes) + R"("}})");
        ASSERT_TRUE(m.text);
        EXPECT_TRUE(is_valid_utf8(*m.text)) << testing::PrintToString(*m.text);
        EXPECT_EQ(*m.text, latin1_to_utf8(bytes));
    }
}

// --- what a rejection still tells the receiver -------------------------------------

TEST(Reject, ErrorCarriesIdAndMethodWhenKnown) {
    const DecodeError e = decode_error(
        R"({"jsonrpc":"2.0","method":"sgc@presence@publish@msg","id":"ack-7",)"
        R"("member":{"id":"m1"},"channel":{"name":"room"},"message":{"text":17}})");
    EXPECT_EQ(e.code, ErrorCode::invalid_params);
    EXPECT_EQ(e.id, "ack-7");
    EXPECT_EQ(e.method, Method::publish_msg);
}

TEST(Reject, ErrorCarriesBase64DecodedIdAndMethod) {
    const DecodeError e = decode_error(
        R"({"jsonrpc":"2.0","method":"sgc@b64:)" + base64_encode("sgc@presence@member@new") +
        R"(","member":"me","id":"sgc@b64:aWQtMQ=="})");
    EXPECT_EQ(e.code, ErrorCode::invalid_params);
    EXPECT_EQ(e.id, "id-1");
    EXPECT_EQ(e.method, Method::member_new);
}

TEST(Reject, ErrorCarriesIdWhenTheMethodIsUnknownOrTheHeaderIsBad) {
    const DecodeError unknown =
        decode_error(R"({"id":"a-1","jsonrpc":"2.0","method":"sgc@presence@no@such"})");
    EXPECT_EQ(unknown.code, ErrorCode::method_not_found);
    EXPECT_EQ(unknown.id, "a-1");
    EXPECT_FALSE(unknown.method);

    const DecodeError version =
        decode_error(R"({"jsonrpc":"1.0","method":"sgc@presence@publish@msg","id":"a-2"})");
    EXPECT_EQ(version.code, ErrorCode::invalid_request);
    EXPECT_EQ(version.id, "a-2");
    EXPECT_FALSE(version.method);

    const DecodeError missing = decode_error(R"({"jsonrpc":"2.0","id":"a-3"})");
    EXPECT_EQ(missing.code, ErrorCode::invalid_request);
    EXPECT_EQ(missing.id, "a-3");
    EXPECT_FALSE(missing.method);
}

TEST(Reject, BadIdLeavesTheIdEmptyButKeepsTheMethod) {
    const DecodeError e = decode_error(
        R"({"jsonrpc":"2.0","method":"sgc@presence@get@members","id":"sgc@b64:%%%%"})");
    EXPECT_EQ(e.code, ErrorCode::invalid_params);
    EXPECT_EQ(e.id, "");
    EXPECT_EQ(e.method, Method::get_members);
}

TEST(Reject, BadBase64MethodHasNoMethod) {
    const DecodeError e =
        decode_error(R"({"jsonrpc":"2.0","method":"sgc@b64:%%%","id":"a-4"})");
    EXPECT_EQ(e.code, ErrorCode::invalid_params);
    EXPECT_EQ(e.id, "a-4");
    EXPECT_FALSE(e.method);
}

TEST(Reject, NoIdWhenTheFrameIsNotAnObject) {
    EXPECT_EQ(decode_error("not json").id, "");
    EXPECT_EQ(decode_error(R"(["id","a-5"])").id, "");
}

}  // namespace
}  // namespace presence::protocol
