#include "client/ws_url.h"

#include <gtest/gtest.h>

namespace presence::client {
namespace {

TEST(WsUrl, SplitsHostPortAndTarget) {
    const auto url = parse_ws_url("ws://127.0.0.1:8080/presence?room=1");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->host, "127.0.0.1");
    EXPECT_EQ(url->port, "8080");
    EXPECT_EQ(url->target, "/presence?room=1");
    EXPECT_EQ(url->authority(), "127.0.0.1:8080");
}

TEST(WsUrl, DefaultsToPort80AndRoot) {
    const auto url = parse_ws_url("WS://example.com");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->port, "80");
    EXPECT_EQ(url->target, "/");
}

TEST(WsUrl, TakesBracketedIpv6) {
    const auto url = parse_ws_url("ws://[::1]:9000/p");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->host, "::1");
    EXPECT_EQ(url->authority(), "[::1]:9000");
}

TEST(WsUrl, RefusesWhatIsNotAPlainWsUrl) {
    for (const char* bad : {"", "wss://h/", "http://h/", "ws://", "ws://:80/", "ws://h:x/", "ws://h:0", "ws://[::1/",
                            "ws://[::1]x/"})
        EXPECT_FALSE(parse_ws_url(bad)) << bad;
}

}  // namespace
}  // namespace presence::client
