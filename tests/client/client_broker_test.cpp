// SPDX-License-Identifier: Apache-2.0
// presence::Broker and namespaces (ClientOptions::guid) against our own presence::Server,
// in process, over loopback: several clients, each in its own namespace, on one WebSocket.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "event_log.h"
#include "fault_proxy.h"
#include "presence/broker.h"
#include "presence/client.h"
#include "presence/server.h"
#include "presence/version.h"

namespace presence::test {
namespace {

// A client and the log of its events; the log outlives the client.
struct Person {
    std::string name;
    std::string guid;
    EventLog log;
    std::unique_ptr<Client> client;

    std::string me() const { return describe(Member{log.session_id(), name, name + "'s info"}); }
};

std::string url_of(int port) { return "ws://127.0.0.1:" + std::to_string(port) + "/"; }

// The server has the default namespace and "sales" and "support".
class ClientBroker : public testing::Test {
protected:
    ClientBroker() : server_(server_options()) {
        server_.add_namespace("sales", PresenceOptions{});
        server_.add_namespace("support", PresenceOptions{});
        server_.start();
    }

    static ServerOptions server_options() {
        ServerOptions o;
        o.host = "127.0.0.1";
        o.port = 0;
        return o;
    }

    BrokerOptions broker_options(int port) const {
        BrokerOptions o;
        o.url = url_of(port);
        return o;
    }
    BrokerOptions broker_options() const { return broker_options(server_.port()); }

    // The broker of the test; its errors go to broker_log_.
    Broker& make_broker(BrokerOptions options) {
        BrokerEvents events;
        events.on_error = [this](const std::string& what) { broker_log_.add("error " + what); };
        broker_ = std::make_unique<Broker>(std::move(options), std::move(events));
        return *broker_;
    }

    ClientOptions options_for(const Person& p) const {
        ClientOptions o;
        o.url = url_of(server_.port());
        o.guid = p.guid;
        o.name = p.name;
        o.info = p.name + "'s info";
        return o;
    }

    // Connects and waits for the member's own announcement.
    static testing::AssertionResult join(Person& p) {
        p.client->connect();
        if (auto session = p.log.wait_for_prefix("session "); !session) return session;
        return p.log.wait_for("member+ " + p.me());
    }
    testing::AssertionResult join_plain(Person& p) {
        p.client = std::make_unique<Client>(options_for(p), p.log.events());
        return join(p);
    }
    testing::AssertionResult join_on(Broker& broker, Person& p) {
        p.client = std::make_unique<Client>(broker, options_for(p), p.log.events());
        return join(p);
    }

    static testing::AssertionResult enter_room(Person& p) {
        p.client->subscribe("room");
        return p.log.wait_for("channel+ [room] " + p.me());
    }

    static std::vector<std::string> names_of(const std::vector<Member>& members) {
        std::vector<std::string> names;
        for (const Member& m : members) names.push_back(m.name);
        std::sort(names.begin(), names.end());
        return names;
    }

