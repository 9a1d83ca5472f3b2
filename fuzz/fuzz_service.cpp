// SPDX-License-Identifier: Apache-2.0
// The server's whole message handler: the presence rules over the memory engine, with
// four fake links, driven by a script. After every step the invariants are checked; a
// broken one aborts, so the fuzzer reports it.
//
// The script: byte 0 chooses the options (options_of, and the kind of shutdown). Then
// steps: a selector byte, a 2-byte big-endian length and that many payload bytes (a
// length past the end takes the rest). The selector's low 2 bits name the link, the rest
// (modulo the number of operations) the operation, see Op.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/memory/memory_engine.h"
#include "domain/connection.h"
#include "domain/presence_service.h"
#include "protocol/codec.h"

namespace presence {
namespace {

using namespace std::chrono_literals;
using protocol::Message;
using protocol::Method;

constexpr std::size_t link_count = 4;
constexpr std::size_t kept_ids = 8;

[[noreturn]] void broken(std::string_view rule) {
    std::fprintf(stderr, "broken: %.*s\n", static_cast<int>(rule.size()), rule.data());
    std::abort();
}

void require(bool holds, std::string_view rule) {
    if (!holds) broken(rule);
}

std::uint8_t byte_at(std::string_view payload, std::size_t i) {
    return i < payload.size() ? static_cast<std::uint8_t>(payload[i]) : 0;
}

// A transport reduced to what a client needs to answer: the ids to acknowledge and its
// resume token. Every frame it is sent must be one a client can read.
class FakeLink final : public Link {
public:
    void send(const Bytes& bytes, MadeAt) override {
        const protocol::Decoded decoded = protocol::decode(*bytes);
        const bool first = frames_++ == 0;
        if (!decoded.ok()) {
            if (!base64 && bytes->find(quoted_prefix) != std::string::npos) return;
            broken("the service sends only frames a client can read, not this one (" + decoded.error->text +
                   "): " + *bytes);
        }
        const Message& m = decoded.message;
        require(!first || m.method == Method::session, "a connection's first frame is its session");
        if (m.method == Method::resume_token) resume_token = m.text.value_or("");
        if (m.id.empty() || m.method == Method::acknowledgment) return;
        ids.push_back(m.id);
        if (ids.size() > kept_ids) ids.erase(ids.begin());
    }
    void close(unsigned short, std::string_view) override { closing = true; }
    void drop() override { dropped = true; }

    void connect() {
        live = true;
        closing = dropped = false;
        frames_ = 0;
        ids.clear();
    }

    // The service's encode_base64. Without it, a string that starts with the Base64 prefix
    // is read back as Base64, a limit of the protocol (docs/protocol.md, Base64).
    bool base64 = false;
    // From connect() until the transport reports the end, or the service drops it.
    bool live = false;
    bool closing = false;  // the transport acts on no more frames
    bool dropped = false;
    std::vector<std::string> ids;  // of frames to acknowledge, newest last
    std::string resume_token;      // the last one received, kept for the next connections

private:
    static constexpr std::string_view quoted_prefix = "\"sgc@b64:";
    std::size_t frames_ = 0;
};

// The memory engine, checking the preconditions the presence rules must keep and
// knowing each member's connection.
class CheckedEngine final : public Engine {
public:
    using Connections = std::map<std::string, const Connection*, std::less<>>;

    void set_listener(EngineListener& listener) override { engine_.set_listener(listener); }

    bool add_member(const Member& member, Connection& connection, const FramePtr& announcement) override {
        if (!engine_.add_member(member, connection, announcement)) return false;
        connections_[member.id] = &connection;
        return true;
    }
    void remove_member(std::string_view id, const FramePtr& announcement) override {
        require(engine_.find_member(id) != nullptr, "only a member is removed");
        engine_.remove_member(id, announcement);
        connections_.erase(connections_.find(id));
    }
    void update_member(const Member& member, const FramePtr& announcement) override {
        require(engine_.find_member(member.id) != nullptr, "only a member is updated");
        engine_.update_member(member, announcement);
    }
    bool subscribe(std::string_view channel, std::string_view id, const FramePtr& announcement) override {
        require(engine_.find_member(id) != nullptr, "only a member subscribes");
        require(!engine_.is_subscribed(channel, id), "a member subscribes once");
        return engine_.subscribe(channel, id, announcement);
    }
    bool unsubscribe(std::string_view channel, std::string_view id, const FramePtr& announcement) override {
        require(engine_.is_subscribed(channel, id), "only a subscriber unsubscribes");
        return engine_.unsubscribe(channel, id, announcement);
    }

