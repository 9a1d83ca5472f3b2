// SPDX-License-Identifier: Apache-2.0
// verify-token [--hs256-secret SECRET] [--public-key FILE] [--now SECONDS] TOKEN
//
// Prints the grant of TOKEN as one JSON line, or {"error": "..."} and exits with 1; for
// tests that check our verifier against tokens signed by another JWT implementation.
#include <chrono>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "auth/token_verifier.h"

namespace {

namespace json = boost::json;
using presence::Grant;

json::array array_of(const presence::ChannelPatterns& patterns) {
    return json::array(patterns.begin(), patterns.end());
}

json::object json_of(const Grant& grant) {
    json::object out{{"restricted", grant.restricted}, {"join", array_of(grant.join)},
                     {"publish", array_of(grant.publish)}};
    if (grant.id) out["id"] = *grant.id;
    if (grant.name) out["name"] = *grant.name;
    if (grant.info) out["info"] = *grant.info;
    if (grant.user) out["user"] = *grant.user;
    if (grant.namespace_guid) out["ns"] = *grant.namespace_guid;
    if (grant.expires)
        out["expires"] = std::chrono::duration<double>(grant.expires->time_since_epoch()).count();
    return out;
}

struct Arguments {
    presence::AuthOptions options;
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
    std::string token;
};

// nullopt when the command line is not as in the usage line.
std::optional<Arguments> parse(int argc, char** argv) {
    Arguments arguments;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view option = argv[i];
        const char* value = argv[i + 1];
        if (option == "--hs256-secret")
            arguments.options.hs256_secret = value;
        else if (option == "--public-key")
            arguments.options.public_key_file = value;
        else if (option == "--now")
            arguments.now = std::chrono::system_clock::time_point(std::chrono::seconds(std::stoll(value)));
        else
            return std::nullopt;
    }
    if (argc % 2 != 0 || std::string_view(argv[argc - 1]).empty()) return std::nullopt;
    arguments.token = argv[argc - 1];
    return arguments;
}

}  // namespace

int main(int argc, char** argv) try {
    const auto arguments = parse(argc, argv);
    if (!arguments) {
        std::cerr << "usage: verify-token [--hs256-secret SECRET] [--public-key FILE]"
                     " [--now SECONDS] TOKEN\n";
        return 2;
    }
    const presence::auth::TokenVerifier verifier(arguments->options);
    const auto outcome = verifier.verify(arguments->token, arguments->now);
    if (!outcome.grant) {
        std::cout << json::serialize(json::object{{"error", outcome.error}}) << '\n';
        return 1;
    }
    std::cout << json::serialize(json_of(*outcome.grant)) << '\n';
    return 0;
} catch (const std::exception& e) {
    std::cerr << "verify-token: " << e.what() << '\n';
    return 2;
}
