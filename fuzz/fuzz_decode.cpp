// SPDX-License-Identifier: Apache-2.0
// The frame decoder on arbitrary bytes. A frame that decodes must come back the same
// after encoding, with and without Base64; a frame with an id must be acknowledged once
// per arrival and acted on once; a broker message that names a namespace must be its
// prefix and its payload. Any broken rule aborts, so the fuzzer reports it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/acknowledgment.h"
#include "protocol/broker_framing.h"
#include "protocol/codec.h"

namespace presence::protocol {
namespace {

void require(bool holds, const char* rule, std::string_view frame) {
    if (holds) return;
    std::fprintf(stderr, "broken: %s\nframe: %.*s\n", rule, static_cast<int>(frame.size()), frame.data());
    std::abort();
}

bool prefixed(std::string_view s) { return s.starts_with(base64_prefix); }

bool prefixed(const Member& m) { return prefixed(m.id) || prefixed(m.name) || prefixed(m.info); }

// Whether a string of `m` starts with the Base64 prefix: written plain, it would be read
// back decoded, so such a message cannot survive a plain round trip (docs/protocol.md).
bool carries_prefix(const Message& m) {
    if (m.member && prefixed(*m.member)) return true;
    if (m.members)
        for (const Member& member : *m.members)
            if (prefixed(member)) return true;
    return (m.channel && prefixed(*m.channel)) || (m.text && prefixed(*m.text)) ||
           (m.error && prefixed(m.error->text)) || prefixed(m.id);
}

bool is_decode_error(ErrorCode code) {
    return code == ErrorCode::parse_error || code == ErrorCode::invalid_request ||
           code == ErrorCode::method_not_found || code == ErrorCode::invalid_params;
}

void check_round_trip(const Message& message, bool base64, std::string_view frame) {
    const Decoded again = decode(encode(message, base64));
    require(again.ok(), "an encoded message decodes", frame);
    require(again.message == message, "an encoded message decodes to itself", frame);
}

// The receiver's side of acknowledgment, with one frame of ours pending under the
// frame's id, so that an acknowledgment has something to settle.
void check_admit(const Decoded& decoded, std::string_view frame) {
    const std::string& id = decoded.ok() ? decoded.message.id : decoded.error->id;
    const bool is_acknowledgment = decoded.ok() && decoded.message.method == Method::acknowledgment;
    AckQueue sent;
    sent.track(id, std::make_shared<const std::string>("ours"), Clock::now());
    SeenIds seen;
    int replies = 0;
    const auto reply = [&](std::string acknowledgment) {
        ++replies;
        if (prefixed(id)) return;  // sent plain, as the protocol says; read back decoded
        const Decoded ack = decode(acknowledgment);
        require(ack.ok() && ack.message.method == Method::acknowledgment && ack.message.id == id,
                "the acknowledgment carries the frame's id", frame);
    };

    const bool first = admit(decoded, sent, seen, reply);
    if (is_acknowledgment) {
        require(!first && replies == 0, "an acknowledgment is neither handled nor acknowledged", frame);
        require(sent.size() == 0, "an acknowledgment settles its id", frame);
        return;
    }
    require(sent.size() == 1, "only an acknowledgment settles a pending frame", frame);
    require(first, "a frame is handled the first time", frame);
    require(replies == (id.empty() ? 0 : 1), "a frame with an id is acknowledged", frame);
    const bool second = admit(decoded, sent, seen, reply);
    require(second == id.empty(), "a repeated id is not handled again", frame);
    require(replies == (id.empty() ? 0 : 2), "a repeated id is acknowledged again", frame);
}

void check_broker_framing(std::string_view message) {
    const BrokerFrame split = split_broker_frame(message);
    std::string_view guid;
    if (!split.error.empty() || !guid_of(split.id, guid)) return;
    require(broker_prefix(guid) + std::string(split.payload) == message, "a broker message is its prefix and payload",
            message);
}

void check(std::string_view frame) {
    check_broker_framing(frame);
    const Decoded decoded = decode(frame);
    if (decoded.ok()) {
        check_round_trip(decoded.message, true, frame);
        if (!carries_prefix(decoded.message)) check_round_trip(decoded.message, false, frame);
    } else {
        require(is_decode_error(decoded.error->code), "a bad frame gets a negative error code", frame);
    }
    check_admit(decoded, frame);
}

}  // namespace
}  // namespace presence::protocol

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    presence::protocol::check(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
