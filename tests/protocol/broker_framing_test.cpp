// SPDX-License-Identifier: Apache-2.0
#include "protocol/broker_framing.h"

#include <gtest/gtest.h>

#include <string>

namespace presence::protocol {
namespace {

TEST(BrokerFraming, PrefixesTheIdWithItsLengthInThreeDigits) {
    EXPECT_EQ(broker_prefix(""), "020presence.esegece.com");
    EXPECT_EQ(broker_prefix("sales"), "026sales.presence.esegece.com");
    const std::string guid(100, 'g');
    EXPECT_EQ(broker_prefix(guid), "121" + guid + ".presence.esegece.com");
}

TEST(BrokerFraming, SplitsIdAndPayload) {
    const BrokerFrame frame = split_broker_frame("026sales.presence.esegece.com{\"jsonrpc\":\"2.0\"}");
    EXPECT_EQ(frame.error, "");
    EXPECT_EQ(frame.id, "sales.presence.esegece.com");
    EXPECT_EQ(frame.payload, "{\"jsonrpc\":\"2.0\"}");
    EXPECT_EQ(split_broker_frame("003abc").payload, "");
}

TEST(BrokerFraming, NamesWhatIsWrongWithAMalformedFrame) {
    EXPECT_EQ(split_broker_frame("02").error, "bad broker frame: shorter than its length digits");
    EXPECT_EQ(split_broker_frame("0x1abc").error, "bad broker frame: the id length must be 3 decimal digits");
    EXPECT_EQ(split_broker_frame("-01abc").error, "bad broker frame: the id length must be 3 decimal digits");
    EXPECT_EQ(split_broker_frame("000{}").error, "bad broker frame: empty endpoint id");
    EXPECT_EQ(split_broker_frame("010abc").error, "bad broker frame: the id is cut short");
}

TEST(BrokerFraming, ReadsTheGuidOfAPresenceEndpoint) {
    std::string_view guid = "unchanged";
    ASSERT_TRUE(guid_of("presence.esegece.com", guid));
    EXPECT_EQ(guid, "");
    ASSERT_TRUE(guid_of("sales.presence.esegece.com", guid));
    EXPECT_EQ(guid, "sales");
    ASSERT_TRUE(guid_of("{0F3C}.v2.presence.esegece.com", guid));
    EXPECT_EQ(guid, "{0F3C}.v2");
    for (const char* id : {"pubsub.esegece.com", ".presence.esegece.com", "salespresence.esegece.com",
                           "sa les.presence.esegece.com", "xpresence.esegece.com"})
        EXPECT_FALSE(guid_of(id, guid)) << id;
}

TEST(BrokerFraming, AcceptsPrintableGuidsUpTo100Bytes) {
    EXPECT_TRUE(valid_guid("sales"));
    EXPECT_TRUE(valid_guid("{6F9619FF-8B86-D011-B42D-00C04FC964FF}"));
    EXPECT_TRUE(valid_guid(std::string(100, 'g')));
    EXPECT_FALSE(valid_guid(""));
    EXPECT_FALSE(valid_guid(std::string(101, 'g')));
    EXPECT_FALSE(valid_guid("two words"));
    EXPECT_FALSE(valid_guid("tab\there"));
    EXPECT_FALSE(valid_guid("caf\xc3\xa9"));
}

}  // namespace
}  // namespace presence::protocol
