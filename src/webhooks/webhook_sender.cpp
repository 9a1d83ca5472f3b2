// SPDX-License-Identifier: Apache-2.0
#include "webhooks/webhook_sender.h"

#include <chrono>
#include <stdexcept>
#include <type_traits>

#include "protocol/guid.h"

namespace presence {
namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

// A full queue is logged as a count, at most once per period: a flood costs one line.
constexpr auto queue_drops_log_period = std::chrono::seconds(10);

std::int64_t now_ms() {
    return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void require(bool condition, const std::string& complaint) {
    if (!condition) throw std::invalid_argument(complaint);
}

WebhookOptions checked(WebhookOptions options) {
    parse_webhook_url(options.url);
    require(!options.secret.empty(), "webhooks.secret is required with webhooks.url");
    require(options.max_batch_events > 0, "webhooks.max_batch_events must be at least 1");
    require(options.max_queue_events > 0, "webhooks.max_queue_events must be at least 1");
    require(options.max_attempts > 0, "webhooks.max_attempts must be at least 1");
    require(options.timeout > milliseconds(0), "webhooks.timeout must be above 0");
    require(options.batch_interval >= milliseconds(0), "webhooks.batch_interval must not be negative");
    require(options.retry_delay >= milliseconds(0), "webhooks.retry_delay must not be negative");
    require(options.max_retry_delay >= options.retry_delay,
            "webhooks.max_retry_delay must not be below webhooks.retry_delay");
    return options;
}

void write_metric(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void write_sample(std::string& out, std::string_view name, std::string_view labels, std::uint64_t value) {
    out.append(name).append(labels).append(" ").append(std::to_string(value)).append("\n");
}

// `hook` becomes: `hook` as it was, then `then`.
template <typename... Args>
void chain(std::function<void(Args...)>& hook, std::type_identity_t<std::function<void(Args...)>> then) {
    hook = [first = std::move(hook), then = std::move(then)](Args... args) {
        if (first) first(args...);
        then(args...);
    };
}

}  // namespace

WebhookSender::WebhookSender(Strand strand, WebhookOptions options, std::string node, Log log)
    : options_(checked(std::move(options))),
      url_(parse_webhook_url(options_.url)),
      node_(std::move(node)),
      log_(std::move(log)),
      poster_(std::make_shared<HttpPoster>(strand, url_, client_tls(url_, options_.ca_file, "webhooks"), options_.timeout)),
      queue_(options_),
      timer_(strand),
      stop_deadline_(strand),
      queue_drops_timer_(strand) {}

WebhookSender::~WebhookSender() { poster_->cancel(); }

void WebhookSender::report(WebhookEvent event, std::string_view guid, std::string_view channel, const Member* member) {
    if (stopped_) return;
    const Clock::time_point now = Clock::now();
    queue_.add(webhook_event_json(event, guid, channel, member, now_ms()), now);
    log_queue_drops(now);
    send_when_due();
}

void WebhookSender::send_when_due() {
    if (posting_ || queue_.delivering()) return;
    const std::optional<Clock::time_point> due = queue_.due();
    if (!due) return;
    if (stopping_ || *due <= Clock::now()) return send_batch();
    wake_at(*due);
}

void WebhookSender::send_batch() {
    cancel_wake();
    batch_ = webhook_body(protocol::new_guid(), now_ms(), node_, queue_.take());
    attempt();
}

// Signed when sent, each attempt anew: a receiver refuses old timestamps, and a batch may
// wait for its retries longer than the receiver's tolerance.
void WebhookSender::attempt() {
    posting_ = true;
    posted_at_ = Clock::now();
    poster_->post(signed_request(url_, options_.secret, batch_),
                  [this, alive = std::weak_ptr<int>(lifetime_)](const std::string& failure) {
                      if (!alive.expired()) answered(failure);
                  });
}

void WebhookSender::answered(const std::string& failure) {
    posting_ = false;
    request_durations_.observe(Clock::now() - posted_at_);
    const std::size_t events = queue_.batch_events();
    const std::size_t attempts = queue_.attempts() + 1;
    if (failure.empty()) {
        queue_.delivered();
    } else if (const std::optional<milliseconds> delay = queue_.failed(stopping_)) {
        wake_at(Clock::now() + *delay);
    } else if (!stopping_) {
        log("dropped a batch of " + std::to_string(events) + " events after " + std::to_string(attempts) +
            " attempts; the last failed: " + failure);
    }
    if (!queue_.delivering()) batch_.clear();
    log_queue_drops(Clock::now());
    if (stopping_) return continue_stop();
    send_when_due();
}

void WebhookSender::wake_at(Clock::time_point at) {
    if (timer_at_ && *timer_at_ <= at) return;
    timer_at_ = at;
    timer_.expires_at(at);
    timer_.async_wait([this, alive = std::weak_ptr<int>(lifetime_), wake = ++wakes_](boost::system::error_code ec) {
        if (ec || alive.expired() || wake != wakes_) return;
        timer_at_.reset();
        woke();
    });
}

void WebhookSender::cancel_wake() {
    ++wakes_;
    timer_at_.reset();
    timer_.cancel();
}

void WebhookSender::woke() {
    if (posting_) return;
    if (queue_.delivering()) return attempt();
    send_when_due();
}

void WebhookSender::stop(std::function<void()> done) {
    if (stopped_ || stopping_) return done();
    stopping_ = true;
    on_stopped_ = std::move(done);
    dropped_before_stop_ = queue_.counts().dropped_attempts;
    stop_deadline_.expires_after(options_.timeout);
    stop_deadline_.async_wait([this, alive = std::weak_ptr<int>(lifetime_)](boost::system::error_code ec) {
        if (!ec && !alive.expired() && stopping_) give_up();
    });
    if (posting_) return;  // its answer goes on with the stop
    if (queue_.delivering()) {
        cancel_wake();
        return attempt();
    }
    continue_stop();
}

void WebhookSender::continue_stop() {
    if (queue_.waiting() != 0) return send_batch();
    finish_stop();
}

void WebhookSender::give_up() {
    poster_->cancel();
    posting_ = false;
    if (queue_.delivering()) queue_.failed(true);
    batch_.clear();
    queue_.drop_waiting();
    finish_stop();
}

void WebhookSender::finish_stop() {
    stopping_ = false;
    stopped_ = true;
    cancel_wake();
    stop_deadline_.cancel();
    queue_drops_timer_.cancel();
    poster_->cancel();
    if (const std::uint64_t lost = queue_.counts().dropped_attempts - dropped_before_stop_; lost != 0)
        log(std::to_string(lost) + " events not delivered at shutdown");
    if (const auto done = std::exchange(on_stopped_, nullptr)) done();
}

void WebhookSender::log_queue_drops(Clock::time_point now) {
    const std::uint64_t dropped = queue_.counts().dropped_queue_full;
    if (dropped == queue_drops_logged_) return;
    if (queue_drops_logged_at_ && now - *queue_drops_logged_at_ < queue_drops_log_period)
        return log_queue_drops_at(*queue_drops_logged_at_ + queue_drops_log_period);
    log("queue full (" + std::to_string(options_.max_queue_events) + " events): dropped the " +
        std::to_string(dropped - queue_drops_logged_) + " oldest");
    queue_drops_logged_ = dropped;
    queue_drops_logged_at_ = now;
}

void WebhookSender::log_queue_drops_at(Clock::time_point at) {
    if (std::exchange(queue_drops_timer_armed_, true)) return;
    queue_drops_timer_.expires_at(at);
    queue_drops_timer_.async_wait([this, alive = std::weak_ptr<int>(lifetime_)](boost::system::error_code ec) {
        if (ec || alive.expired()) return;
        queue_drops_timer_armed_ = false;
        log_queue_drops(Clock::now());
    });
}

void WebhookSender::log(const std::string& line) const {
    if (log_) log_(LogLevel::warning, "webhooks: " + line);
}

void WebhookSender::write_metrics(std::string& out) const {
    const WebhookCounts& counts = queue_.counts();
    write_metric(out, "presence_webhook_events_total", "counter", "Changes of presence queued for the webhooks.");
    write_sample(out, "presence_webhook_events_total", "", counts.events);
    write_metric(out, "presence_webhook_events_dropped_total", "counter",
                 "Webhook events dropped: pushed out of a full queue, or in a batch out of attempts.");
    write_sample(out, "presence_webhook_events_dropped_total", "{reason=\"queue_full\"}", counts.dropped_queue_full);
    write_sample(out, "presence_webhook_events_dropped_total", "{reason=\"attempts\"}", counts.dropped_attempts);
    write_metric(out, "presence_webhook_requests_total", "counter", "Webhook POST attempts, by outcome.");
    write_sample(out, "presence_webhook_requests_total", "{result=\"ok\"}", counts.requests_ok);
    write_sample(out, "presence_webhook_requests_total", "{result=\"failed\"}", counts.requests_failed);
    write_metric(out, "presence_webhook_queue_events", "gauge",
                 "Webhook events waiting, besides the batch being delivered.");
    write_sample(out, "presence_webhook_queue_events", "", queue_.waiting());
    write_metric(out, "presence_webhook_request_duration_seconds", "histogram",
                 "Webhook POST attempts, from the request's start to its answer, failure or timeout.");
    request_durations_.write(out, "presence_webhook_request_duration_seconds");
}

void report_changes(ServerHooks& hooks, const std::string& guid, const std::shared_ptr<WebhookSender>& sender) {
    using Event = WebhookEvent;
    chain(hooks.on_new_channel, [guid, sender](const std::string& channel) {
        sender->report(Event::channel_occupied, guid, channel);
    });
    chain(hooks.on_remove_channel, [guid, sender](const std::string& channel) {
        sender->report(Event::channel_vacated, guid, channel);
    });
    chain(hooks.on_new_channel_member, [guid, sender](const std::string& channel, const Member& member) {
        sender->report(Event::member_added, guid, channel, &member);
    });
    chain(hooks.on_remove_channel_member, [guid, sender](const std::string& channel, const Member& member) {
        sender->report(Event::member_removed, guid, channel, &member);
    });
}

}  // namespace presence
