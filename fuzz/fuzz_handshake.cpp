// SPDX-License-Identifier: Apache-2.0
// The first bytes of a connection, as the server takes them: Beast's request parser with
// the server's body limit, then, for an upgrade request, what the server decides from it:
// the token (query or Authorization header), the decision (a grant or a refusal, for the
// namespace the sub-protocol reaches) under three configurations (no key; a key; a key with anonymous members allowed), the sub-protocol
// and the namespace it names, and the WebSocket accept with the server's response
// decorator, over an in-memory stream.
//
// Rules: without a key every upgrade gets the grant that restricts nothing; with one, an
// decision is a grant or a printable one-line refusal that never repeats the token, the
// gate's verdict on a token is the verifier's, and a request without a token is refused
// or anonymous as configured; the sub-protocol chosen is the first offered one that names
// the presence protocol or the broker, and a namespace's endpoint id is that sub-protocol;
// an accepted handshake answers 101 and names the chosen sub-protocol, and no other.
// Any broken rule aborts, so the fuzzer reports it.
//
// Not reachable from here: the answers to plain HTTP requests and the body-limit refusal
// (file-local in server/http_session.cpp), and the connection limits (ServerCore::admit,
// which needs a running server).
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "auth/token_verifier.h"
#include "protocol/broker_framing.h"
#include "protocol/text.h"
#include "server/auth_gate.h"
#include "server/websocket_session.h"

namespace presence {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using Clock = std::chrono::system_clock;
using Request = http::request<http::string_body>;

// As the server: a body up to the larger of 16 KiB and the largest message.
constexpr std::size_t body_limit = 64 * 1024;
// The seeds' tokens are valid then (2027-01-15): an input means the same on every run.
const Clock::time_point now = Clock::time_point(std::chrono::seconds(1'800'000'000));

void require(bool holds, const char* rule, std::string_view input) {
    if (holds) return;
    std::fprintf(stderr, "broken: %s\ninput: %.*s\n", rule, static_cast<int>(input.size()), input.data());
    std::abort();
}

// One way the server may be configured for tokens: the server's shared state (its default
// namespace only), never run.
struct Gate {
    boost::asio::io_context io;
    ServerCore core;
    Gate(bool with_key, bool anonymous) : core(io, options(with_key, anonymous), ServerHooks{}) {}

    static ServerOptions options(bool with_key, bool anonymous) {
        ServerOptions o;
        if (!with_key) return o;
        o.auth.hs256_secret = "fuzzing-secret";
        o.auth.public_key_file = std::string(PRESENCE_FUZZ_KEYS) + "/es256.pem";
        o.auth.allow_anonymous = anonymous;
        o.auth.public_channels = {"lobby", "public:*"};
        return o;
    }
};

std::array<Gate, 3>& gates() {
    static std::array<Gate, 3> all{Gate(false, false), Gate(true, false), Gate(true, true)};
    return all;
}

// The request the input starts with, read as the server reads it; nullopt when the parser
// refuses it or it is cut short.
std::optional<Request> parse(std::string_view input) {
    boost::asio::io_context io;
    beast::test::stream stream(io, input);
    stream.close_remote();
    http::request_parser<http::string_body> parser;
    parser.body_limit(body_limit);
    beast::flat_buffer buffer;
    beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec) return std::nullopt;
    return parser.release();
}

bool printable_line(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](unsigned char c) { return c >= ' ' && c < 0x7f; });
}

bool same_grant(const Grant& a, const Grant& b) {
    return a.restricted == b.restricted && a.id == b.id && a.name == b.name && a.info == b.info &&
           a.user == b.user && a.join == b.join && a.publish == b.publish && a.expires == b.expires;
}

