// SPDX-License-Identifier: Apache-2.0
#include "webhooks/webhook_queue.h"

#include <gtest/gtest.h>

namespace presence {
namespace {

using std::chrono::milliseconds;
using Clock = WebhookQueue::Clock;
using Events = std::vector<std::string>;

WebhookOptions options_of(std::size_t batch, std::size_t queue, std::size_t attempts) {
    WebhookOptions o;
    o.batch_interval = milliseconds(250);
    o.max_batch_events = batch;
    o.max_queue_events = queue;
    o.max_attempts = attempts;
    o.retry_delay = milliseconds(100);
    o.max_retry_delay = milliseconds(700);
    return o;
}

const Clock::time_point t0{};

TEST(WebhookQueue, NothingIsDueWhenNothingWaits) {
    WebhookQueue q(options_of(10, 100, 3));
    EXPECT_FALSE(q.due());
    EXPECT_EQ(q.waiting(), 0u);
}

TEST(WebhookQueue, EventsGatherForTheBatchIntervalOfTheOldest) {
    WebhookQueue q(options_of(10, 100, 3));
    q.add("a", t0);
    q.add("b", t0 + milliseconds(200));
    EXPECT_EQ(q.due(), t0 + milliseconds(250));
    EXPECT_EQ(q.take(), (Events{"a", "b"}));
    EXPECT_TRUE(q.delivering());
    EXPECT_EQ(q.batch_events(), 2u);
}

TEST(WebhookQueue, AWholeBatchIsDueAtOnceAndTakesNoMore) {
    WebhookQueue q(options_of(2, 100, 3));
    q.add("a", t0);
    q.add("b", t0 + milliseconds(1));
    q.add("c", t0 + milliseconds(2));
    EXPECT_EQ(q.due(), t0);
    EXPECT_EQ(q.take(), (Events{"a", "b"}));
    EXPECT_EQ(q.waiting(), 1u);
}

TEST(WebhookQueue, OneBatchAtATimeInOrder) {
    WebhookQueue q(options_of(2, 100, 3));
    for (const char* e : {"1", "2", "3", "4", "5"}) q.add(e, t0);
    EXPECT_EQ(q.take(), (Events{"1", "2"}));
    EXPECT_FALSE(q.due()) << "nothing is due while a batch is being delivered";
    q.delivered();
    EXPECT_FALSE(q.delivering());
    EXPECT_EQ(q.take(), (Events{"3", "4"}));
    q.delivered();
    EXPECT_EQ(q.due(), t0 + milliseconds(250)) << "a partial batch waits its interval";
    EXPECT_EQ(q.take(), (Events{"5"}));
    q.delivered();
    EXPECT_EQ(q.counts().requests_ok, 3u);
    EXPECT_EQ(q.counts().events, 5u);
}

TEST(WebhookQueue, AFullQueueDropsItsOldest) {
    WebhookQueue q(options_of(10, 3, 3));
    for (const char* e : {"1", "2", "3", "4", "5"}) q.add(e, t0);
    EXPECT_EQ(q.waiting(), 3u);
    EXPECT_EQ(q.counts().dropped_queue_full, 2u);
    EXPECT_EQ(q.counts().events, 5u);
    EXPECT_EQ(q.take(), (Events{"3", "4", "5"}));
}

TEST(WebhookQueue, TheBatchBeingDeliveredIsNotCountedAsWaiting) {
    WebhookQueue q(options_of(2, 2, 3));
    q.add("1", t0);
    q.add("2", t0);
    EXPECT_EQ(q.take(), (Events{"1", "2"}));
    q.add("3", t0);
    q.add("4", t0);
    EXPECT_EQ(q.counts().dropped_queue_full, 0u);
    q.add("5", t0);
    EXPECT_EQ(q.counts().dropped_queue_full, 1u);
    q.delivered();
    EXPECT_EQ(q.take(), (Events{"4", "5"}));
}

TEST(WebhookQueue, RetryDelaysDoubleUpToTheirCap) {
    const WebhookOptions o = options_of(10, 100, 10);
    EXPECT_EQ(retry_delay(o, 1), milliseconds(100));
    EXPECT_EQ(retry_delay(o, 2), milliseconds(200));
    EXPECT_EQ(retry_delay(o, 3), milliseconds(400));
    EXPECT_EQ(retry_delay(o, 4), milliseconds(700));
    EXPECT_EQ(retry_delay(o, 60), milliseconds(700));
    WebhookOptions none = o;
    none.retry_delay = milliseconds(0);
    EXPECT_EQ(retry_delay(none, 5), milliseconds(0));
}

TEST(WebhookQueue, AFailedBatchIsRetriedThenDroppedAfterMaxAttempts) {
    WebhookQueue q(options_of(10, 100, 3));
    q.add("a", t0);
    q.add("b", t0);
    q.take();
    EXPECT_EQ(q.failed(), milliseconds(100));
    EXPECT_EQ(q.attempts(), 1u);
    EXPECT_TRUE(q.delivering()) << "the same batch is tried again";
    EXPECT_EQ(q.failed(), milliseconds(200));
    EXPECT_EQ(q.failed(), std::nullopt) << "third attempt of three";
    EXPECT_FALSE(q.delivering());
    EXPECT_EQ(q.counts().dropped_attempts, 2u);
    EXPECT_EQ(q.counts().requests_failed, 3u);
}

TEST(WebhookQueue, ASuccessAfterFailuresStartsTheNextBatchAfresh) {
    WebhookQueue q(options_of(1, 100, 2));
    q.add("a", t0);
    q.add("b", t0);
    q.take();
    EXPECT_TRUE(q.failed());
    q.delivered();
    EXPECT_EQ(q.take(), (Events{"b"}));
    EXPECT_EQ(q.attempts(), 0u);
    EXPECT_EQ(q.failed(), milliseconds(100)) << "its own first failure";
}

TEST(WebhookQueue, ALastAttemptDropsAtOnce) {
    WebhookQueue q(options_of(10, 100, 5));
    q.add("a", t0);
    q.take();
    EXPECT_EQ(q.failed(true), std::nullopt);
    EXPECT_EQ(q.counts().dropped_attempts, 1u);
}

TEST(WebhookQueue, DroppingTheWaitingCountsThem) {
    WebhookQueue q(options_of(10, 100, 5));
    q.add("a", t0);
    q.add("b", t0);
    EXPECT_EQ(q.drop_waiting(), 2u);
    EXPECT_EQ(q.waiting(), 0u);
    EXPECT_EQ(q.counts().dropped_attempts, 2u);
    EXPECT_FALSE(q.due());
}

}  // namespace
}  // namespace presence
