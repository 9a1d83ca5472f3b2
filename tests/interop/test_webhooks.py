# SPDX-License-Identifier: Apache-2.0
"""Webhooks: presence-server POSTs the changes of presence (channel_occupied,
channel_vacated, member_added, member_removed) as signed JSON batches to a receiver
(docs/operations.md, Webhooks).

The receiver here is Python's http.server on 127.0.0.1 (a free port), in threads: it
checks each POST as docs/operations.md tells receivers to (`verified`: a fresh
X-Presence-Timestamp, and X-Presence-Signature the HMAC of timestamp.body under the secret
it was given), and answers what the test tells it to (a status, or nothing at all). The changes are
made by hand-written WebSocket clients (presence_harness). Waits are for a POST or a log
line, each bounded; none for a duration.
"""

import asyncio
import hashlib
import hmac
import http.server
import json
import os
import queue
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import unittest

from presence_harness import (
    CHANNEL_MEMBER_REMOVE, PROTOCOL, START_TIMEOUT, TIMEOUT, PresenceTestCase, ServerProcess,
    frame, server_path)
from test_operations_http import scrape
from test_tls import make_certs

HERE = os.path.dirname(os.path.abspath(__file__))
for folder in ("cluster", "chaos"):
    path = os.path.normpath(os.path.join(HERE, "..", folder))
    if path not in sys.path:
        sys.path.insert(0, path)
import cluster_harness  # noqa: E402  (tests/cluster, after the path above)
from chaos_soak import address_sanitized, memory_of  # noqa: E402  (tests/chaos)

SECRET = "webhook test secret"
# Short waits between the changes and their POST, and between attempts: the tests wait
# for the POSTs themselves, these only keep them quick.
FAST = {"--webhook-batch-interval": "0.05", "--webhook-retry-delay": "0.05",
        "--webhook-max-retry-delay": "0.2"}
SALES = "sales"
# A bound on waits for a log line or a process exit that a test has caused.
EVENTUAL = 15.0
# The info of each member of the bounded-queue test, near --max-info-bytes.
BIG_INFO = "i" * 4000
VERSION_RE = re.compile(r"presence/\d+\.\d+\.\d+")


def signature(secret, timestamp, body):
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body,
                                hashlib.sha256).hexdigest()


def documented_check():
    """The receiver's check that docs/operations.md gives, run as written there: its
    Python block that defines `verified`."""
    with open(os.path.join(HERE, "..", "..", "docs", "operations.md"), encoding="utf-8") as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    [code] = [b for b in blocks if "def verified(" in b]
    names = {}
    exec(code, names)
    return names["verified"], names["TOLERANCE"]


verified, TOLERANCE = documented_check()


def now_ms():
    return int(time.time() * 1000)


class Post:
    """One POST as the receiver got it."""

    def __init__(self, handler, body, secret):
        self.path = handler.path
        self.headers = handler.headers
        self.body = body
        self.peer = handler.client_address   # tells connections apart
        self.timestamp = self.headers.get("X-Presence-Timestamp", "")
        self.signed = verified(secret.encode(), self.timestamp,
                               self.headers.get("X-Presence-Signature", ""), body)
        self.json = json.loads(body)
        self.events = self.json["events"]


class _HttpServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, tls):
        self.tls = tls
        super().__init__(address, handler)

    def get_request(self):
        sock, address = super().get_request()
        if self.tls:
            # The handshake happens in the connection's thread, on its first read.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address):
        """Handshakes that the tests make fail, and connections the server drops."""


