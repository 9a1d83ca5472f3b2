#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "presence/client.h"
#include "protocol/acknowledgment.h"
#include "protocol/message.h"

namespace presence::client {

// The client's side of the Presence protocol on one connection: turns received frames
// into events and requests into frames, joins when the session arrives, acknowledges,
// de-duplicates and re-sends. No sockets: frames go out through `send`.
class ClientProtocol {
public:
    using Bytes = std::shared_ptr<const std::string>;
    using Send = std::function<void(const Bytes&)>;

    ClientProtocol(const ClientOptions& options, const ClientEvents& events, Send send);

    void receive(std::string_view frame);

    void subscribe(const std::string& channel);
    void unsubscribe(const std::string& channel);
    void publish(const std::string& text, const std::string& channel);
    void invite(const std::string& channel, const std::string& member_id);
    void get_members(const std::string& channel);

    // Re-sends what the server has not acknowledged in time; gives up after max_retries.
    void resend_due(protocol::Clock::time_point now);

private:
    void dispatch(const protocol::Message& m);
    void on_session(const protocol::Message& m);
    void on_hello(const protocol::Message& m);
    void on_invitation(const protocol::Message& m);
    void on_invitation_response(const protocol::Message& m);
    // With `tracked` and acknowledgment on, the message gets an id and waits for its ack.
    void send(protocol::Message m, bool tracked = true);
    protocol::Message request(protocol::Method method, std::string channel) const;
    Member self() const;
    void report(const std::string& what) const;

    const ClientOptions& options_;
    const ClientEvents& events_;
    Send send_;
    std::string session_id_;
    bool invitation_responses_ = false;  // the server said hello with "invitation-response"
    protocol::SeenIds seen_ids_;
    protocol::AckQueue unacknowledged_;
};

}  // namespace presence::client
