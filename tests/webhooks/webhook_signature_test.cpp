// SPDX-License-Identifier: Apache-2.0
#include "webhooks/webhook_signature.h"

#include <gtest/gtest.h>

namespace presence {
namespace {

// Computed with Python's hmac: hmac.new(b"secret", b'1700000000.{"events":[]}', sha256).
TEST(WebhookSignature, IsTheHmacOfTimestampDotBody) {
    EXPECT_EQ(webhook_signature("secret", "1700000000", "{\"events\":[]}"),
              "sha256=3947de27ec923573170fccda604ddfb25583ff98dc51e96cca2e11c59545026a");
}

TEST(WebhookSignature, DependsOnEveryByteOfKeyTimestampAndBody) {
    const std::string signature = webhook_signature("secret", "1700000000", "{\"events\":[]}");
    EXPECT_NE(webhook_signature("secreT", "1700000000", "{\"events\":[]}"), signature);
    EXPECT_NE(webhook_signature("secret", "1700000000", "{\"events\":[] }"), signature);
    // A request replayed later with a fresh timestamp no longer matches its signature.
    EXPECT_NE(webhook_signature("secret", "1700000300", "{\"events\":[]}"), signature);
    EXPECT_EQ(webhook_signature("secret", "1700000000", "{\"events\":[]}"), signature);
}

// The dot keeps timestamp and body apart: no digit may move from one to the other.
TEST(WebhookSignature, TimestampAndBodyCannotTradeBytes) {
    EXPECT_NE(webhook_signature("k", "17", "00{}"), webhook_signature("k", "1700", "{}"));
}

TEST(WebhookSignature, KeepsBytesOfAnyValue) {
    const std::string body("a\0b\xff", 4);
    EXPECT_NE(webhook_signature("k", "1", body), webhook_signature("k", "1", std::string("a\0b\xfe", 4)));
    EXPECT_NE(webhook_signature(std::string("k\0x", 3), "1", body), webhook_signature("k", "1", body));
}

}  // namespace
}  // namespace presence
