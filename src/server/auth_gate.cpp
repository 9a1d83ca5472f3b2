#include "server/auth_gate.h"

namespace presence {

Entry entry_for(const std::optional<auth::TokenVerifier>& verifier, const AuthOptions& options,
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

}  // namespace presence
