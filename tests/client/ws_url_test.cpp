// SPDX-License-Identifier: Apache-2.0
#include "client/ws_url.h"

#include <gtest/gtest.h>

namespace presence::client {
namespace {

TEST(WsUrl, SplitsHostPortAndTarget) {
    const auto url = parse_ws_url("ws://127.0.0.1:8080/presence?room=1");
    ASSERT_TRUE(url);
    EXPECT_FALSE(url->secure);
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

TEST(WsUrl, WssIsSecureWithPort443ByDefault) {
    const auto url = parse_ws_url("wss://example.com/presence");
    ASSERT_TRUE(url);
    EXPECT_TRUE(url->secure);
    EXPECT_EQ(url->host, "example.com");
    EXPECT_EQ(url->port, "443");
    EXPECT_EQ(url->target, "/presence");

    const auto with_port = parse_ws_url("WSS://[::1]:8443");
    ASSERT_TRUE(with_port);
    EXPECT_TRUE(with_port->secure);
    EXPECT_EQ(with_port->authority(), "[::1]:8443");
    EXPECT_EQ(with_port->target, "/");
}

TEST(WsUrl, TakesBracketedIpv6) {
    const auto url = parse_ws_url("ws://[::1]:9000/p");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->host, "::1");
    EXPECT_EQ(url->authority(), "[::1]:9000");
}

TEST(WsUrl, RefusesWhatIsNotAWsOrWssUrl) {
    for (const char* bad : {"", "https://h/", "http://h/", "ws://", "wss://", "ws:/h/", "wss:h", "ws://:80/",
                            "ws://h:x/", "wss://h:0", "wss://h:65536", "ws://[::1/", "ws://[::1]x/"})
        EXPECT_FALSE(parse_ws_url(bad)) << bad;
}

}  // namespace
}  // namespace presence::client
