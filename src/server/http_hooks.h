// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/latency_histogram.h"
#include "presence/error_codes.h"
#include "presence/server_hooks.h"
#include "presence/server_options.h"
#include "protocol/message.h"
#include "webhooks/http_poster.h"
#include "webhooks/webhook_url.h"

namespace presence {

class Link;
struct Namespace;

// The decisions the HTTP hooks take, as --hook-events names them.
enum class HookEvent { join, subscribe, publish, get_members, invite };
inline constexpr std::size_t hook_event_count = 5;

std::string_view name_of(HookEvent event);

// What the application decided; or, when it could not be asked or answered nothing usable,
// what the failure policy says.
struct HookDecision {
    bool allow = true;
    ErrorCode code = ErrorCode::new_member_denied;  // of a refusal
    std::string text;                               // of a refusal; "" = the code's own text
    std::optional<std::string> name;                // a join's member, renamed
    std::optional<std::string> info;
};

// The answer `body` as a decision on `event`: none when it is not a JSON object with a
// boolean "allow". A refusal's code is the application's only when it fits the request
// (docs/operations.md), otherwise the event's own; replacements count for a join only.
std::optional<HookDecision> parse_hook_answer(HookEvent event, std::string_view body);

// The server hooks over HTTP (docs/operations.md): a request that one of the configured
// events decides is POSTed, signed like the webhooks, to the application, whose answer
// allows or refuses it. At most `connections` POSTs at once, each on a kept connection;
// the others wait their turn, up to `max_in_flight` decisions in all; each decision is
// taken within `timeout`, or fails. Lives on the server's strand: every call comes from it,
// and every handler runs on it.
class HttpHooks {
public:
    using Log = std::function<void(LogLevel, const std::string&)>;
    using Decided = std::function<void(const HookDecision&)>;
    struct Call;

    // What to ask the application about one request.
    struct Question {
        HookEvent event;
        std::string body;
        protocol::Message request;
    };

    // Throws std::invalid_argument naming the option at fault (http_hooks.url, ...),
    // std::runtime_error for a CA file it cannot use.
    HttpHooks(Strand strand, HttpHookOptions options, Log log);
    ~HttpHooks();
    HttpHooks(const HttpHooks&) = delete;
    HttpHooks& operator=(const HttpHooks&) = delete;

    // The question `frame`, from `link` in `ns`, puts to the application; none when it is
    // no request of a configured event, or one the service refuses anyway (a join of a
    // member, a request of a connection that has not joined, a channel its grant forbids).
    std::optional<Question> question(const Namespace& ns, const Link& link, std::string_view frame) const;
    // Asks; `decided` runs later, once, on the strand, unless the call is cancelled first.
    std::shared_ptr<Call> ask(HookEvent event, std::string body, Decided decided);
    // `decided` will not run. A POST under way is left to end, so that its connection stays.
    void cancel(const std::shared_ptr<Call>& call);
    // The counts, in the Prometheus text format.
    void write_metrics(std::string& out) const;

private:
    using Clock = std::chrono::steady_clock;
    enum class Failure { timeout, error, bad_answer, overloaded };
    static constexpr std::size_t failure_count = 4;
    enum class Outcome { allowed, denied, failed };

    bool hooked(HookEvent event) const { return hooked_[static_cast<std::size_t>(event)]; }
    void post(const std::shared_ptr<Call>& call, std::size_t poster);
    void answered(const std::shared_ptr<Call>& call, std::size_t poster, const std::string& failure);
    void timed_out(const std::shared_ptr<Call>& call);
    void post_next();
    void fail(const std::shared_ptr<Call>& call, Failure failure, const std::string& why);
    void resolve(const std::shared_ptr<Call>& call, const HookDecision& decision, Outcome outcome);

    const HttpHookOptions options_;
    const WebhookUrl url_;
    const Log log_;
    std::array<bool, hook_event_count> hooked_{};
    std::vector<std::shared_ptr<HttpPoster>> posters_;
    std::vector<bool> busy_;                    // of posters_
    std::deque<std::shared_ptr<Call>> waiting_;  // for a free poster, oldest first
    std::size_t in_flight_ = 0;                 // decisions asked and not yet taken
    bool failing_ = false;                      // the last decision failed: logged once
    std::array<std::array<std::uint64_t, 3>, hook_event_count> outcomes_{};
    std::array<std::uint64_t, failure_count> failures_{};
    LatencyHistogram durations_;
    Strand strand_;
    // Handlers of timers and requests hold it weakly, to find out that this is gone.
    const std::shared_ptr<int> lifetime_ = std::make_shared<int>();
};

}  // namespace presence
