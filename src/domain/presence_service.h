// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/answers.h"
#include "domain/connection.h"
#include "domain/engine.h"
#include "domain/frames.h"
#include "domain/invitations.h"
#include "domain/membership.h"
#include "domain/sessions.h"
#include "domain/statistics.h"
#include "domain/views.h"
#include "presence/error_codes.h"
#include "presence/server_hooks.h"
#include "presence/server_options.h"
#include "protocol/message.h"

namespace presence {

// The presence rules: turns one connection's requests into engine calls, hook calls and
// frames for the members concerned. Knows nothing of sockets. Single-threaded: every call
// comes from the thread (or strand) that owns this object.
//
// It owns the components of the domain and dispatches each request to the one whose rule
// it is: Sessions (who is connected, resume, grants' ends), Membership (join, subscribe,
// publish, lists, updates), Views (diffs, counts, users), Invitations; Answers and Frames
// make every frame they send.
class PresenceService final : private EngineListener {
public:
    using LimitsHit = presence::LimitsHit;
    using ErrorsAnswered = presence::ErrorsAnswered;
    using Activity = presence::Activity;

    PresenceService(Engine& engine, PresenceOptions options, const ServerHooks& hooks);

    // Connections are known by their link. connect() sends the session frame;
    // disconnect() announces the departure of the link's member, and is a no-op for
    // a link already disconnected.
    void connect(Link& link, Grant grant = {});
    void receive(Link& link, std::string_view frame);
    void disconnect(Link& link);
    // The link was lost without a closing handshake. A member that can resume stays for
    // the grace period, keeping `hold` (the transport's count of the connection) until it
    // resumes or ends; otherwise as disconnect().
    void lose(Link& link, std::shared_ptr<const void> hold = {});
    // Ends the members whose grace period for resuming ran out before `now`.
    void expire(protocol::Clock::time_point now);
    // Closes (1008) the connections whose grant ended before `now`.
    void end_grants(std::chrono::system_clock::time_point now);
    // Closes every connection (each still gets disconnect() from its transport), and
    // ends the members waiting to resume.
    void close_all(unsigned short code, std::string_view reason);
    // Disconnects and drops whatever is still connected, for a shutdown that cannot
    // wait longer.
    void disconnect_all();
    // A frame the transport could not hand over (a bad broker framing): answered with
    // `code` and counted as a malformed request of the link's connection.
    void refuse(Link& link, ErrorCode code, std::string text);
    // A transport failure of one connection, for the on_error hook.
    void report_error(const Link& link, std::string_view what) const;
    // Ends the connection whose session id (a member's id) is `id`, for the application:
    // its departure is announced at once, as for a closed connection, then it is closed
    // with `code`. A member waiting to resume is ended. False when there is no such
    // connection here.
    bool close_connection(std::string_view id, unsigned short code, std::string_view reason);

    // False, and nothing sent, when `text` or `channel` is not UTF-8: no client could read it.
    bool broadcast(std::string_view text, std::string_view channel);
    // Re-sends what is due for acknowledgment on every connection.
    void resend_unacknowledged(protocol::Clock::time_point now);
    // Sends the diffs and counts of the channels that changed, once the diff interval has
    // passed since the first change, and the users' leaves whose grace ended.
    void flush_views(protocol::Clock::time_point now) { views_.flush(now); }
    // When flush_views next has something to send; none while nothing waits.
    std::optional<protocol::Clock::time_point> next_flush() const { return views_.next_flush(); }
    // `wake` is called whenever next_flush() may have come earlier.
    void on_next_flush(std::function<void()> wake) { views_.on_next_flush(std::move(wake)); }

    const Engine& engine() const { return engine_; }
    std::size_t connections() const { return sessions_.attached(); }
    // Members whose connection was lost and who may still resume it.
    std::size_t detached() const { return sessions_.detached(); }
    const LimitsHit& limits_hit() const { return statistics_.limits_hit; }
    const ErrorsAnswered& errors_answered() const { return statistics_.errors_answered; }
    const Activity& activity() const { return statistics_.activity; }
    // Frames re-sent for want of an acknowledgment, and frames dropped after the last retry.
    std::uint64_t ack_resends() const { return statistics_.ack_resends; }
    std::uint64_t ack_drops() const { return statistics_.ack_drops; }
    const PresenceOptions& options() const { return options_; }
    // The connection of `link`, or nullptr: for a transport that decides on requests
    // before they come in (HTTP hooks).
    const Connection* connection_of(const Link& link) const;
    // `frame`, a request of `link` that the transport's hooks refused: acknowledged and
    // answered with `code` as when a before_* hook refuses it.
    void deny(Link& link, std::string_view frame, ErrorCode code, std::string text);

private:
    using Message = protocol::Message;

    bool admitted(Connection& c, const protocol::Decoded& decoded);
    bool remembers_id(Connection& c, const protocol::Decoded& decoded);
    void dispatch(Connection& c, const Message& request);
    void hello(Connection& c, const Message& request);
    void resume(Connection& c, const Message& request);
    void take_over(Connection& fresh, std::unique_ptr<Connection> resumed, std::uint64_t received);
    // Ends a connection out of Sessions' lists: its member leaves, announced.
    void end(std::unique_ptr<Connection> c);

    FramePtr announcement(Change change, const Member& member, std::string_view channel) override;
    void reaped(const Member& member, const std::vector<std::string>& channels) override;
    void changed(Change change, const Member& member, std::string_view channel) override;
    FramePtr update_announcement(const Member& member) override;
    void updated(const Member& member) override;

    Engine& engine_;
    PresenceOptions options_;
    const ServerHooks& hooks_;
    Statistics statistics_;
    Frames frames_{options_};
    Answers answers_{options_, hooks_, frames_, statistics_};
    Sessions sessions_{options_, hooks_, statistics_};
    Views views_{engine_, options_, hooks_, frames_, answers_};
    Invitations invitations_{engine_, options_, hooks_, frames_, answers_, statistics_};
    Membership membership_{engine_, options_, hooks_, frames_, answers_, views_, invitations_, statistics_};
};

}  // namespace presence
