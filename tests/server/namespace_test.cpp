// SPDX-License-Identifier: Apache-2.0
// Namespaces of one server (docs/protocol.md, Namespaces): each with its own members,
// channels, options and hooks, reached by the sub-protocol a connection offers.
#include <gtest/gtest.h>

#include <stdexcept>

#include "presence/server.h"
#include "test_peer.h"

namespace presence::test {
namespace {

using protocol::Method;

class NamespaceTest : public ::testing::Test {
protected:
    void start() {
        ServerOptions options;
        options.port = 0;
        server = std::make_unique<Server>(options);
        PresenceOptions sales;
        sales.encode_base64 = true;
        ServerHooks sales_hooks;
        sales_hooks.before_new_member = [](const Member& m) { return m.name != "mallory"; };
        server->add_namespace("sales", sales, sales_hooks);
        server->start();
    }
    std::unique_ptr<TestPeer> peer(const std::string& name, const std::string& guid = "") {
        auto p = std::make_unique<TestPeer>(server->port(), guid.empty() ? "presence.esegece.com"
                                                                         : guid + ".presence.esegece.com");
        p->join(name);
        return p;
    }
    // The answer to a request made now comes next: nothing else was on its way.
    static void expect_quiet(TestPeer& p) {
        p.send(request(Method::get_members, ""));
        p.expect(Method::send_members);
    }

    std::unique_ptr<Server> server;
};

TEST_F(NamespaceTest, AGuidMustBePrintableUniqueAndDeclaredBeforeStart) {
    Server s(ServerOptions{});
    EXPECT_THROW(s.add_namespace("", {}), std::invalid_argument);
    EXPECT_THROW(s.add_namespace("two words", {}), std::invalid_argument);
    EXPECT_THROW(s.add_namespace(std::string(101, 'g'), {}), std::invalid_argument);
    s.add_namespace("sales", {});
    EXPECT_THROW(s.add_namespace("sales", {}), std::invalid_argument);
    EXPECT_THROW(s.channels("nope"), std::invalid_argument);
    EXPECT_THROW(s.broadcast("hi", "", "nope"), std::invalid_argument);
    start();
    EXPECT_THROW(server->add_namespace("late", {}), std::logic_error);
}

TEST_F(NamespaceTest, NamespacesDoNotSeeOneAnother) {
    start();
    auto ann = peer("ann");
    auto bob = peer("bob", "sales");
    EXPECT_EQ(bob->accepted_subprotocol(), "sales.presence.esegece.com");
    ann->subscribe("room");
    bob->subscribe("room");
    bob->send(request(Method::publish_msg, "room", "to sales"));
    EXPECT_EQ(bob->expect(Method::publish_msg).text, "to sales");
    expect_quiet(*ann);

    EXPECT_EQ(server->members("room"), std::vector<Member>{ann->member()});
    EXPECT_EQ(server->members("room", "sales"), std::vector<Member>{bob->member()});
    ASSERT_EQ(server->channels("sales").size(), 1u);
    EXPECT_EQ(server->channels("sales")[0].members, 1u);
}

TEST_F(NamespaceTest, AnUnknownPrefixReachesTheDefaultNamespace) {
    start();
    auto ann = peer("ann");
    auto other = peer("other", "unknown");
    EXPECT_EQ(ann->expect(Method::member_new).member, other->member());
}

TEST_F(NamespaceTest, EachNamespaceHasItsOwnOptionsAndHooks) {
    start();
    auto plain = peer("mallory");
    TestPeer refused(server->port(), "sales.presence.esegece.com");
    refused.send(R"({"jsonrpc":"2.0","method":"sgc@presence@member@new","member":{"name":"mallory"}})");
    EXPECT_EQ(refused.expect(Method::error_member_channel).error->code, 2);

    auto bob = peer("bob", "sales");
    server->broadcast("news", "", "sales");
    const auto raw = bob->next();
    ASSERT_TRUE(raw);
    EXPECT_NE(raw->find("sgc@b64:"), std::string::npos) << *raw;
    expect_quiet(*plain);
}

}  // namespace
}  // namespace presence::test