    Server server_;
    EventLog broker_log_;
    std::unique_ptr<Broker> broker_;  // outlives its clients
    Person ann{"ann", "sales", {}, {}};
    Person sam{"sam", "support", {}, {}};
    Person pete{"pete", "sales", {}, {}};
    Person dave{"dave", "", {}, {}};
};

TEST_F(ClientBroker, ClientsOfOneBrokerAreEachInTheirOwnNamespace) {
    Broker& broker = make_broker(broker_options());
    ASSERT_TRUE(join_on(broker, ann));
    ASSERT_TRUE(join_on(broker, sam));
    ASSERT_TRUE(enter_room(ann));
    ASSERT_TRUE(enter_room(sam));

    ASSERT_TRUE(join_plain(pete));
    EXPECT_TRUE(ann.log.wait_for("member+ " + pete.me()));
    ASSERT_TRUE(enter_room(pete));
    EXPECT_TRUE(ann.log.wait_for("channel+ [room] " + pete.me()));
    pete.client->get_members("room");
    EXPECT_TRUE(pete.log.wait_for("members [room] " + ann.me() + ", " + pete.me()));
    pete.client->publish("hello sales", "room");
    EXPECT_TRUE(ann.log.wait_for("publish [room] " + pete.me() + " hello sales"));

    // Whatever support heard of pete came before this answer, on the same WebSocket.
    sam.client->get_members("room");
    EXPECT_TRUE(sam.log.wait_for("members [room] " + sam.me()));
    EXPECT_EQ(sam.log.count_prefix("member+ " + pete.log.session_id()), 0u);
    EXPECT_EQ(sam.log.count_prefix("publish "), 0u);
    EXPECT_EQ(pete.log.count_prefix("member+ " + sam.log.session_id()), 0u);

    EXPECT_EQ(names_of(server_.members("room", "sales")), (std::vector<std::string>{"ann", "pete"}));
    EXPECT_EQ(names_of(server_.members("room", "support")), std::vector<std::string>{"sam"});
    EXPECT_TRUE(server_.members("room").empty());
    for (const Person* p : {&ann, &sam, &pete}) EXPECT_EQ(p->log.count_prefix("error"), 0u) << p->name;
    EXPECT_EQ(broker_log_.lines(), std::vector<std::string>{});
}

TEST_F(ClientBroker, OneClientLeavesAndComesBackWhileTheOthersGoOn) {
    Broker& broker = make_broker(broker_options());
    ASSERT_TRUE(join_on(broker, ann));
    ASSERT_TRUE(join_on(broker, sam));
    ASSERT_TRUE(enter_room(ann));
    ASSERT_TRUE(enter_room(sam));
    ASSERT_TRUE(join_plain(pete));
    ASSERT_TRUE(enter_room(pete));
    const std::string ann_before = ann.me();

    ann.client->close();
    EXPECT_EQ(ann.log.count("disconnect 1000 "), 1u);  // close() waited for it
    EXPECT_TRUE(pete.log.wait_for("channel- [room] " + ann_before));
    EXPECT_TRUE(pete.log.wait_for("member- " + ann_before));

    sam.client->publish("still here", "room");
    EXPECT_TRUE(sam.log.wait_for("publish [room] " + sam.me() + " still here"));

    // The same WebSocket, so the same session: the member joins again as it was.
    ann.client->connect();
    EXPECT_TRUE(ann.log.wait_for("connect", 2));
    EXPECT_TRUE(ann.log.wait_for("session " + ann.log.session_id(), 2));
    EXPECT_TRUE(pete.log.wait_for("member+ " + ann_before));
    ann.client->subscribe("room");
    ASSERT_TRUE(ann.log.wait_for("channel+ [room] " + ann_before, 2));
    EXPECT_TRUE(pete.log.wait_for("channel+ [room] " + ann_before));
    ann.client->publish("back", "room");
    EXPECT_TRUE(pete.log.wait_for("publish [room] " + ann_before + " back"));

    EXPECT_EQ(sam.log.count_prefix("disconnect"), 0u);
    for (const Person* p : {&ann, &sam, &pete}) EXPECT_EQ(p->log.count_prefix("error"), 0u) << p->name;
    EXPECT_EQ(broker_log_.lines(), std::vector<std::string>{});
}

TEST_F(ClientBroker, ANamespaceTheServerDoesNotHaveIsRefusedToItsClientAlone) {
    BrokerOptions options = broker_options();
    options.connect_timeout = std::chrono::seconds(2);  // also the wait for the sessions
    Broker& broker = make_broker(options);
    ASSERT_TRUE(join_on(broker, ann));
    Person nobody{"nobody", "nowhere", {}, {}};
    nobody.client = std::make_unique<Client>(broker, options_for(nobody), nobody.log.events());
    nobody.client->connect();

    // It never connected, as when a server cannot be reached: no on_connect, no on_disconnect.
    EXPECT_TRUE(nobody.log.wait_for("error the server has no namespace nowhere"));
    nobody.client->close();
    EXPECT_EQ(nobody.log.lines(), std::vector<std::string>{"error the server has no namespace nowhere"});

    ASSERT_TRUE(enter_room(ann));
    EXPECT_EQ(ann.log.count_prefix("error"), 0u);
    EXPECT_EQ(broker_log_.lines(), std::vector<std::string>{});
}

// A namespace on a WebSocket is one connection to it, for one member.
TEST_F(ClientBroker, ASecondClientInTheSameNamespaceOfABrokerIsRefused) {
    Broker& broker = make_broker(broker_options());
    ASSERT_TRUE(join_on(broker, ann));
    Person twin{"twin", "sales", {}, {}};
    twin.client = std::make_unique<Client>(broker, options_for(twin), twin.log.events());
    twin.client->connect();
    EXPECT_TRUE(twin.log.wait_for("error the broker already carries a client of sales.presence.esegece.com"));
    twin.client->close();
    EXPECT_EQ(twin.log.count("connect"), 0u);

    ASSERT_TRUE(enter_room(ann));
    EXPECT_EQ(ann.log.count_prefix("error"), 0u);
}

TEST_F(ClientBroker, AClientTellsItsGuidAndTheLibraryVersion) {
    EXPECT_EQ(Client(options_for(pete)).guid(), "sales");
    EXPECT_EQ(Client(options_for(dave)).guid(), "");
    Broker& broker = make_broker(broker_options());
    ClientOptions no_url = options_for(sam);
    no_url.url = "not a url";  // a broker's client uses the broker's
    EXPECT_EQ(Client(broker, no_url).guid(), "support");

    // The version CMake's project declares, which the tools print too (cli_tests).
    EXPECT_EQ(Client::version(), PRESENCE_PROJECT_VERSION);
    EXPECT_EQ(presence::version(), PRESENCE_PROJECT_VERSION);

    for (const std::string& bad : {std::string("two words"), std::string(101, 'x'), std::string("caf\xc3\xa9")}) {
        ClientOptions o = options_for(dave);
        o.guid = bad;
        EXPECT_THROW(Client{o}, std::invalid_argument) << bad;
        EXPECT_THROW((Client{broker, o}), std::invalid_argument) << bad;
    }
}

TEST_F(ClientBroker, PlainClientsInDifferentNamespacesDoNotSeeEachOther) {
    ASSERT_TRUE(join_plain(pete));
    ASSERT_TRUE(join_plain(dave));
    ASSERT_TRUE(enter_room(pete));
    ASSERT_TRUE(enter_room(dave));

    pete.client->get_members();
    EXPECT_TRUE(pete.log.wait_for("members [] " + pete.me()));
    dave.client->get_members("room");
    EXPECT_TRUE(dave.log.wait_for("members [room] " + dave.me()));
    EXPECT_EQ(names_of(server_.members("room", "sales")), std::vector<std::string>{"pete"});
    EXPECT_EQ(names_of(server_.members("room")), std::vector<std::string>{"dave"});
    EXPECT_EQ(pete.log.count_prefix("member+ " + dave.log.session_id()), 0u);
    EXPECT_EQ(dave.log.count_prefix("member+ " + pete.log.session_id()), 0u);
}

// The broker's WebSocket goes through a proxy that resets it; the server does not notice.
TEST_F(ClientBroker, WhenTheBrokerLosesItsWebSocketEachClientResumesOnTheNextOne) {
    FaultProxy proxy(server_.port());
    ASSERT_TRUE(proxy.started());
    Broker& broker = make_broker(broker_options(proxy.port()));
    ASSERT_TRUE(join_on(broker, ann));
    ASSERT_TRUE(join_on(broker, sam));
    ASSERT_TRUE(enter_room(ann));
    ASSERT_TRUE(enter_room(sam));
    ASSERT_TRUE(join_plain(pete));
    ASSERT_TRUE(enter_room(pete));
    const std::string ann_before = ann.me();
    const std::string sam_before = sam.me();

    ASSERT_TRUE(proxy.cut());
    EXPECT_TRUE(ann.log.wait_for("resume complete"));
    EXPECT_TRUE(sam.log.wait_for("resume complete"));

    ann.client->publish("back in sales", "room");
    EXPECT_TRUE(pete.log.wait_for("publish [room] " + ann_before + " back in sales"));
    sam.client->publish("back in support", "room");
    EXPECT_TRUE(sam.log.wait_for("publish [room] " + sam_before + " back in support"));
    EXPECT_EQ(ann.me(), ann_before);
    EXPECT_EQ(pete.log.count_prefix("member- "), 0u);
    for (const Person* p : {&ann, &sam}) {
        EXPECT_EQ(p->log.count("reconnecting"), 1u) << p->name;
        EXPECT_EQ(p->log.count_prefix("disconnect"), 0u) << p->name;
    }
}

}  // namespace
}  // namespace presence::test
