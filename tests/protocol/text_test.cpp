// SPDX-License-Identifier: Apache-2.0
#include "protocol/text.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace presence::protocol {
namespace {

using namespace std::string_literals;

struct Vector {
    std::string bytes;
    std::string base64;
};

// RFC 4648, section 10, plus the two characters beyond the alphanumerics.
const std::vector<Vector> vectors = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
    {"\xFB\xEF\xBE", "++++"},
    {"\xFF\xFF\xFF", "////"},
    {"\xFB\xFF", "+/8="},
    {"\0"s, "AA=="},
    {"\0\0\0"s, "AAAA"},
    {"Zo\xC3\xAB", "Wm/Dqw=="},
};

TEST(Base64, EncodesTheRfc4648Vectors) {
    for (const Vector& v : vectors) EXPECT_EQ(base64_encode(v.bytes), v.base64) << v.base64;
}

TEST(Base64, DecodesTheRfc4648Vectors) {
    for (const Vector& v : vectors) EXPECT_EQ(base64_decode(v.base64), v.bytes) << v.base64;
}

TEST(Base64, EveryByteValueAndLengthRoundTrips) {
    std::string bytes;
    for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
    for (std::size_t n = 0; n <= bytes.size(); ++n) {
        const std::string slice = bytes.substr(bytes.size() - n);
        const std::string encoded = base64_encode(slice);
        EXPECT_EQ(encoded.size(), 4 * ((n + 2) / 3));
        EXPECT_EQ(base64_decode(encoded), slice) << encoded;
    }
}

TEST(Base64, RejectsAnythingButCanonicalPaddedBase64) {
    const std::vector<std::string> rejected = {
        "Zg",          // padding left out
        "Zm8",
        "Zm9vYg",
        "Zg=",         // length not a multiple of 4
        "Zm9vY",
        "Zg===",
        "Z===",        // three padding characters
        "====",
        "=Zm9",        // padding anywhere but the end
        "Zm=v",
        "Zg==Zg==",
        "Zm9v!A==",    // outside the alphabet
        "Zm9v-_8=",    // URL-safe alphabet
        "Zm9v\n",      // whitespace, which OpenSSL alone would skip
        " Zm9v",
        "Zm9v ",
        "Zm 9v",
        "Zm9v\r\n",
        "\0Zm9"s,
        "Zh==",        // bits set after the last byte ("f" is "Zg==")
        "Zm9=",        // ("fo" is "Zm8=")
    };
    for (const std::string& text : rejected)
        EXPECT_FALSE(base64_decode(text)) << testing::PrintToString(text);
}

TEST(Latin1, EveryByteBecomesItsCodePointInUtf8) {
    EXPECT_EQ(latin1_to_utf8(""), "");
    EXPECT_EQ(latin1_to_utf8("plain \x01\x7F"), "plain \x01\x7F");
    EXPECT_EQ(latin1_to_utf8("\0"s), "\0"s);
    EXPECT_EQ(latin1_to_utf8("caf\xE9"), "caf\xC3\xA9");
    EXPECT_EQ(latin1_to_utf8("\x80\xBF\xC0\xFF"), "\xC2\x80\xC2\xBF\xC3\x80\xC3\xBF");
    std::string every_byte;
    for (int c = 0; c < 256; ++c) every_byte += static_cast<char>(c);
    const std::string utf8 = latin1_to_utf8(every_byte);
    EXPECT_TRUE(is_valid_utf8(utf8));
    EXPECT_EQ(utf8.size(), 128u + 2 * 128u);
}

TEST(Utf8, AcceptsValidText) {
    const std::vector<std::string> valid = {
        "",
        "plain ASCII \x01\x7F",
        "\0 inside"s,
        "\xC2\x80",                  // U+0080, smallest two-byte
        "\xC3\xA9",                  // é
        "\xDF\xBF",                  // U+07FF
        "\xE0\xA0\x80",              // U+0800, smallest three-byte
        "\xE2\x82\xAC",              // €
        "\xED\x9F\xBF",              // U+D7FF, just below the surrogates
        "\xEE\x80\x80",              // U+E000, just above them
        "\xEF\xBF\xBF",              // U+FFFF
        "\xF0\x90\x80\x80",          // U+10000, smallest four-byte
        "\xF0\x9F\x98\x80",          // 😀
        "\xF4\x8F\xBF\xBF",          // U+10FFFF, the largest code point
        "Zo\xC3\xAB \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80!",
    };
    for (const std::string& s : valid) EXPECT_TRUE(is_valid_utf8(s)) << testing::PrintToString(s);
}

TEST(Utf8, RejectsOverlongForms) {
    for (const std::string s : {"\xC0\x80", "\xC0\xAF", "\xC1\xBF", "\xE0\x80\x80", "\xE0\x9F\xBF",
                                "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF", "a\xC0\xAFz"})
        EXPECT_FALSE(is_valid_utf8(s)) << testing::PrintToString(s);
}

TEST(Utf8, RejectsSurrogates) {
    for (const std::string s : {"\xED\xA0\x80", "\xED\xAD\xBF", "\xED\xB0\x80", "\xED\xBF\xBF",
                                "\xED\xA0\xBD\xED\xB8\x80"})  // a CESU-8 pair
        EXPECT_FALSE(is_valid_utf8(s)) << testing::PrintToString(s);
}

TEST(Utf8, RejectsTruncatedSequences) {
    for (const std::string s : {"\xC3", "\xE2\x82", "\xE2", "\xF0\x9F\x98", "\xF0\x9F", "\xF0",
                                "abc\xE2\x82", "\xE2\x82z", "\xF0\x9F\x98z", "\xC3\x28"})
        EXPECT_FALSE(is_valid_utf8(s)) << testing::PrintToString(s);
}

TEST(Utf8, RejectsStrayContinuationBytes) {
    for (const std::string s : {"\x80", "\xBF", "a\x80z", "\xC3\xA9\xA9"})
        EXPECT_FALSE(is_valid_utf8(s)) << testing::PrintToString(s);
}

TEST(Utf8, RejectsCodePointsAboveU10FFFF) {
    for (const std::string s : {"\xF4\x90\x80\x80", "\xF4\xBF\xBF\xBF", "\xF5\x80\x80\x80",
                                "\xF7\xBF\xBF\xBF", "\xF8\x88\x80\x80\x80",
                                "\xFC\x84\x80\x80\x80\x80", "\xFE", "\xFF"})
        EXPECT_FALSE(is_valid_utf8(s)) << testing::PrintToString(s);
}

TEST(SplitList, TrimsItemsAndSkipsEmptyOnes) {
    using Items = std::vector<std::string_view>;
    EXPECT_EQ(split_list("a, b ,c"), (Items{"a", "b", "c"}));
    EXPECT_EQ(split_list(" web.presence.esegece.com"), (Items{"web.presence.esegece.com"}));
    EXPECT_EQ(split_list(",, x ,"), (Items{"x"}));
    EXPECT_TRUE(split_list("").empty());
    EXPECT_TRUE(split_list(" , ").empty());
}

}  // namespace
}  // namespace presence::protocol
