// SPDX-License-Identifier: Apache-2.0
// FrameCheck, the follower of a client's frames below Beast: where it stops, however the
// bytes are cut into reads.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "server/frame_gate.h"

namespace presence {
namespace {

using Bytes = std::vector<unsigned char>;

// A masked client frame (mask 1 2 3 4); `length_bytes` 0, 2 or 8 as the wire allows.
Bytes frame(unsigned char opcode, const std::string& payload, int length_bytes = 0, std::uint64_t length = 0) {
    Bytes out{static_cast<unsigned char>(0x80 | opcode)};
    if (length_bytes == 0) {
        out.push_back(static_cast<unsigned char>(0x80 | payload.size()));
    } else {
        out.push_back(length_bytes == 2 ? 0xfe : 0xff);
        for (int i = length_bytes - 1; i >= 0; --i) out.push_back(static_cast<unsigned char>(length >> (8 * i)));
    }
    const unsigned char mask[4] = {1, 2, 3, 4};
    out.insert(out.end(), mask, mask + 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        out.push_back(static_cast<unsigned char>(payload[i]) ^ mask[i % 4]);
    return out;
}

Bytes operator+(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// What FrameCheck lets through of `bytes` given in reads of `piece` bytes.
std::size_t passed(FrameCheck& check, const Bytes& bytes, std::size_t piece) {
    std::size_t total = 0;
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
        const std::size_t size = std::min(piece, bytes.size() - at);
        const std::size_t n = check.scan(bytes.data() + at, size);
        total += n;
        if (n < size) break;
    }
    return total;
}

const Bytes text = frame(0x1, "{\"a\":1}");

TEST(FrameCheck, LetsGoodFramesThroughWhateverTheReads) {
    const Bytes bytes = text + frame(0x9, "ping") + frame(0x8, std::string("\x03\xe8", 2) + "bye") +
                        frame(0x1, std::string(300, ' '), 2, 300);
    for (std::size_t piece : {1u, 3u, 7u, 1000u}) {
        FrameCheck check;
        EXPECT_EQ(passed(check, bytes, piece), bytes.size()) << piece;
        EXPECT_FALSE(check.violation());
    }
}

TEST(FrameCheck, StopsAtTheTopBitOfA64BitLength) {
    for (std::size_t piece : {1u, 4u, 1000u}) {
        FrameCheck check;
        EXPECT_EQ(passed(check, text + frame(0x1, "", 8, std::uint64_t{1} << 63), piece), text.size() + 2);
        ASSERT_TRUE(check.violation());
        EXPECT_EQ(check.violation()->code, 1002);
        EXPECT_EQ(check.scan(text.data(), text.size()), 0u) << "nothing more after a violation";
    }
}

TEST(FrameCheck, StopsAtACloseCodeFrom5000) {
    for (std::size_t piece : {1u, 1000u}) {
        FrameCheck check;
        const Bytes close = frame(0x8, std::string("\x13\x88", 2));  // 5000
        EXPECT_EQ(passed(check, text + close, piece), text.size() + close.size() - 1);
        ASSERT_TRUE(check.violation());
        EXPECT_EQ(check.violation()->code, 1002);
    }
}

TEST(FrameCheck, StopsAtTheLastByteOfACloseReasonThatIsNotUtf8) {
    FrameCheck check;
    const Bytes close = frame(0x8, std::string("\x03\xe8\xce\xba\xff", 5));
    EXPECT_EQ(passed(check, close, 2), close.size() - 1);
    ASSERT_TRUE(check.violation());
    EXPECT_EQ(check.violation()->code, 1007);
}

}  // namespace
}  // namespace presence