class Receiver:
    """A webhook receiver in threads. `answers`: the statuses of the first POSTs, then
    `status`; `hang`: never answer (until the test ends). HTTP/1.1, so that connections
    are kept, unless `drop_kept`: each connection is closed after its answer without a
    word, as a receiver does with idle connections. `tls`: an ssl.SSLContext for https."""

    def __init__(self, test, secret=SECRET, answers=(), status=200, hang=False, tls=None,
                 host="127.0.0.1", drop_kept=False):
        self.secret = secret
        self.answers = list(answers)
        self.status = status
        self.hang = hang
        self.host = host
        self.posts = queue.Queue()
        self.count = 0
        self.lock = threading.Lock()
        self.release = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 60  # a bound on a connection's thread

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver._received(self, body)
                if status is None:
                    receiver.release.wait(60)
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.close_connection = drop_kept

            def log_message(self, *args):
                pass

        self.server = _HttpServer((host, 0), Handler, tls)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        test.addCleanup(self.close)

    def url(self, host=None):
        scheme = "https" if self.server.tls else "http"
        return f"{scheme}://{host or self.host}:{self.port}/hooks?from=presence"

    def _received(self, handler, body):
        self.posts.put(Post(handler, body, self.secret))
        with self.lock:
            self.count += 1
            if self.hang:
                return None
            return self.answers.pop(0) if self.answers else self.status

    async def next_post(self, timeout=TIMEOUT):
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, self.posts.get, True, timeout)
        except queue.Empty:
            raise AssertionError(f"no POST within {timeout}s") from None

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def occupied(channel, namespace=""):
    return {"name": "channel_occupied", "channel": channel, "namespace": namespace}


def vacated(channel, namespace=""):
    return {"name": "channel_vacated", "channel": channel, "namespace": namespace}


def added(channel, member, namespace=""):
    return {"name": "member_added", "channel": channel, "namespace": namespace, "member": member}


def removed(channel, member, namespace=""):
    return {"name": "member_removed", "channel": channel, "namespace": namespace,
            "member": member}


def fast(*args):
    """`args`, and those of FAST that they do not give."""
    return (*[x for option, value in FAST.items() if option not in args for x in (option, value)],
            *args)


def without_time(event):
    return {k: v for k, v in event.items() if k != "time_ms"}


class WebhookTestCase(PresenceTestCase):
    """One server whose webhooks go to `self.receiver` (made by make_receiver), with FAST
    and WEBHOOK_ARGS."""

    WEBHOOK_ARGS = ()

    def make_receiver(self):
        return Receiver(self)

    def start_servers(self):
        self.receiver = self.make_receiver()
        return [self.serve(self.receiver.url(), *fast(*self.WEBHOOK_ARGS))]

    def serve(self, url, *args):
        server = ServerProcess("--webhook-url", url, "--webhook-secret", SECRET, *args)
        self.addCleanup(server.stop)
        return server

    async def expect_events(self, expected, receiver=None):
        """The next POSTs carry exactly `expected` (time_ms aside), in order, each POST
        signed and well formed. Returns the POSTs."""
        receiver = receiver or self.receiver
        posts, got = [], []
        while len(got) < len(expected):
            post = await receiver.next_post()
            self.check_post(post)
            posts.append(post)
            got += post.events
        self.assertEqual([without_time(e) for e in got], expected)
        return posts

    def check_post(self, post):
        self.assertTrue(post.signed, f"bad signature {post.headers.get('X-Presence-Signature')}")
        self.assertEqual(post.path, "/hooks?from=presence")
        self.assertEqual(post.headers["Content-Type"], "application/json")
        self.assertRegex(post.headers["User-Agent"], VERSION_RE)
        self.assertEqual(list(post.json), ["id", "time_ms", "node", "events"])
        self.assertRegex(post.json["id"], r"^[0-9a-f-]{36}$")
        for event in post.events:
            self.assertIsInstance(event["time_ms"], int)
            self.assertLessEqual(event["time_ms"], post.json["time_ms"])

    async def wait_log(self, pattern, server=None, count=1):
        """Returns once the server's stderr has `count` lines matching `pattern` (bounded
        polling of its log file)."""
        server = server or self.server
        deadline = time.monotonic() + EVENTUAL
        while True:
            lines = [line for line in server.stderr_text().splitlines()
                     if re.search(pattern, line)]
            if len(lines) >= count:
                return lines
            if time.monotonic() > deadline:
                self.fail(f"no {count} log lines matching {pattern!r} within {EVENTUAL}s:\n"
                          + server.stderr_text())
            await asyncio.sleep(0.05)  # polling a file, bounded above

    async def wait_exit(self, server):
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(None, server.proc.wait), EVENTUAL)
        except asyncio.TimeoutError:
            self.fail(f"the server did not exit within {EVENTUAL}s:\n" + server.stderr_text())


