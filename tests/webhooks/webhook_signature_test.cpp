#include "webhooks/webhook_signature.h"

#include <gtest/gtest.h>

namespace presence {
namespace {

// RFC 4231, HMAC-SHA256 test cases 1 and 2.
TEST(WebhookSignature, MatchesRfc4231) {
    EXPECT_EQ(webhook_signature(std::string(20, '\x0b'), "Hi There"),
              "sha256=b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    EXPECT_EQ(webhook_signature("Jefe", "what do ya want for nothing?"),
              "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSignature, DependsOnEveryByteOfKeyAndBody) {
    const std::string signature = webhook_signature("secret", "{\"events\":[]}");
    EXPECT_NE(webhook_signature("secreT", "{\"events\":[]}"), signature);
    EXPECT_NE(webhook_signature("secret", "{\"events\":[] }"), signature);
    EXPECT_EQ(webhook_signature("secret", "{\"events\":[]}"), signature);
}

TEST(WebhookSignature, KeepsBytesOfAnyValue) {
    const std::string body("a\0b\xff", 4);
    EXPECT_NE(webhook_signature("k", body), webhook_signature("k", std::string("a\0b\xfe", 4)));
    EXPECT_NE(webhook_signature(std::string("k\0x", 3), body), webhook_signature("k", body));
}

}  // namespace
}  // namespace presence