    const Member* find_member(std::string_view id) const override { return engine_.find_member(id); }
    bool channel_exists(std::string_view channel) const override { return engine_.channel_exists(channel); }
    bool is_subscribed(std::string_view channel, std::string_view id) const override {
        return engine_.is_subscribed(channel, id);
    }
    std::vector<std::string> channels_of(std::string_view id) const override { return engine_.channels_of(id); }
    std::size_t member_count(std::string_view channel) const override { return engine_.member_count(channel); }
    std::vector<Member> members(std::string_view channel) const override { return engine_.members(channel); }
    std::vector<Member> all_members() const override { return engine_.all_members(); }
    std::vector<Member> members_page(std::string_view channel, std::string_view after,
                                     std::size_t limit) const override {
        return engine_.members_page(channel, after, limit);
    }
    std::vector<ChannelSummary> channels() const override { return engine_.channels(); }

    void publish(std::string_view channel, const FramePtr& frame) override { engine_.publish(channel, frame); }
    bool send_to_member(std::string_view id, const FramePtr& frame) override {
        return engine_.send_to_member(id, frame);
    }

    const Connections& connections() const { return connections_; }

private:
    MemoryEngine engine_;
    Connections connections_;  // by member id
};

// Small limits, so that a short script reaches them.
PresenceOptions options_of(std::uint8_t choice) {
    PresenceOptions o;
    o.max_name_bytes = 8;
    o.max_info_bytes = 16;
    o.max_channel_bytes = 12;
    o.max_invalid_frames = 3;
    o.max_pending_invitations = 2;
    o.max_channels_per_member = 3;
    o.ack.enabled = (choice & 1) != 0;
    o.ack.timeout = 60s;
    o.ack.max_retries = 2;
    o.encode_base64 = (choice & 2) != 0;
    o.resume.grace = (choice & 4) != 0 ? 0s : 30s;
    o.resume.backlog_frames = 4;
    o.resume.backlog_bytes = 1024;
    if ((choice & 8) != 0) {
        o.max_requests_per_second = 1;
        o.request_burst = 8;
        o.max_invitations_per_minute = 2;
    }
    if ((choice & 16) != 0) o.max_channel_members = 2;
    return o;
}

// Hooks that refuse on words a script can say, so that every refusal is reachable.
ServerHooks refusing_hooks() {
    ServerHooks h;
    h.before_new_member = [](const Member& m) { return m.name != "deny"; };
    h.before_new_channel = [](const std::string& channel, const Member&) { return channel != "deny"; };
    h.before_new_channel_member = [](const std::string& channel, const Member&) { return channel != "room-0"; };
    h.before_publish = [](const std::string&, const Member&, const std::string& text) { return text != "deny"; };
    h.before_send_members = [](const std::string&, const Member& m) { return m.name != "quiet"; };
    h.before_invite = [](const std::string&, const Member&, const Member& invitee) {
        return invitee.name != "quiet";
    };
    return h;
}

enum class Op {
    connect,          // anonymous
    connect_granted,  // payload[0]: bit 0 restricted, bit 1 fixed name, bit 2 ends in 60 s,
                      // bit 3 fixed user;
                      // the id is "m" and payload[1] % 4, or the link's number without it
    receive,          // the payload is the frame
    disconnect,       // after a closing handshake
    lose,             // without one
    tick,             // the clock advances (payload[0] + 1) * 10 s: re-sends, diffs, expiries
    acknowledge,      // payload[0] picks one of the ids the link received
    resume,           // with payload[0]'s link token, payload[1] frames received
    broadcast,        // the payload is the text; payload[0] odd: to room-1, else everyone
    count
};

class Harness {
public:
    explicit Harness(std::uint8_t choice)
        : service_(engine_, options_of(choice), hooks_), close_at_end_((choice & 32) != 0) {
        for (FakeLink& link : links_) link.base64 = service_.options().encode_base64;
    }

    void step(std::uint8_t selector, std::string_view payload) {
        const std::size_t index = selector % link_count;
        run(static_cast<Op>(selector / link_count % static_cast<unsigned>(Op::count)), index, payload);
        // A dropped link ends without telling the service.
        for (FakeLink& link : links_)
            if (link.dropped) link.live = false;
    }

    void check() const {
        std::size_t live = 0;
        for (const FakeLink& link : links_) live += link.live ? 1 : 0;
        require(service_.connections() == live, "one connection per connected link");
        std::set<const Link*> linked;
        std::size_t detached = 0;
        for (const auto& [id, connection] : engine_.connections()) {
            require(connection->member() && connection->member()->id == id, "a member is its connection's member");
            const Link* link = connection->link();
            if (!link) {
                ++detached;
                continue;
            }
            require(is_live(link), "a member's connection is on a connected link");
            require(linked.insert(link).second, "one member per link");
        }
        require(detached <= service_.detached(), "a member without a link is waiting to resume");
        require(engine_.connections().size() == engine_.all_members().size(), "the engine lists every member");
    }

