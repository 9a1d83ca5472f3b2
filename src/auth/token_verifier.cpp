// SPDX-License-Identifier: Apache-2.0
#include "auth/token_verifier.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <utility>

#include <boost/json.hpp>

#include "auth/duplicate_names.h"
#include "protocol/broker_framing.h"
#include "protocol/text.h"

namespace presence::auth {
namespace {

namespace json = boost::json;
using Clock = std::chrono::system_clock;

// Strict base64url (RFC 7515, section 2): the URL-safe alphabet without padding, and the
// unused bits of the last character zero, so that each byte string has one encoding.
std::optional<std::string> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string standard(text);
    for (char& c : standard) {
        if (c == '+' || c == '/' || c == '=') return std::nullopt;
        if (c == '-') c = '+';
        if (c == '_') c = '/';
    }
    standard.append((4 - standard.size() % 4) % 4, '=');
    return protocol::base64_decode(standard);
}



std::optional<json::object> parse_object(std::string_view text) {
    json::error_code ec;
    json::value value = json::parse(text, ec);
    if (ec || !value.is_object()) return std::nullopt;
    return std::move(value.as_object());
}

// `what`, then `name` when it looks like a name: the token is the sender's, and the
// refusal goes to logs.
std::string naming(std::string what, std::string_view name) {
    const bool plain = !name.empty() && name.size() <= 16 &&
                       std::all_of(name.begin(), name.end(),
                                   [](unsigned char c) { return std::isalnum(c) != 0 || c == '_'; });
    return plain ? what + " " + std::string(name) : what;
}

// Beyond this a NumericDate, with the leeway added, would not fit a time_point.
double max_numeric_date() {
    return std::chrono::duration<double>(Clock::duration::max()).count() -
           2.0 * static_cast<double>(clock_leeway.count());
}

// Reads claims of the types RFC 7519 and we give them. The first claim of a wrong type
// is the refusal, so that an issuer's mistake is named rather than silently ignored.
class ClaimReader {
public:
    explicit ClaimReader(const json::object& claims) : claims_(claims) {}

    // A NumericDate: seconds since 1970, integral or not.
    std::optional<Clock::time_point> time(std::string_view name) {
        const json::value* value = claims_.if_contains(name);
        if (value == nullptr) return std::nullopt;
        if (!value->is_number()) return refuse(name, "must be a number");
        const double seconds = value->to_number<double>();
        if (!std::isfinite(seconds) || std::abs(seconds) > max_numeric_date())
            return refuse(name, "out of range");
        return Clock::time_point(std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(seconds)));
    }

    std::optional<std::string> text(std::string_view name) {
        const json::value* value = claims_.if_contains(name);
        if (value == nullptr) return std::nullopt;
        if (!value->is_string()) return refuse(name, "must be a string");
        return std::string(value->get_string());
    }

    std::optional<ChannelPatterns> patterns(std::string_view name) {
        const json::value* value = claims_.if_contains(name);
        if (value == nullptr) return std::nullopt;
        const json::array* items = value->if_array();
        if (items == nullptr) return refuse(name, "must be an array of strings");
        ChannelPatterns patterns;
        for (const json::value& item : *items) {
            if (!item.is_string()) return refuse(name, "must be an array of strings");
            patterns.emplace_back(item.get_string());
        }
        return patterns;
    }

    const std::string& error() const { return error_; }

private:
    std::nullopt_t refuse(std::string_view name, std::string_view why) {
        if (error_.empty()) error_ = "claim " + std::string(name) + " " + std::string(why);
        return std::nullopt;
    }

    const json::object& claims_;
    std::string error_;
};

TokenVerifier::Outcome refuse(std::string error) { return {std::nullopt, std::move(error)}; }

