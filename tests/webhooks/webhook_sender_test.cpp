// SPDX-License-Identifier: Apache-2.0
#include "webhooks/webhook_sender.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <stdexcept>

namespace presence {
namespace {

using std::chrono::milliseconds;

WebhookOptions valid() {
    WebhookOptions o;
    o.url = std::string("http://127.0.0.1:9/hooks");
    o.secret = std::string("s");
    return o;
}

// The message of what the constructor throws, or "" when it does not.
template <typename Exception>
std::string refusal(const WebhookOptions& options) {
    boost::asio::io_context io;
    try {
        WebhookSender sender(boost::asio::make_strand(io), options, "", {});
    } catch (const Exception& e) {
        return e.what();
    }
    return {};
}

TEST(WebhookSender, AcceptsValidOptions) { EXPECT_EQ(refusal<std::exception>(valid()), ""); }

TEST(WebhookSender, RefusesBadOptionsNamingThem) {
    const auto expect_named = [](WebhookOptions o, const std::string& name) {
        const std::string what = refusal<std::invalid_argument>(o);
        EXPECT_NE(what.find(name), std::string::npos) << "for " << name << ": \"" << what << "\"";
    };
    WebhookOptions o = valid();
    o.url = "hooks.example";
    expect_named(o, "webhooks.url");
    o = valid();
    o.secret.clear();
    expect_named(o, "webhooks.secret");
    o = valid();
    o.max_batch_events = 0;
    expect_named(o, "webhooks.max_batch_events");
    o = valid();
    o.max_queue_events = 0;
    expect_named(o, "webhooks.max_queue_events");
    o = valid();
    o.max_attempts = 0;
    expect_named(o, "webhooks.max_attempts");
    o = valid();
    o.timeout = milliseconds(0);
    expect_named(o, "webhooks.timeout");
    o = valid();
    o.batch_interval = milliseconds(-1);
    expect_named(o, "webhooks.batch_interval");
    o = valid();
    o.max_retry_delay = o.retry_delay - milliseconds(1);
    expect_named(o, "webhooks.max_retry_delay");
}

TEST(WebhookSender, RefusesACaFileItCannotUse) {
    WebhookOptions o = valid();
    o.url = "https://127.0.0.1:9/";
    o.ca_file = "/nonexistent/ca.pem";
    const std::string what = refusal<std::runtime_error>(o);
    EXPECT_NE(what.find("webhooks.ca_file"), std::string::npos) << what;
    EXPECT_NE(what.find(o.ca_file), std::string::npos) << what;
}

TEST(WebhookSender, MetricsStartAtZero) {
    boost::asio::io_context io;
    WebhookSender sender(boost::asio::make_strand(io), valid(), "", {});
    std::string out;
    sender.write_metrics(out);
    for (const char* line : {"# TYPE presence_webhook_events_total counter\npresence_webhook_events_total 0\n",
                             "presence_webhook_events_dropped_total{reason=\"queue_full\"} 0\n",
                             "presence_webhook_events_dropped_total{reason=\"attempts\"} 0\n",
                             "presence_webhook_requests_total{result=\"ok\"} 0\n",
                             "presence_webhook_requests_total{result=\"failed\"} 0\n",
                             "# TYPE presence_webhook_queue_events gauge\npresence_webhook_queue_events 0\n"})
        EXPECT_NE(out.find(line), std::string::npos) << line << " in:\n" << out;
}

TEST(WebhookSender, ReportsThroughTheHooksAndKeepsTheUsersHooks) {
    boost::asio::io_context io;
    WebhookOptions o = valid();
    o.batch_interval = std::chrono::hours(1);
    auto sender = std::make_shared<WebhookSender>(boost::asio::make_strand(io), o, "", nullptr);
    std::vector<std::string> seen;
    ServerHooks hooks;
    hooks.on_new_channel = [&seen](const std::string& channel) { seen.push_back("user:" + channel); };
    report_changes(hooks, "", sender);
    const Member m{"id", "n", ""};
    hooks.on_new_channel("room");
    hooks.on_new_channel_member("room", m);
    hooks.on_remove_channel_member("room", m);
    hooks.on_remove_channel("room");
    EXPECT_EQ(seen, (std::vector<std::string>{"user:room"}));
    std::string out;
    sender->write_metrics(out);
    EXPECT_NE(out.find("presence_webhook_events_total 4\n"), std::string::npos) << out;
    EXPECT_NE(out.find("presence_webhook_queue_events 4\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace presence
