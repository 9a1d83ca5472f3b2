// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cctype>

#include "auth/token_verifier.h"
#include "protocol/text.h"

namespace presence::auth {
namespace {

// The value of the first parameter `name` in the query of `target`, as written; empty
// when it has no '='.
std::optional<std::string_view> query_parameter(std::string_view target, std::string_view name) {
    const std::size_t question = target.find('?');
    if (question == std::string_view::npos) return std::nullopt;
    std::string_view query = target.substr(question + 1);
    for (;;) {
        const std::size_t ampersand = query.find('&');
        const std::string_view parameter = query.substr(0, ampersand);
        const std::size_t equals = parameter.find('=');
        if (parameter.substr(0, equals) == name)
            return equals == std::string_view::npos ? std::string_view{}
                                                    : parameter.substr(equals + 1);
        if (ampersand == std::string_view::npos) return std::nullopt;
        query.remove_prefix(ampersand + 1);
    }
}

std::string_view trim(std::string_view text) {
    constexpr std::string_view blanks = " \t";
    const std::size_t begin = text.find_first_not_of(blanks);
    if (begin == std::string_view::npos) return {};
    return text.substr(begin, text.find_last_not_of(blanks) - begin + 1);
}

// RFC 6750, section 2.1: "Bearer", in any case (auth schemes are case-insensitive,
// RFC 7235), then one or more spaces and the token. Other schemes carry no token of ours.
std::optional<std::string> bearer_token(std::string_view authorization) {
    constexpr std::string_view scheme = "bearer";
    const std::string_view value = trim(authorization);
    if (value.size() <= scheme.size() || value[scheme.size()] != ' ' ||
        !std::equal(scheme.begin(), scheme.end(), value.begin(),
                    [](char expected, char c) {
                        return std::tolower(static_cast<unsigned char>(c)) == expected;
                    }))
        return std::nullopt;
    const std::string_view token = trim(value.substr(scheme.size()));
    if (token.empty()) return std::nullopt;
    return std::string(token);
}

}  // namespace

// An empty token counts as none, so that a client that always sends `?token=` is not
// refused where anonymous members are allowed. A value that is not valid percent-encoding
// is returned as written: it then fails verification as malformed, rather than passing
// for a request without a token.
std::optional<std::string> token_of(std::string_view target, std::string_view authorization) {
    if (const auto written = query_parameter(target, "token"); written && !written->empty())
        return protocol::percent_decode(*written).value_or(std::string(*written));
    return bearer_token(authorization);
}

}  // namespace presence::auth
