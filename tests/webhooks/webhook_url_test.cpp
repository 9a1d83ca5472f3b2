// SPDX-License-Identifier: Apache-2.0
#include "webhooks/webhook_url.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace presence {
namespace {

TEST(WebhookUrl, HttpWithDefaults) {
    const WebhookUrl url = parse_webhook_url("http://hooks.example");
    EXPECT_FALSE(url.tls);
    EXPECT_EQ(url.host, "hooks.example");
    EXPECT_EQ(url.port, "80");
    EXPECT_EQ(url.host_header, "hooks.example");
    EXPECT_EQ(url.target, "/");
}

TEST(WebhookUrl, HttpsWithPortPathAndQuery) {
    const WebhookUrl url = parse_webhook_url("https://127.0.0.1:8443/in/presence?source=a&b=c%20d");
    EXPECT_TRUE(url.tls);
    EXPECT_EQ(url.host, "127.0.0.1");
    EXPECT_EQ(url.port, "8443");
    EXPECT_EQ(url.host_header, "127.0.0.1:8443");
    EXPECT_EQ(url.target, "/in/presence?source=a&b=c%20d");
    EXPECT_EQ(parse_webhook_url("https://hooks.example/").port, "443");
}

TEST(WebhookUrl, Ipv6AddressInBrackets) {
    const WebhookUrl url = parse_webhook_url("http://[::1]:9000/x");
    EXPECT_EQ(url.host, "::1");
    EXPECT_EQ(url.host_header, "[::1]:9000");
    EXPECT_EQ(url.target, "/x");
}

TEST(WebhookUrl, RefusesAnythingElseNamingTheOption) {
    for (const char* bad :
         {"", "hooks.example", "ftp://hooks.example/", "ws://hooks.example/", "http://", "http:///path",
          "http://user:pass@hooks.example/", "http://hooks.example:0/", "http://hooks.example:65536/",
          "http://hooks.example:123456/", "http://hooks.example/a b", "http://hooks.example/#frag",
          "http://hooks.example?x=1", "http://-bad.example/", "HTTP://hooks.example/"}) {
        try {
            parse_webhook_url(bad);
            ADD_FAILURE() << "accepted: " << bad;
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("webhooks.url"), std::string::npos) << e.what();
        }
    }
}

}  // namespace
}  // namespace presence
