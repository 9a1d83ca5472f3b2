// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

#include "domain/frame.h"
#include "server/namespace.h"

namespace presence {

// One namespace reached by a WebSocket session: the whole session for a plain connection,
// one of several for a broker connection, whose frames then carry `prefix` in front.
// Closing or dropping one link ends the whole session. `Session` is the session type
// (WebsocketSession over a stream), which the link only forwards to.
template <typename Session>
class NamespaceLink final : public Link {
public:
    NamespaceLink(Session& session, Namespace& ns, Bytes prefix)
        : session_(session), ns_(ns), prefix_(std::move(prefix)) {}

    void send(const Bytes& bytes, MadeAt made_at) override { session_.send(*this, bytes, made_at); }
    void close(unsigned short code, std::string_view reason) override { session_.close(code, reason); }
    void drop() override { session_.drop(); }
    std::string_view peer() const override { return session_.peer(); }

    Namespace& ns() const { return ns_; }
    PresenceService& service() const { return ns_.service; }
    // Null on a plain connection.
    const Bytes& prefix() const { return prefix_; }

private:
    Session& session_;
    Namespace& ns_;
    Bytes prefix_;
};

}  // namespace presence