class Events(WebhookTestCase):
    """Each kind of event, with its fields, signed."""

    WEBHOOK_ARGS = ("--namespace", SALES)

    async def test_each_change_is_reported_with_its_fields(self):
        before = now_ms()
        a = await self.joined("alice", "alice's info")
        b = await self.joined("bob", others=[a])
        await a.subscribe("room")
        await b.subscribe("room", others=[a])
        await b.send(b.request(CHANNEL_MEMBER_REMOVE, channel="room"))
        # a leaves once b's departure is made: the two connections are not ordered otherwise.
        await a.expect(frame(CHANNEL_MEMBER_REMOVE, member=b.member, channel="room"))
        await a.send(a.request("sgc@presence@member@remove"))
        posts = await self.expect_events([
            occupied("room"), added("room", a.member), added("room", b.member),
            removed("room", b.member), removed("room", a.member), vacated("room")])
        after = now_ms()
        self.assertEqual(a.member, {"id": a.session_id, "name": "alice", "info": "alice's info"})
        for post in posts:
            self.assertEqual(post.json["node"], "")
            self.assertTrue(before <= post.json["time_ms"] <= after, post.json)
            for event in post.events:
                self.assertTrue(before <= event["time_ms"] <= after, event)
        times = [e["time_ms"] for p in posts for e in p.events]
        self.assertEqual(times, sorted(times))

    async def test_a_closed_connection_reports_its_departures(self):
        a = await self.joined("alice")
        await a.subscribe("room")
        await a.subscribe("hall")
        await self.expect_events([occupied("room"), added("room", a.member),
                                  occupied("hall"), added("hall", a.member)])
        await a.close()
        got = []
        while len(got) < 4:
            got += [without_time(e) for e in (await self.receiver.next_post()).events]
        self.assertCountEqual(got, [removed("room", a.member), vacated("room"),
                                    removed("hall", a.member), vacated("hall")])
        for channel in ("room", "hall"):
            self.assertLess(got.index(removed(channel, a.member)), got.index(vacated(channel)))

    async def test_events_of_a_namespace_carry_its_guid(self):
        s = await self.connect("sam", subprotocols=(f"{SALES}.{PROTOCOL}",))
        await s.join("sam")
        await s.subscribe("room")
        d = await self.joined("dora")
        await d.subscribe("room")
        await self.expect_events([occupied("room", SALES), added("room", s.member, SALES),
                                  occupied("room"), added("room", d.member)])

    async def test_the_signature_is_the_hmac_of_the_timestamp_and_the_exact_body(self):
        a = await self.joined("alice", "ünïcödé \"quoted\"")
        await a.subscribe("room")
        post = await self.receiver.next_post()
        header = post.headers["X-Presence-Signature"]
        self.assertRegex(header, r"^sha256=[0-9a-f]{64}$")
        self.assertRegex(post.timestamp, r"^[0-9]+$")
        self.assertTrue(hmac.compare_digest(header, signature(SECRET, post.timestamp, post.body)))
        self.assertFalse(hmac.compare_digest(header, signature(SECRET + "x", post.timestamp, post.body)))
        self.assertFalse(hmac.compare_digest(header, signature(SECRET, post.timestamp, post.body + b" ")))
        # The body alone is not what is signed: its signature would hold for ever.
        body_only = "sha256=" + hmac.new(SECRET.encode(), post.body, hashlib.sha256).hexdigest()
        self.assertFalse(hmac.compare_digest(header, body_only))
        self.assertEqual(post.events[1]["member"]["info"], "ünïcödé \"quoted\"")

    async def test_a_replay_is_refused_by_the_receivers_check(self):
        a = await self.joined("alice")
        await a.subscribe("room")
        post = await self.receiver.next_post()
        self.assertTrue(post.signed)
        header = post.headers["X-Presence-Signature"]
        # Replayed as it was, past the tolerance; or with a fresh timestamp it has no
        # signature for.
        late = str(int(post.timestamp) - TOLERANCE - 1)
        self.assertFalse(verified(SECRET.encode(), late, signature(SECRET, late, post.body), post.body))
        fresh = str(int(post.timestamp) + 1)
        self.assertFalse(verified(SECRET.encode(), fresh, header, post.body))


