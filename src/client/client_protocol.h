// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "presence/client.h"
#include "protocol/acknowledgment.h"
#include "protocol/message.h"

namespace presence::client {

// The client's side of the Presence protocol for one member: turns received frames into
// events and requests into frames, joins when the session arrives, acknowledges,
// de-duplicates and re-sends. It outlives a lost connection that the member resumes on a
// new one. No sockets: frames go out through `send`.
class ClientProtocol {
public:
    using Bytes = std::shared_ptr<const std::string>;
    using Send = std::function<void(const Bytes&)>;

    ClientProtocol(const ClientOptions& options, const ClientEvents& events, Send send);

    void receive(std::string_view frame);

    // The server handed out a resume token and this client has joined: a connection lost
    // now can be resumed on a new one.
    bool resumable() const { return !resume_token_.empty() && joined_; }
    // The connection is gone and the member is to resume: requests are dropped until the
    // server has answered the resume request that the next session gets instead of a join.
    void connection_lost();
    bool restoring() const { return restoring_; }

    void subscribe(const std::string& channel);
    void unsubscribe(const std::string& channel);
    void publish(const std::string& text, const std::string& channel);
    void invite(const std::string& channel, const std::string& member_id);
    void get_members(const std::string& channel);
    void get_members_page(const std::string& channel, std::size_t limit, const std::string& cursor);
    void get_count(const std::string& channel);
    void get_users(const std::string& channel);
    void set_counts_only(const std::string& channel, bool on);
    void update_member(const std::optional<std::string>& name, const std::optional<std::string>& info);

    // Re-sends what the server has not acknowledged in time; gives up after max_retries.
    void resend_due(protocol::Clock::time_point now);

private:
    void count(const protocol::Decoded& decoded);
    void dispatch(const protocol::Message& m);
    void track_self(const protocol::Message& m);
    void on_session(const protocol::Message& m);
    void join(std::string session_id);
    void on_hello(const protocol::Message& m);
    void on_resume_token(const protocol::Message& m);
    void on_resume(const protocol::Message& m);
    void rejoin();
    void on_invitation(const protocol::Message& m);
    void on_invitation_response(const protocol::Message& m);
    void on_count(const protocol::Message& m);
    void on_diff(const protocol::Message& m);
    // With `tracked` and acknowledgment on, the message gets an id and waits for its ack.
    void send(protocol::Message m, bool tracked = true);
    Bytes encode(const protocol::Message& m) const;
    protocol::Message request(protocol::Method method, std::string channel) const;
    Member self() const;
    void report(const std::string& what) const;

    const ClientOptions& options_;
    const ClientEvents& events_;
    Send send_;
    std::string session_id_;
    // What this member joins with: the options' name and info, as updated since.
    std::string name_;
    std::string info_;
    bool invitation_responses_ = false;  // the server said hello with "invitation-response"
    protocol::SeenIds seen_ids_;
    protocol::AckQueue unacknowledged_;

    // What the server confirmed of this client's own requests: its member@new, and its
    // channel@member@new and @remove. A member the server forgot joins these again.
    bool joined_ = false;
    std::set<std::string> channels_;

    // Resume: the token, and the frames received since it (or since the last resync).
    std::string resume_token_;
    std::uint64_t received_ = 0;
    bool counting_ = false;    // off from a lost connection until the resume is answered
    bool restoring_ = false;   // a resume request is due or unanswered
    std::string new_session_;  // the session id of the connection the resume is asked on
};

}  // namespace presence::client
