// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

#include "domain/frame.h"
#include "server/namespace.h"

namespace presence {

class Endpoint;

// A WebSocket session, as its endpoints see it.
class Outbox {
public:
    virtual ~Outbox() = default;
    virtual void send(const Endpoint& from, const Bytes& bytes, MadeAt made_at) = 0;
    virtual void close(unsigned short code, std::string_view reason) = 0;
    virtual void drop() = 0;
    virtual std::string_view peer() const = 0;
};

// One namespace reached by a WebSocket session: the whole session for a plain connection,
// one of several for a broker connection, whose frames then carry `prefix` in front.
// Closing or dropping an endpoint ends the whole session.
class Endpoint final : public Link {
public:
    Endpoint(Outbox& outbox, Namespace& ns, Bytes prefix) : outbox_(outbox), ns_(ns), prefix_(std::move(prefix)) {}

    void send(const Bytes& bytes, MadeAt made_at) override { outbox_.send(*this, bytes, made_at); }
    void close(unsigned short code, std::string_view reason) override { outbox_.close(code, reason); }
    void drop() override { outbox_.drop(); }
    std::string_view peer() const override { return outbox_.peer(); }

    Namespace& ns() const { return ns_; }
    PresenceService& service() const { return ns_.service; }
    // Null on a plain connection.
    const Bytes& prefix() const { return prefix_; }

private:
    Outbox& outbox_;
    Namespace& ns_;
    Bytes prefix_;
};

}  // namespace presence