void check_decision(Gate& g, const Request& request, std::string_view chosen, std::string_view input) {
    const std::string_view target = request.target();
    const std::string_view authorization = request[http::field::authorization];
    const AuthDecision decision = authorize(g.core, target, authorization, chosen, now);
    const std::optional<auth::TokenVerifier>& verifier = g.core.verifier;
    const AuthOptions& options = g.core.options.auth;
    require(decision.grant.has_value() == decision.refusal.empty(), "an upgrade gets a grant or a refusal", input);
    if (!verifier) {
        require(decision.grant && same_grant(*decision.grant, Grant{}), "without a key nothing is restricted", input);
        return;
    }
    const std::optional<std::string> token = auth::token_of(target, authorization);
    if (!decision.grant) {
        require(printable_line(decision.refusal), "a refusal is one printable line", input);
        require(!token || token->size() < 16 || decision.refusal.find(*token) == std::string::npos,
                "a refusal never repeats the token", input);
    }
    if (!token) {
        if (options.allow_anonymous)
            require(decision.grant && same_grant(*decision.grant, auth::anonymous_grant(options)),
                    "without a token, an anonymous member where allowed", input);
        else
            require(decision.refusal == "token required", "without a token, refused where required", input);
        return;
    }
    require(!token->empty(), "an empty token counts as none", input);
    const auth::TokenVerifier::Outcome verdict = verifier->verify(*token, now);
    if (decision.refusal == "token for another namespace") {
        require(verdict.grant && verdict.grant->namespace_guid, "only a token naming a namespace is sent away",
                input);
        return;
    }
    require(verdict.grant.has_value() == decision.grant.has_value() && verdict.error == decision.refusal &&
                (!verdict.grant || same_grant(*verdict.grant, *decision.grant)),
            "the gate's verdict on a token is the verifier's", input);
}

// The chosen sub-protocol, after checking it against what was offered.
std::string check_subprotocol(const Request& request, std::string_view input) {
    const std::string_view offered = request[http::field::sec_websocket_protocol];
    const std::string_view chosen = choose_subprotocol(offered);
    const auto names_ours = [](std::string_view token) {
        return token.ends_with(protocol::presence_endpoint) || token.ends_with(protocol::broker_subprotocol);
    };
    std::string_view first;
    for (const std::string_view token : protocol::split_list(offered))
        if (names_ours(token)) {
            first = token;
            break;
        }
    require(chosen == first, "the first offered sub-protocol of ours is chosen", input);
    std::string_view guid;
    if (protocol::guid_of(chosen, guid))
        require(protocol::endpoint_id(guid) == chosen, "a namespace's endpoint id is its sub-protocol", input);
    return std::string(chosen);
}

// Beast's accept with the server's decorator, over an in-memory stream; the response
// written is read back.
void check_accept(const Request& request, const std::string& chosen, std::string_view input) {
    boost::asio::io_context io;
    beast::test::stream local(io);
    beast::test::stream remote(io);
    local.connect(remote);
    websocket::stream<beast::test::stream> ws(std::move(local));
    ws.set_option(websocket::stream_base::decorator([&chosen](websocket::response_type& res) {
        res.set(http::field::server, "presence");
        if (!chosen.empty()) res.set(http::field::sec_websocket_protocol, chosen);
    }));
    beast::error_code accepted;
    ws.accept(request, accepted);

    http::response_parser<http::empty_body> parser;
    parser.skip(true);
    beast::error_code ec;
    const std::string written = remote.str();
    parser.put(boost::asio::buffer(written), ec);
    if (ec == http::error::need_more) ec = {};
    require(!ec && parser.is_header_done(), "the handshake is answered with a readable response", input);
    const auto& response = parser.get();
    if (accepted) {
        require(response.result() != http::status::switching_protocols, "a refused handshake is not 101", input);
        return;
    }
    require(response.result() == http::status::switching_protocols, "an accepted handshake is 101", input);
    require(response[http::field::sec_websocket_protocol] == chosen, "the answer names the chosen sub-protocol",
            input);
}

void check(std::string_view input) {
    const std::optional<Request> request = parse(input);
    if (!request || !websocket::is_upgrade(*request)) return;
    const std::string chosen = check_subprotocol(*request, input);
    for (Gate& g : gates()) check_decision(g, *request, chosen, input);
    check_accept(*request, chosen, input);
}

}  // namespace
}  // namespace presence

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    presence::check(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
