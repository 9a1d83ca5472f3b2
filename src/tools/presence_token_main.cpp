// SPDX-License-Identifier: Apache-2.0
// presence-token: makes the signed tokens presence-server reads (docs/security.md), and
// checks one with the server's own verifier, so that its verdict is the server's.
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "auth/token_verifier.h"
#include "presence/version.h"
#include "protocol/text.h"
#include "tools/command_line.h"
#include "tools/token_signer.h"

namespace {

namespace json = boost::json;
namespace po = boost::program_options;
using Clock = std::chrono::system_clock;
using presence::tools::TokenSigner;

constexpr const char* secret_variable = "PRESENCE_AUTH_HS256_SECRET";

constexpr const char* usage =
    "usage: presence-token mint [options]     print a token for a member\n"
    "       presence-token check [options]    show a token (from --token, else the first line of\n"
    "                                         stdin) and whether presence-server would accept it\n"
    "       presence-token COMMAND --help     the options of COMMAND\n"
    "The HS256 secret comes from --secret-file FILE or the environment variable\n"
    "PRESENCE_AUTH_HS256_SECRET, as presence-server's does.";

// Where the HS256 secret may come from. On the command line it shows in the process list.
struct SecretSources {
    std::string file;
    std::string given;
};

void add_secret_options(po::options_description& d, SecretSources& s) {
    d.add_options()
        ("secret-file", po::value(&s.file), "HS256: the secret is this file's content (one final newline ignored)")
        ("secret", po::value(&s.given),
         "HS256 with this secret: other users can see it in the process list; prefer --secret-file or "
         "PRESENCE_AUTH_HS256_SECRET");
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    std::string content = text.str();
    if (content.ends_with("\r\n"))
        content.resize(content.size() - 2);
    else if (content.ends_with('\n'))
        content.pop_back();
    return content;
}

// The secret, or "" for none. Throws when it is given twice, or empty.
std::string secret_of(const SecretSources& s, std::string_view program) {
    if (!s.file.empty() && !s.given.empty()) throw std::runtime_error("give --secret-file or --secret, not both");
    std::string secret;
    if (!s.given.empty()) {
        std::cerr << program << ": warning: a secret on the command line can be read by other users; "
                  << "use --secret-file or " << secret_variable << "\n";
        secret = s.given;
    } else if (!s.file.empty()) {
        secret = read_file(s.file);
        if (secret.empty()) throw std::runtime_error(s.file + " is empty");
    } else if (const char* variable = std::getenv(secret_variable)) {
        secret = variable;
    }
    return secret;
}

std::string utc(Clock::time_point at) {
    const std::time_t t = Clock::to_time_t(at);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

// "in 3600 s" or "3 s ago".
std::string relative(Clock::time_point at, Clock::time_point now) {
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(at - now).count();
    return s >= 0 ? "in " + std::to_string(s) + " s" : std::to_string(-s) + " s ago";
}

void add_list(json::object& claims, std::string_view name, const std::vector<std::string>& given) {
    json::array items;
    for (const std::string& list : given)
        for (const std::string_view item : presence::protocol::split_list(list)) items.emplace_back(item);
    if (!given.empty()) claims[name] = std::move(items);
}

// --- mint ------------------------------------------------------------------------------

struct MintRequest {
    std::string id, name, info, user, ns;
    std::vector<std::string> channels, publish;
    double expires_in = 3600;
};

int mint(int argc, char** argv) {
    MintRequest m;
    SecretSources secret;
    std::string private_key;
    po::options_description d("presence-token mint options");
    d.add_options()
        ("help,h", "show this help and exit")
        ("id", po::value(&m.id), "the member id (claim sub); without it the server gives a fresh id per connection")
        ("name", po::value(&m.name), "the member name (claim name)")
        ("info", po::value(&m.info), "the member info (claim info)")
        ("user", po::value(&m.user), "the user the member belongs to (claim user)")
        ("channels", po::value(&m.channels)->composing(),
         "comma-separated channels it may join: names, or prefixes ending in * (claim channels); repeat for more")
        ("publish", po::value(&m.publish)->composing(),
         "comma-separated channels it may publish to (claim publish; without it, those of --channels)")
        ("namespace", po::value(&m.ns), "the namespace (Guid) the token is for (claim ns)")
        ("expires-in", po::value(&m.expires_in)->default_value(m.expires_in), "seconds until it expires (claim exp)")
        ("private-key", po::value(&private_key), "sign with this PEM private key: RSA (RS256) or EC P-256 (ES256)");
    add_secret_options(d, secret);
    if (const auto done = presence::tools::parse_command_line(argc, argv, d, "presence-token mint")) return *done;

    const std::string hs256 = secret_of(secret, "presence-token mint");
    if (hs256.empty() == private_key.empty())
        throw std::runtime_error("give one key: --private-key FILE, or an HS256 secret (--secret-file FILE or " +
                                 std::string(secret_variable) + ")");
    const TokenSigner signer = private_key.empty() ? TokenSigner::hs256(hs256)
                                                   : TokenSigner::from_private_key_file(private_key);

    const auto now = std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch());
    json::object claims;
    for (const auto& [claim, value] : {std::pair{"sub", &m.id}, {"name", &m.name}, {"info", &m.info},
                                       {"user", &m.user}, {"ns", &m.ns}})
        if (!value->empty()) claims[claim] = *value;
    add_list(claims, "channels", m.channels);
    add_list(claims, "publish", m.publish);
    claims["iat"] = now.count();
    claims["exp"] = now.count() + static_cast<std::int64_t>(m.expires_in);
    std::cout << signer.sign(json::serialize(claims)) << std::endl;
    return 0;
}

// --- check -----------------------------------------------------------------------------

std::string patterns(const presence::ChannelPatterns& list) {
    std::string text;
    for (const std::string& p : list) text += (text.empty() ? "" : ", ") + p;
    return text.empty() ? "none" : text;
}

std::string describe(const presence::Grant& g) {
    std::string text = "member id " + (g.id ? *g.id : "fresh per connection");
    if (g.name) text += "; name " + *g.name;
    if (g.info) text += "; info " + *g.info;
    if (g.user) text += "; user " + *g.user;
    text += "; may join " + patterns(g.join) + "; may publish " + patterns(g.publish);
    if (g.expires) text += "; until " + utc(*g.expires) + " (with the server's leeway)";
    return text;
}

void show_times(const std::string& payload, Clock::time_point now) {
    json::error_code ec;
    const json::value claims = json::parse(payload, ec);
    if (ec || !claims.is_object()) return;
    for (const auto& [claim, label] : {std::pair{"nbf", "not before"}, {"exp", "expires"}}) {
        const json::value* value = claims.as_object().if_contains(claim);
        if (value == nullptr || !value->is_number()) continue;
        const auto at = Clock::time_point(std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(value->to_number<double>())));
        std::cout << label << ": " << utc(at) << " (" << relative(at, now) << ")\n";
    }
}

