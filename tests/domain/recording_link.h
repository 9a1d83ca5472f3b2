// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "domain/frame.h"
#include "protocol/codec.h"

namespace presence {

// A link that keeps, decoded, every frame the presence rules send it.
struct RecordingLink : Link {
    void send(const Bytes& bytes, MadeAt made_at) override {
        raw.push_back(*bytes);
        frames.push_back(protocol::decode(*bytes).message);
        if (made_at != MadeAt{}) ++timed;
    }
    void close(unsigned short code, std::string_view why) override {
        closed = code;
        reason = why;
    }
    void drop() override { dropped = true; }
    std::string_view peer() const override { return address; }

    // The frames of `method`, in order.
    std::vector<protocol::Message> of(protocol::Method method) const {
        std::vector<protocol::Message> found;
        for (const auto& m : frames)
            if (m.method == method) found.push_back(m);
        return found;
    }
    const protocol::Message& last() const { return frames.back(); }

    std::vector<protocol::Message> frames;
    std::vector<std::string> raw;  // the same frames as sent
    std::size_t timed = 0;  // frames sent with the time they were made
    std::string address = "192.0.2.1:50000";
    int closed = 0;
    std::string reason;  // of the close
    bool dropped = false;
};

// One request frame: `method` and the JSON members in `rest`.
inline std::string request_frame(std::string_view method, std::string_view rest = {}) {
    std::string f = R"({"jsonrpc":"2.0","method":")" + std::string(method) + "\"";
    if (!rest.empty()) f += "," + std::string(rest);
    return f + "}";
}

}  // namespace presence
