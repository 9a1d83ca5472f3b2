// SPDX-License-Identifier: Apache-2.0
// The JSON codec alone: the cost of encoding and of parsing one frame of each method the
// wire carries, plain and with Base64 (EncodeBase64). A server encodes a fan-out frame
// once for all its recipients, but parses every frame every client sends.
//   codec-bench [Google Benchmark flags, e.g. --benchmark_filter=publish]
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "protocol/codec.h"

namespace {

using presence::Member;
using presence::protocol::Message;
using presence::protocol::Method;

Member member(int n) {
    return Member{"1f0c6a52-3b9e-4d2a-9e8f-" + std::to_string(100000000000 + n), "member " + std::to_string(n),
                  "status: available\nlocation: office"};
}

Message message(Method method) {
    Message m;
    m.method = method;
    return m;
}

Message with_member(Method method) {
    Message m = message(method);
    m.member = member(1);
    return m;
}

Message in_channel(Method method) {
    Message m = with_member(method);
    m.channel = "lobby";
    return m;
}

Message session() {
    Message m = message(Method::session);
    m.text = "7d8e4f0a-91b2-4c3d-a5e6-0f1e2d3c4b5a";
    return m;
}

Message publish() {
    Message m = in_channel(Method::publish_msg);
    m.text = "Hello, everyone in the lobby: the meeting starts in five minutes.";
    return m;
}

Message get_members() { return in_channel(Method::get_members); }

Message send_members(int count) {
    Message m = in_channel(Method::send_members);
    m.members.emplace();
    for (int i = 0; i < count; ++i) m.members->push_back(member(i));
    return m;
}

Message invitation() {
    Message m = in_channel(Method::channel_invitation);
    m.members = std::vector<Member>{member(2)};
    return m;
}

Message acknowledgment() {
    Message m = message(Method::acknowledgment);
    m.id = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    return m;
}

Message error_frame(Method method) {
    Message m = in_channel(method);
    m.error = presence::protocol::make_error(presence::ErrorCode::subscription_not_exists);
    if (method == Method::error_publish_msg) m.text = "a message to a channel the sender is not in";
    return m;
}

void encode(benchmark::State& state, const Message& m, bool base64) {
    std::size_t bytes = 0;
    for (auto _ : state) {
        std::string frame = presence::protocol::encode(m, base64);
        bytes += frame.size();
        benchmark::DoNotOptimize(frame);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void decode(benchmark::State& state, const Message& m, bool base64) {
    const std::string frame = presence::protocol::encode(m, base64);
    for (auto _ : state) {
        presence::protocol::Decoded decoded = presence::protocol::decode(frame);
        if (!decoded.ok()) state.SkipWithError("the frame does not decode");
        benchmark::DoNotOptimize(decoded);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
}

// Each frame, encoded and decoded, plain and Base64: four benchmarks named after it.
void add(const std::string& name, const Message& m) {
    for (const bool base64 : {false, true}) {
        const std::string suffix = base64 ? "/base64" : "/plain";
        benchmark::RegisterBenchmark(("encode/" + name + suffix).c_str(), encode, m, base64);
        benchmark::RegisterBenchmark(("decode/" + name + suffix).c_str(), decode, m, base64);
    }
}

}  // namespace

int main(int argc, char** argv) {
    add("session", session());
    add("member@new", with_member(Method::member_new));
    add("member@remove", with_member(Method::member_remove));
    add("channel@member@new", in_channel(Method::channel_member_new));
    add("channel@member@remove", in_channel(Method::channel_member_remove));
    add("publish@msg", publish());
    add("get@members", get_members());
    add("send@members/10", send_members(10));
    add("send@members/100", send_members(100));
    add("channel@invitation", invitation());
    add("acknowledgment", acknowledgment());
    add("error@member@channel", error_frame(Method::error_member_channel));
    add("error@publish@msg", error_frame(Method::error_publish_msg));
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
