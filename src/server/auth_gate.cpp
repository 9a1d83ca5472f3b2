// SPDX-License-Identifier: Apache-2.0
#include "server/auth_gate.h"

#include "protocol/broker_framing.h"

namespace presence {
namespace {

AuthDecision grant_for(const std::optional<auth::TokenVerifier>& verifier, const AuthOptions& options,
                       std::string_view target, std::string_view authorization,
                       std::chrono::system_clock::time_point now) {
    if (!verifier) return {Grant{}, {}};
    const std::optional<std::string> token = auth::token_of(target, authorization);
    if (!token) {
        if (options.allow_anonymous) return {auth::anonymous_grant(options), {}};
        return {std::nullopt, "token required"};
    }
    auth::TokenVerifier::Outcome outcome = verifier->verify(*token, now);
    return {std::move(outcome.grant), std::move(outcome.error)};
}

// A broker connection reaches only the namespaces its grant may enter: with none here,
// it would have no link at all.
bool reaches(ServerCore& core, const Grant& grant, std::string_view protocol) {
    if (!grant.namespace_guid) return true;
    if (protocol.ends_with(protocol::broker_subprotocol)) return core.find(*grant.namespace_guid) != nullptr;
    return grant.may_enter(core.namespace_of(protocol).guid);
}

}  // namespace

AuthDecision authorize(ServerCore& core, std::string_view target, std::string_view authorization,
                       std::string_view protocol, std::chrono::system_clock::time_point now) {
    AuthDecision decision = grant_for(core.verifier, core.options.auth, target, authorization, now);
    if (decision.grant && !reaches(core, *decision.grant, protocol))
        return {std::nullopt, "token for another namespace"};
    return decision;
}

}  // namespace presence