    // As the server stops: gently, or at once.
    void shut_down() {
        if (close_at_end_) {
            service_.close_all(1001, "going away");
            for (FakeLink& link : links_)
                if (std::exchange(link.live, false)) service_.disconnect(link);
        } else {
            service_.disconnect_all();
            for (FakeLink& link : links_) link.live = false;
        }
        require(service_.connections() == 0 && service_.detached() == 0, "nothing is connected after shutdown");
        require(engine_.connections().empty() && engine_.all_members().empty(), "nobody is left after shutdown");
    }

private:
    void run(Op op, std::size_t index, std::string_view payload) {
        FakeLink& link = links_[index];
        switch (op) {
        case Op::connect: return connect(link, {});
        case Op::connect_granted: return connect(link, grant_of(index, payload));
        case Op::receive: return receive(link, payload);
        case Op::disconnect:
            if (std::exchange(link.live, false)) service_.disconnect(link);
            return;
        case Op::lose:
            if (std::exchange(link.live, false)) service_.lose(link);
            return;
        case Op::tick: return tick(byte_at(payload, 0));
        case Op::acknowledge:
            if (!link.ids.empty())
                receive(link, protocol::encode_acknowledgment(link.ids[byte_at(payload, 0) % link.ids.size()]));
            return;
        case Op::resume: return resume(link, links_[byte_at(payload, 0) % link_count], byte_at(payload, 1));
        case Op::broadcast:
            service_.broadcast(payload, byte_at(payload, 0) % 2 ? "room-1" : "");
            return;
        case Op::count: break;
        }
    }

    void connect(FakeLink& link, Grant grant) {
        if (link.live) return;
        link.connect();
        service_.connect(link, std::move(grant));
    }

    Grant grant_of(std::size_t index, std::string_view payload) const {
        const std::uint8_t flags = byte_at(payload, 0);
        Grant g;
        g.id = std::string("m").append(std::to_string(payload.size() > 1 ? byte_at(payload, 1) % link_count : index));
        g.restricted = (flags & 1) != 0;
        g.join = {"room*"};
        g.publish = {"room-1"};
        if ((flags & 2) != 0) g.name = "fixed";
        if ((flags & 4) != 0) g.expires = wall_clock_ + 60s;
        if ((flags & 8) != 0) g.user = "u1";
        return g;
    }

    void receive(FakeLink& link, std::string_view frame) {
        if (link.live && !link.closing) service_.receive(link, frame);
    }

    void tick(std::uint8_t tens_of_seconds) {
        const auto elapsed = std::chrono::seconds(10) * (tens_of_seconds + 1);
        clock_ += elapsed;
        wall_clock_ += elapsed;
        service_.resend_unacknowledged(clock_);
        service_.flush_views(clock_);
        service_.expire(clock_);
        service_.end_grants(wall_clock_);
    }

    void resume(FakeLink& link, const FakeLink& owner, std::uint8_t received) {
        Message request;
        request.method = Method::resume;
        request.text = owner.resume_token + ":" + std::to_string(received);
        receive(link, protocol::encode(request, false));
    }

    bool is_live(const Link* link) const {
        for (const FakeLink& l : links_)
            if (&l == link) return l.live;
        return false;
    }

    ServerHooks hooks_ = refusing_hooks();
    CheckedEngine engine_;
    PresenceService service_;
    bool close_at_end_;
    std::array<FakeLink, link_count> links_;
    protocol::Clock::time_point clock_ = protocol::Clock::now();
    std::chrono::system_clock::time_point wall_clock_ = std::chrono::system_clock::now();
};

// The next step of the script; false at its end.
bool next_step(std::span<const std::uint8_t>& script, std::uint8_t& selector, std::string_view& payload) {
    if (script.size() < 3) return false;
    selector = script[0];
    const std::size_t length = std::min<std::size_t>((script[1] << 8) | script[2], script.size() - 3);
    payload = std::string_view(reinterpret_cast<const char*>(script.data() + 3), length);
    script = script.subspan(3 + length);
    return true;
}

void run_script(std::span<const std::uint8_t> script) {
    if (script.empty()) return;
    Harness harness(script[0]);
    script = script.subspan(1);
    std::uint8_t selector = 0;
    std::string_view payload;
    while (next_step(script, selector, payload)) {
        harness.step(selector, payload);
        harness.check();
    }
    harness.shut_down();
}

}  // namespace
}  // namespace presence

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        presence::run_script({data, size});
    } catch (const std::exception& e) {
        presence::broken(std::string("nothing throws, yet this did: ") + e.what());
    }
    return 0;
}