class WrongSecret(WebhookTestCase):
    """A receiver that knows another secret finds every signature wrong."""

    def make_receiver(self):
        return Receiver(self, secret="not the server's secret")

    async def test_a_receiver_with_another_secret_sees_a_mismatch(self):
        a = await self.joined("alice")
        await a.subscribe("room")
        post = await self.receiver.next_post()
        self.assertFalse(post.signed)
        self.assertEqual(post.headers["X-Presence-Signature"],
                         signature(SECRET, post.timestamp, post.body))


class Batching(WebhookTestCase):
    """A long batch interval: a POST goes when max_batch_events are waiting, or at the
    shutdown; one connection carries them all."""

    WEBHOOK_ARGS = ("--webhook-batch-interval", "3600", "--webhook-max-batch-events", "3")

    async def test_full_batches_go_at_once_in_order_and_the_rest_at_shutdown(self):
        a = await self.joined("alice")
        for channel in ("r1", "r2", "r3", "r4"):
            await a.subscribe(channel)
        first = await self.receiver.next_post()
        second = await self.receiver.next_post()
        self.assertEqual([without_time(e) for e in first.events + second.events],
                         [occupied("r1"), added("r1", a.member), occupied("r2"),
                          added("r2", a.member), occupied("r3"), added("r3", a.member)])
        self.assertEqual(len(first.events), 3)
        self.assertNotEqual(first.json["id"], second.json["id"])
        # r4's two events wait for a third; the shutdown sends them with the departures.
        self.expect_server_alive = False
        self.server.proc.send_signal(signal.SIGTERM)
        await a.expect_closed(1001)
        self.assertEqual(await self.wait_exit(self.server), 0, self.server.stderr_text())
        rest, posts = [], [first, second]
        while len(rest) < 10:
            post = await self.receiver.next_post()
            self.check_post(post)
            self.assertLessEqual(len(post.events), 3)
            rest += [without_time(e) for e in post.events]
            posts.append(post)
        self.assertEqual(rest[:2], [occupied("r4"), added("r4", a.member)])
        self.assertCountEqual(rest[2:], [removed(ch, a.member) for ch in ("r1", "r2", "r3", "r4")]
                              + [vacated(ch) for ch in ("r1", "r2", "r3", "r4")])
        self.assertTrue(self.receiver.posts.empty())
        for channel in ("r1", "r2", "r3", "r4"):
            self.assertLess(rest.index(removed(channel, a.member)), rest.index(vacated(channel)))
        self.assertEqual(len({p.peer for p in posts}), 1, "the connection is kept between POSTs")


class DroppedConnection(WebhookTestCase):
    """The receiver closes each connection after its answer: the next POST finds the kept
    connection dead and goes again on a new one, within the same attempt."""

    WEBHOOK_ARGS = ("--webhook-max-attempts", "1")

    def make_receiver(self):
        return Receiver(self, drop_kept=True)

    async def test_a_kept_connection_closed_by_the_receiver_costs_no_attempt(self):
        a = await self.joined("alice")
        posts = []
        for channel in ("r1", "r2", "r3"):
            await a.subscribe(channel)
            posts += await self.expect_events([occupied(channel), added(channel, a.member)])
        self.assertEqual(len({p.peer for p in posts}), 3)
        self.assertNotIn("webhooks", self.server.stderr_text())


