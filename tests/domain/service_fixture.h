// SPDX-License-Identifier: Apache-2.0
#pragma once

// A presence service over the memory engine, with links that record what they are sent,
// and requests built with the protocol codec: the presence rules tested in-process, each
// frame decoded as a client would read it.

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "domain/presence_service.h"
#include "engine/memory/memory_engine.h"
#include "protocol/codec.h"
#include "recording_link.h"

namespace presence {

using protocol::Message;
using protocol::Method;

// Members as test failures show them.
inline void PrintTo(const Member& m, std::ostream* os) {
    *os << "{" << m.id << ", " << m.name << ", " << m.info << (m.user.empty() ? "" : ", " + m.user) << "}";
}

// Options without the rate and size limits that a test does not aim at.
inline PresenceOptions open_options() {
    PresenceOptions o;
    o.max_requests_per_second = 0;
    o.max_channels_per_member = 0;
    o.max_invitations_per_minute = 0;
    o.max_invitations_received_per_minute = 0;
    o.max_info_updates_per_second = 0;
    return o;
}

// A request as a client encodes it.
inline Message request(Method method, std::optional<std::string> channel = std::nullopt,
                       std::optional<std::string> text = std::nullopt) {
    Message m;
    m.method = method;
    m.channel = std::move(channel);
    m.text = std::move(text);
    return m;
}

class ServiceTest : public ::testing::Test {
protected:
    void start(PresenceOptions options = open_options()) { service.emplace(engine, std::move(options), hooks); }

    // Connects and returns the session id.
    std::string connect(RecordingLink& link, Grant grant = {}) {
        service->connect(link, std::move(grant));
        return id_of(link);
    }
    void hello(RecordingLink& link, std::string_view features) {
        send(link, request(Method::hello, std::nullopt, std::string(features)));
    }
    // Connects (saying hello first when `features` is not empty) and joins; returns the id.
    std::string join(RecordingLink& link, std::string_view name = "n", std::string_view user = {},
                     std::string_view features = {}) {
        const std::string id = connect(link);
        if (!features.empty()) hello(link, features);
        send_join(link, name, user);
        return id;
    }
    void send_join(RecordingLink& link, std::string_view name = "n", std::string_view user = {}) {
        Message m = request(Method::member_new);
        m.member = Member{"", std::string(name), "", std::string(user)};
        send(link, m);
    }
    void send(RecordingLink& link, const Message& m) { service->receive(link, protocol::encode(m, false)); }
    void send(RecordingLink& link, Method method, std::optional<std::string> channel = std::nullopt,
              std::optional<std::string> text = std::nullopt) {
        send(link, request(method, std::move(channel), std::move(text)));
    }
    void subscribe(RecordingLink& link, const std::string& channel) { send(link, Method::channel_member_new, channel); }
    void unsubscribe(RecordingLink& link, const std::string& channel) {
        send(link, Method::channel_member_remove, channel);
    }
    void publish(RecordingLink& link, const std::string& channel, const std::string& text = "hi") {
        send(link, Method::publish_msg, channel, text);
    }
    void invite(RecordingLink& link, const std::string& channel, const std::vector<std::string>& ids) {
        Message m = request(Method::channel_invitation, channel);
        m.members.emplace();
        for (const std::string& id : ids) m.members->push_back(Member{id, "", ""});
        send(link, m);
    }
    // A refusal of `inviter`'s invitation to `channel`.
    void refuse(RecordingLink& link, const std::string& inviter, const std::string& channel,
                const std::string& text = "refused") {
        Message m = request(Method::invitation_response, channel, text);
        m.member = Member{inviter, "", ""};
        send(link, m);
    }
    void update(RecordingLink& link, std::optional<std::string> name, std::optional<std::string> info) {
        Message m = request(Method::update_member);
        m.member = Member{"", name.value_or(""), info.value_or("")};
        m.carried = {name.has_value(), info.has_value()};
        send(link, m);
    }

    // Sends the pending diffs and counts, as the server's timer would.
    void flush_diffs() {
        const auto due = service->next_flush();
        ASSERT_TRUE(due) << "no diff pending";
        service->flush_views(*due);
    }
    // A time point well past every grace and interval the tests use.
    static protocol::Clock::time_point later() { return protocol::Clock::now() + std::chrono::hours(1); }

    static std::string id_of(const RecordingLink& link) { return *link.of(Method::session).at(0).text; }
    static int error_of(const Message& m) { return m.error ? m.error->code : 0; }
    static int last_error(const RecordingLink& link) { return link.frames.empty() ? 0 : error_of(link.last()); }
    // The ids of the members a frame lists, in order.
    static std::vector<std::string> ids(const Message& m) {
        std::vector<std::string> found;
        if (m.members)
            for (const Member& member : *m.members) found.push_back(member.id);
        return found;
    }
    // Who the frames of `method` that `link` was sent are about, in order.
    static std::vector<std::string> about(const RecordingLink& link, Method method) {
        std::vector<std::string> found;
        for (const Message& m : link.of(method)) found.push_back(m.member ? m.member->id : "");
        return found;
    }

    ServerHooks hooks;
    MemoryEngine engine;
    std::optional<PresenceService> service;
    RecordingLink a, b, c, d;
};

}  // namespace presence
