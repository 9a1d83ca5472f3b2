// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "metrics/latency_histogram.h"
#include "presence/member.h"
#include "presence/server_hooks.h"
#include "presence/server_options.h"
#include "webhooks/http_poster.h"
#include "webhooks/webhook_event.h"
#include "webhooks/webhook_queue.h"
#include "webhooks/webhook_url.h"

namespace presence {

// The webhooks of one server (docs/operations.md): changes of presence queued as they
// happen and POSTed in signed batches, one at a time so that they arrive in order, each
// retried with backoff. Lives on the server's strand: every call comes from it, and every
// handler runs on it.
class WebhookSender {
public:
    using Log = std::function<void(LogLevel, const std::string&)>;

    // `node`: named in every body. Throws std::invalid_argument naming the option at fault
    // (webhooks.url, webhooks.secret, ...), std::runtime_error for a CA file it cannot use.
    WebhookSender(Strand strand, WebhookOptions options, std::string node, Log log);
    ~WebhookSender();
    WebhookSender(const WebhookSender&) = delete;
    WebhookSender& operator=(const WebhookSender&) = delete;

    void report(WebhookEvent event, std::string_view guid, std::string_view channel, const Member* member = nullptr);
    // The shutdown: whatever is queued, or waits for a retry, gets one more attempt, all
    // within `timeout`; then `done` runs. Later events are not sent.
    void stop(std::function<void()> done);
    // The counts, in the Prometheus text format.
    void write_metrics(std::string& out) const;

private:
    using Clock = WebhookQueue::Clock;

    void send_when_due();
    void send_batch();
    void attempt();
    void answered(const std::string& failure);
    void wake_at(Clock::time_point at);
    void cancel_wake();
    void woke();
    void continue_stop();
    void give_up();
    void finish_stop();
    void log_queue_drops(Clock::time_point now);
    void log_queue_drops_at(Clock::time_point at);
    void log(const std::string& line) const;

    const WebhookOptions options_;
    const WebhookUrl url_;
    const std::string node_;
    const Log log_;
    const std::shared_ptr<HttpPoster> poster_;
    WebhookQueue queue_;
    std::string batch_;                                  // the body of the batch being delivered
    bool posting_ = false;                               // its attempt is in flight
    Clock::time_point posted_at_;                        // when that attempt began
    LatencyHistogram request_durations_;                 // of the attempts answered
    // When the next batch is due, or the next attempt of the current one.
    boost::asio::steady_timer timer_;
    std::optional<Clock::time_point> timer_at_;
    unsigned wakes_ = 0;  // a wait that finds another number here was cancelled
    boost::asio::steady_timer stop_deadline_;
    bool stopping_ = false;
    bool stopped_ = false;
    std::function<void()> on_stopped_;
    std::uint64_t dropped_before_stop_ = 0;
    std::uint64_t queue_drops_logged_ = 0;
    std::optional<Clock::time_point> queue_drops_logged_at_;
    // Drops within a period are logged at its end, even when nothing else happens then.
    boost::asio::steady_timer queue_drops_timer_;
    bool queue_drops_timer_armed_ = false;
    // Handlers of timers and requests hold it weakly, to find out that this is gone.
    const std::shared_ptr<int> lifetime_ = std::make_shared<int>();
};

// Makes `hooks` also report the changes of presence of the namespace `guid` to `sender`,
// which they share; the hooks given run first, as before.
void report_changes(ServerHooks& hooks, const std::string& guid, const std::shared_ptr<WebhookSender>& sender);

}  // namespace presence