int check(int argc, char** argv) {
    SecretSources secret;
    presence::AuthOptions keys;
    std::string token;
    po::options_description d("presence-token check options");
    d.add_options()
        ("help,h", "show this help and exit")
        ("token", po::value(&token), "the token (default: the first line of stdin)")
        ("public-key", po::value(&keys.public_key_file),
         "RS256 or ES256: the server's PEM public key (its --auth-public-key)");
    add_secret_options(d, secret);
    if (const auto done = presence::tools::parse_command_line(argc, argv, d, "presence-token check")) return *done;

    keys.hs256_secret = secret_of(secret, "presence-token check");
    if (!keys.enabled())
        throw std::runtime_error("give the server's key: --public-key FILE, or an HS256 secret (--secret-file FILE "
                                 "or " + std::string(secret_variable) + ")");
    if (token.empty() && !std::getline(std::cin, token)) throw std::runtime_error("no token on stdin");
    const presence::auth::TokenVerifier verifier(keys);
    const auto now = Clock::now();

    if (const auto parts = presence::auth::split_compact_jws(token)) {
        std::cout << "header: " << parts->header << "\nclaims: " << parts->payload << "\n";
        show_times(parts->payload, now);
    }
    const auto outcome = verifier.verify(token, now);
    if (!outcome.grant) {
        std::cout << "verdict: refused: " << outcome.error << "\n";
        return 1;
    }
    std::cout << "verdict: accepted: " << describe(*outcome.grant) << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string command = argc > 1 ? argv[1] : "";
    try {
        // The command takes argv[0]'s place: what follows are its options.
        if (command == "mint") return mint(argc - 1, argv + 1);
        if (command == "check") return check(argc - 1, argv + 1);
    } catch (const std::exception& e) {
        std::cerr << "presence-token " << command << ": " << e.what() << "\n";
        return 2;
    }
    if (command == "--version") {
        std::cout << "presence-token " << presence::version() << "\n";
        return 0;
    }
    const bool asked = command == "--help" || command == "-h";
    (asked ? std::cout : std::cerr) << usage << "\n";
    return asked ? 0 : 2;
}