class Retries(WebhookTestCase):
    """The receiver fails the first two attempts (500): the third carries the same body."""

    def make_receiver(self):
        return Receiver(self, answers=[500, 500])

    async def test_a_failed_batch_is_sent_again_with_the_same_body(self):
        a = await self.joined("alice")
        await a.subscribe("room")
        attempts = [await self.receiver.next_post() for _ in range(3)]
        for post in attempts:
            self.check_post(post)
            self.assertEqual(post.body, attempts[0].body)
        self.assertEqual([without_time(e) for e in attempts[0].events],
                         [occupied("room"), added("room", a.member)])
        # Delivered at the third: the next POST is the next change's, sent once.
        await a.subscribe("hall")
        await self.expect_events([occupied("hall"), added("hall", a.member)])
        self.assertEqual(self.receiver.count, 4)
        self.assertNotIn("webhooks", self.server.stderr_text())


class RetriesSignedAnew(WebhookTestCase):
    """Each attempt is signed when it goes, so that a batch retried for longer than a
    receiver's tolerance still arrives fresh: with retries over a second apart, the
    timestamps differ."""

    WEBHOOK_ARGS = ("--webhook-retry-delay", "1.2", "--webhook-max-retry-delay", "1.2")

    def make_receiver(self):
        return Receiver(self, answers=[500])

    async def test_a_retry_carries_a_new_timestamp_and_signature(self):
        a = await self.joined("alice")
        await a.subscribe("room")
        first, second = [await self.receiver.next_post() for _ in range(2)]
        for post in (first, second):
            self.check_post(post)
        self.assertEqual(second.body, first.body)
        self.assertGreater(int(second.timestamp), int(first.timestamp))
        self.assertNotEqual(second.headers["X-Presence-Signature"], first.headers["X-Presence-Signature"])


class DropAfterAttempts(WebhookTestCase):
    """A receiver that always fails: each batch gets max_attempts, then is dropped with
    one warning."""

    WEBHOOK_ARGS = ("--webhook-max-attempts", "2")

    def make_receiver(self):
        return Receiver(self, status=503)

    async def test_a_batch_is_dropped_after_its_attempts_with_one_warning(self):
        a = await self.joined("alice")
        await a.subscribe("room")
        first = [await self.receiver.next_post() for _ in range(2)]
        self.assertEqual(first[0].body, first[1].body)
        await self.wait_log(r"webhooks: dropped a batch of 2 events after 2 attempts; "
                            r"the last failed: HTTP 503")
        # The dropped batch is not tried again: the next POST is the next change's.
        await a.subscribe("hall")
        second = [await self.receiver.next_post() for _ in range(2)]
        self.assertNotEqual(second[0].json["id"], first[0].json["id"])
        self.assertEqual([without_time(e) for e in second[0].events],
                         [occupied("hall"), added("hall", a.member)])
        lines = await self.wait_log(r"webhooks: dropped a batch", count=2)
        self.assertEqual(len(lines), 2, "one line per dropped batch, none per event or attempt")
        metrics = scrape(self.server.port)
        self.assertEqual(metrics.value("presence_webhook_events_dropped_total", reason="attempts"), 4)
        self.assertEqual(metrics.value("presence_webhook_requests_total", result="failed"), 4)
        self.assertEqual(metrics.value("presence_webhook_events_total"), 4)
        # Every attempt answered is timed.
        self.assertEqual(metrics.value("presence_webhook_request_duration_seconds_count"), 4)