// Claims we do not know are ignored; `iat` is only checked for its type.
TokenVerifier::Outcome grant_of(const json::object& payload, Clock::time_point now) {
    ClaimReader claims(payload);
    const auto expires = claims.time("exp");
    const auto not_before = claims.time("nbf");
    claims.time("iat");
    auto subject = claims.text("sub");
    auto name = claims.text("name");
    auto info = claims.text("info");
    auto user = claims.text("user");
    auto join = claims.patterns("channels");
    auto publish = claims.patterns("publish");
    auto namespace_guid = claims.text("ns");
    if (!claims.error().empty()) return refuse(claims.error());
    // A token without an end would be valid for ever once leaked.
    if (!expires) return refuse("claim exp is required");
    if (subject && (subject->empty() || subject->size() > max_subject_bytes))
        return refuse("claim sub must be 1 to 256 bytes");
    if (user && (user->empty() || user->size() > max_subject_bytes))
        return refuse("claim user must be 1 to 256 bytes");
    // "" is the default namespace.
    if (namespace_guid && !namespace_guid->empty() && !protocol::valid_guid(*namespace_guid))
        return refuse("claim ns must name a namespace");
    // RFC 7519: valid before `exp` and from `nbf` on, each widened by the leeway.
    if (now >= *expires + clock_leeway) return refuse("token expired");
    if (not_before && now < *not_before - clock_leeway) return refuse("token not yet valid");

    Grant grant;
    grant.restricted = true;
    // Always set: under authentication nobody declares their own user.
    grant.user = user ? std::move(*user) : subject.value_or("");
    grant.id = std::move(subject);
    grant.name = std::move(name);
    grant.info = std::move(info);
    grant.namespace_guid = std::move(namespace_guid);
    grant.join = join.value_or(ChannelPatterns{});
    // Without its own list a member may publish where it may join.
    grant.publish = publish ? std::move(*publish) : grant.join;
    grant.expires = *expires + clock_leeway;  // the leeway holds for the whole connection
    return {std::move(grant), {}};
}

}  // namespace

std::optional<CompactJws> split_compact_jws(std::string_view token) {
    const std::size_t first_dot = token.find('.');
    const std::size_t second_dot = token.find('.', first_dot + 1);
    if (first_dot == std::string_view::npos || second_dot == std::string_view::npos ||
        token.find('.', second_dot + 1) != std::string_view::npos)
        return std::nullopt;
    auto header = base64url_decode(token.substr(0, first_dot));
    auto payload = base64url_decode(token.substr(first_dot + 1, second_dot - first_dot - 1));
    auto signature = base64url_decode(token.substr(second_dot + 1));
    if (!header || !payload || !signature) return std::nullopt;
    return CompactJws{token.substr(0, second_dot), std::move(*header), std::move(*payload),
                      std::move(*signature)};
}

TokenVerifier::TokenVerifier(const AuthOptions& options)
    : keys_(options.hs256_secret, options.public_key_file) {}

// The signature is checked before the payload is read: nothing an unsigned sender
// writes in the claims reaches the JSON parser.
TokenVerifier::Outcome TokenVerifier::verify(std::string_view token, Clock::time_point now) const {
    if (token.size() > max_token_bytes) return refuse("token too long");
    const auto jws = split_compact_jws(token);
    if (!jws) return refuse("malformed token");
    const auto header = parse_object(jws->header);
    if (!header) return refuse("header is not a JSON object");
    if (const auto name = duplicate_name(jws->header))
        return refuse(naming("duplicate header parameter", *name));
    // Extensions marked critical must be understood (RFC 7515, section 4.1.11); we know none.
    if (header->contains("crit")) return refuse("unsupported header crit");
    // The values of `typ` and `kid` are ignored (the algorithm picks the key), so are other
    // parameters: keys named in the header (`jwk`, `jku`, `x5u`...) are never used.
    for (const std::string_view name : {"typ", "kid"})
        if (const json::value* value = header->if_contains(name); value && !value->is_string())
            return refuse("header " + std::string(name) + " must be a string");
    const json::value* algorithm = header->if_contains("alg");
    if (algorithm == nullptr || !algorithm->is_string())
        return refuse("header alg must be a string");
    const std::string_view alg = algorithm->get_string();

    switch (keys_.check(alg, jws->signing_input, jws->signature)) {
    case SignatureKeys::Check::valid: break;
    case SignatureKeys::Check::unsupported_algorithm: return refuse(naming("unsupported algorithm", alg));
    case SignatureKeys::Check::no_key: return refuse("no key for algorithm " + std::string(alg));
    case SignatureKeys::Check::bad_signature: return refuse("bad signature");
    }

    const auto payload = parse_object(jws->payload);
    if (!payload) return refuse("payload is not a JSON object");
    if (const auto name = duplicate_name(jws->payload)) return refuse(naming("duplicate claim", *name));
    return grant_of(*payload, now);
}

Grant anonymous_grant(const AuthOptions& options) {
    Grant grant;
    grant.restricted = true;
    grant.user = "";
    grant.join = options.public_channels;
    grant.publish = options.public_channels;
    return grant;
}

}  // namespace presence::auth