class Unreachable(WebhookTestCase):
    """Nothing listens at the URL, or the receiver never answers: attempts fail, are
    retried, and the batch is dropped, each way with its reason."""

    WEBHOOK_ARGS = ("--webhook-max-attempts", "3", "--webhook-timeout", "0.3")

    def start_servers(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed_port = s.getsockname()[1]
        self.receiver = Receiver(self, hang=True)
        self.closed = self.serve(f"http://127.0.0.1:{closed_port}/", *fast(*self.WEBHOOK_ARGS))
        return [self.serve(self.receiver.url(), *fast(*self.WEBHOOK_ARGS)), self.closed]

    async def test_a_refused_connection_is_a_failed_attempt(self):
        c = await self.joined("carol", node=1)
        await c.subscribe("room")
        await self.wait_log(r"webhooks: dropped a batch of 2 events after 3 attempts; the last "
                            r"failed: cannot connect to 127\.0\.0\.1:\d+", server=self.closed)
        await self.assert_serving()

    async def test_no_answer_within_the_timeout_is_a_failed_attempt(self):
        a = await self.joined("alice", node=0)
        await a.subscribe("room")
        attempts = [await self.receiver.next_post() for _ in range(3)]
        self.assertEqual({p.body for p in attempts}, {attempts[0].body})
        await self.wait_log(r"webhooks: dropped a batch of 2 events after 3 attempts; the last "
                            r"failed: no answer within 300 ms")
        # Each attempt took its whole timeout: none is in a bucket below 300 ms.
        metrics = scrape(self.server.port)
        self.assertEqual(metrics.value("presence_webhook_request_duration_seconds_count"), 3)
        self.assertEqual(metrics.value("presence_webhook_request_duration_seconds_bucket", le="0.25"), 0)
        self.assertGreaterEqual(metrics.value("presence_webhook_request_duration_seconds_sum"), 0.9)


class BoundedQueue(WebhookTestCase):
    """A receiver that never answers and a queue of 5: the oldest events are dropped, with
    a warning, the memory stays bounded, and the server goes on serving."""

    WEBHOOK_ARGS = ("--webhook-max-queue-events", "5", "--webhook-max-batch-events", "1",
                    "--webhook-timeout", "3600", "--max-requests-per-second", "0")
    ROUNDS = 3000    # subscribe + unsubscribe: 4 events, 2 of them with BIG_INFO
    PIPELINE = 100   # requests sent before their announcements are read

    def make_receiver(self):
        return Receiver(self, hang=True)

    async def test_a_full_queue_drops_its_oldest_and_the_server_goes_on(self):
        a = await self.joined("alice", BIG_INFO)
        await a.subscribe("warmup")
        await self.receiver.next_post()   # the one POST in flight, never answered
        rss_before, _ = memory_of(self.server.proc.pid)
        started = time.monotonic()
        for _ in range(self.ROUNDS // self.PIPELINE):
            for _ in range(self.PIPELINE):
                await a.send_raw(json.dumps(a.request("sgc@presence@channel@member@new",
                                                      channel="room")))
                await a.send_raw(json.dumps(a.request("sgc@presence@channel@member@remove",
                                                      channel="room")))
            for _ in range(2 * self.PIPELINE):
                await a.recv()
        # AddressSanitizer keeps freed memory back (its quarantine): no measure there.
        if not address_sanitized(self.server.proc.pid):
            growth = memory_of(self.server.proc.pid)[0] - rss_before
            unbounded = self.ROUNDS * 2 * len(BIG_INFO)
            self.assertLess(growth, unbounded // 4,
                            f"the server grew by {growth} bytes for {unbounded} bytes of events")
        self.assertEqual(self.receiver.count, 1, "one POST in flight at a time")
        # Every event but the one in flight and the 5 newest was dropped, and counted in
        # lines at most one per period (10 s), the last at the end of its period.
        dropped = 2 + 4 * self.ROUNDS - 1 - 5
        lines = await self.wait_counted(dropped)
        periods = (time.monotonic() - started) / 10
        self.assertLessEqual(len(lines), 2 + periods, "a count per period, not a line per event")
        await self.assert_serving()

    async def wait_counted(self, dropped):
        pattern = re.compile(r"webhooks: queue full \(5 events\): dropped the (\d+) oldest")
        deadline = time.monotonic() + EVENTUAL
        while True:
            lines = [m for m in map(pattern.search, self.server.stderr_text().splitlines()) if m]
            counted = sum(int(m.group(1)) for m in lines)
            if counted == dropped:
                return lines
            self.assertLess(counted, dropped, self.server.stderr_text())
            if time.monotonic() > deadline:
                self.fail(f"{counted} of {dropped} drops logged within {EVENTUAL}s")
            await asyncio.sleep(0.05)  # polling a file, bounded above


class Shutdown(WebhookTestCase):
    """At shutdown, what is queued gets one last attempt, bounded by the timeout."""

    WEBHOOK_ARGS = ("--webhook-batch-interval", "3600", "--webhook-timeout", "1")

    def make_receiver(self):
        return Receiver(self, hang=True)

    async def test_a_receiver_that_never_answers_does_not_hold_the_shutdown(self):
        self.expect_server_alive = False
        a = await self.joined("alice")
        await a.subscribe("room")
        self.server.proc.send_signal(signal.SIGTERM)
        await a.expect_closed(1001)
        post = await self.receiver.next_post()
        self.assertEqual([without_time(e) for e in post.events],
                         [occupied("room"), added("room", a.member),
                          removed("room", a.member), vacated("room")])
        self.assertEqual(await self.wait_exit(self.server), 0, self.server.stderr_text())
        self.assertIn("webhooks: 4 events not delivered at shutdown", self.server.stderr_text())
        self.assertEqual(self.receiver.count, 1, "one attempt, no retry")


class Https(WebhookTestCase):
    """https with peer verification against --webhook-ca-file, the host name checked, and
    SNI for a name."""

    @classmethod
    def setUpClass(cls):
        cls.cert = staticmethod(make_certs(cls))

    def tls_receiver(self, host="127.0.0.1"):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert("server.pem"), self.cert("server.key"))
        self.server_names = []
        context.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
        return Receiver(self, tls=context, host=host)

    def start_servers(self):
        self.receiver = self.tls_receiver()
        return [self.serve(self.receiver.url("localhost"), *fast(
            "--webhook-ca-file", self.cert("ca.pem"), "--webhook-max-batch-events", "2"))]

    async def test_events_go_over_https_on_one_verified_connection(self):
        a = await self.joined("alice")
        await a.subscribe("room")
        await a.subscribe("hall")
        posts = await self.expect_events([occupied("room"), added("room", a.member),
                                          occupied("hall"), added("hall", a.member)])
        self.assertEqual(len({p.peer for p in posts}), 1, "the connection is kept")
        self.assertEqual(self.server_names, ["localhost"])

    async def test_an_address_is_checked_against_the_certificate_without_sni(self):
        self.use(self.serve(self.receiver.url("127.0.0.1"),
                            *fast("--webhook-ca-file", self.cert("ca.pem"))))
        a = await self.joined("alice")
        await a.subscribe("room")
        await self.expect_events([occupied("room"), added("room", a.member)])
        self.assertEqual(self.server_names, [None])

    async def test_a_receiver_signed_by_another_authority_is_refused(self):
        self.use(self.serve(self.receiver.url("localhost"), *fast(
            "--webhook-max-attempts", "1", "--webhook-ca-file", self.cert("other-ca.pem"))))
        a = await self.joined("alice")
        await a.subscribe("room")
        await self.wait_log(r"webhooks: dropped a batch of 2 events after 1 attempts; the last "
                            r"failed: TLS handshake with localhost:\d+ failed: .*certificate verify failed")
        self.assertEqual(self.receiver.count, 0)

    async def test_a_certificate_for_another_host_is_refused(self):
        other = self.tls_receiver(host="127.0.0.2")   # the certificate names 127.0.0.1
        self.use(self.serve(other.url(), *fast("--webhook-max-attempts", "1",
                                               "--webhook-ca-file", self.cert("ca.pem"))))
        a = await self.joined("alice")
        await a.subscribe("room")
        await self.wait_log(r"webhooks: dropped a batch .* TLS handshake with 127\.0\.0\.2:\d+ "
                            r"failed: .*certificate verify failed")
        self.assertEqual(other.count, 0)

    def use(self, server):
        self.servers = [server]
        self.server = server


class Validation(unittest.TestCase):
    """presence-server refuses bad webhook options at start, naming the option: exit 1."""

    def start(self, *args):
        return subprocess.run([server_path(), "--port", "0", *args], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=START_TIMEOUT)

    def assert_refused(self, named, *args):
        result = self.start(*args)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(result.stdout, "")
        self.assertIn(named, result.stderr)

    def test_a_url_that_is_not_http_or_https(self):
        for url in ("ftp://127.0.0.1/", "127.0.0.1:9000/hooks", "http://user@127.0.0.1/",
                    "http://127.0.0.1:99999/", "https://"):
            with self.subTest(url=url):
                self.assert_refused("webhooks.url", "--webhook-url", url, "--webhook-secret", "s")

    def test_a_url_without_a_secret(self):
        self.assert_refused("webhooks.secret", "--webhook-url", "http://127.0.0.1:9/")

    def test_limits_that_cannot_work(self):
        for option, name in (("--webhook-max-attempts", "webhooks.max_attempts"),
                             ("--webhook-max-batch-events", "webhooks.max_batch_events"),
                             ("--webhook-max-queue-events", "webhooks.max_queue_events"),
                             ("--webhook-timeout", "webhooks.timeout")):
            with self.subTest(option=option):
                self.assert_refused(name, "--webhook-url", "http://127.0.0.1:9/",
                                    "--webhook-secret", "s", option, "0")

    def test_a_ca_file_it_cannot_read(self):
        self.assert_refused("webhooks.ca_file", "--webhook-url", "https://127.0.0.1:9/",
                            "--webhook-secret", "s", "--webhook-ca-file", "/nonexistent/ca.pem")


class Cluster(cluster_harness.ClusterTestCase):
    """Two nodes sharing Redis, both with webhooks to one receiver: each change is reported
    once, by the node whose member made it; a dead node's members by the node that reaped
    them."""

    NODE_TIMEOUT = 1

    def start_servers(self):
        self.receiver = Receiver(self)
        self.NODE_ARGS = ("--webhook-url", self.receiver.url(), "--webhook-secret", SECRET,
                          *fast())
        return super().start_servers()

    async def events_of(self, node, count):
        """The next `count` events the receiver gets from `node`; the other node's POSTs
        met meanwhile are kept for later."""
        pending = self.pending.setdefault(node, [])
        while len(pending) < count:
            post = await self.receiver.next_post(timeout=cluster_harness.EVENTUAL)
            self.assertTrue(post.signed)
            self.pending.setdefault(post.json["node"], []).extend(
                without_time(e) for e in post.events)
        got, self.pending[node] = pending[:count], pending[count:]
        return got

    async def test_each_change_is_reported_once_across_the_nodes(self):
        self.pending = {}
        a = await self.joined("alice", node=0)
        b = await self.joined("bob", others=[a], node=1)
        b2 = await self.joined("bea", others=[a, b], node=1)
        await a.subscribe("room")
        self.assertEqual(await self.events_of("n1", 2), [occupied("room"), added("room", a.member)])
        await b.subscribe("room", others=[a])
        await b2.subscribe("solo")
        self.assertEqual(await self.events_of("n2", 3),
                         [added("room", b.member), occupied("solo"), added("solo", b2.member)])
        self.servers[1].kill()
        reaped = await self.events_of("n1", 3)
        self.assertCountEqual(reaped, [removed("room", b.member), removed("solo", b2.member),
                                       vacated("solo")])
        self.assertLess(reaped.index(removed("solo", b2.member)), reaped.index(vacated("solo")))
        await a.send(a.request(CHANNEL_MEMBER_REMOVE, channel="room"))
        self.assertEqual(await self.events_of("n1", 2), [removed("room", a.member), vacated("room")])
        # Nothing else: neither node reported the other's changes.
        self.assertEqual(self.pending, {"n1": [], "n2": []})
        self.assertTrue(self.receiver.posts.empty())


if __name__ == "__main__":
    unittest.main()
