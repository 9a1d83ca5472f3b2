# SPDX-License-Identifier: Apache-2.0
"""The operator's HTTP side, over real HTTP on loopback: /metrics in the Prometheus text
format 0.0.4 (parsed strictly, line by line, by `Exposition` below), /healthz and /readyz,
and the admin API under /api/, on the main port or on an address of its own; and the log
entries about one connection's failure, which name its address and member.

Counters are checked by exact amounts against traffic the test makes and waits for: every
frame a client is waited for has been counted when it arrives, so a scrape after it sees it.
"""

import asyncio
import http.client
import json
import math
import os
import re
import subprocess
import sys
import time
import unittest
import urllib.parse

import websockets
from websockets.exceptions import InvalidStatusCode

from presence_harness import (
    CHANNEL_MEMBER_REMOVE, ERROR_MEMBER_CHANNEL, HELLO, MEMBER_REMOVE, PARSE_ERROR, PROTOCOL,
    PUBLISH, SERVER_FEATURES, START_TIMEOUT, TIMEOUT, PresenceTestCase, ServerProcess, frame,
    server_path)

HERE = os.path.dirname(os.path.abspath(__file__))
CLUSTER = os.path.normpath(os.path.join(HERE, "..", "cluster"))
if CLUSTER not in sys.path:
    sys.path.insert(0, CLUSTER)
import cluster_harness  # noqa: E402  (tests/cluster, found through CLUSTER)
from cluster_harness import free_port  # noqa: E402

KEY = "operator-key-0123"
SALES = "sales"
METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# The member of a message published by the application (API or Server::broadcast).
NOBODY = {"id": "", "name": "", "info": ""}
RESUME = "ext@presence@resume"
# Labels that would make one series per member or per channel: none may appear.
UNBOUNDED_LABELS = {"member", "member_id", "id", "name", "session", "channel"}
# Metric families every server exposes, with their type.
FAMILIES = {
    "presence_build_info": "gauge",
    "presence_start_time_seconds": "gauge",
    "presence_connections": "gauge",
    "presence_members": "gauge",
    "presence_channels": "gauge",
    "presence_messages_received_total": "counter",
    "presence_received_bytes_total": "counter",
    "presence_messages_sent_total": "counter",
    "presence_sent_bytes_total": "counter",
    "presence_slow_consumer_drops_total": "counter",
    "presence_fanout_deliveries_total": "counter",
    "presence_errors_total": "counter",
    "presence_ack_resends_total": "counter",
    "presence_ack_dropped_total": "counter",
    "presence_connections_refused_total": "counter",
    "presence_limits_hit_total": "counter",
    "presence_connections_accepted_total": "counter",
    "presence_publish_to_write_seconds": "histogram",
    # As the Prometheus client libraries name them.
    "process_cpu_seconds_total": "counter",
    "process_start_time_seconds": "gauge",
    "process_virtual_memory_bytes": "gauge",
    "process_resident_memory_bytes": "gauge",
    "process_open_fds": "gauge",
    "process_max_fds": "gauge",
}
REDIS_FAMILIES = {"presence_redis_up": "gauge", "presence_redis_latency_seconds": "gauge",
                  "presence_redis_round_trip_seconds": "histogram"}
OUTCOMES = ("websocket", "refused", "tls_failed", "http")
HISTOGRAM = '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 0.5\nh_count 2\n'
ERROR_CODES = ("1", "2", "3", "5", "6", "10", "11", "12", "20", "30", "40", "41", "42", "43",
               "44", "45", "-32700", "-32600", "-32601", "-32602")

# --- the text exposition format, strictly ---------------------------------------------------

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
HELP_LINE = re.compile(rf"# HELP ({NAME}) (\S[^\n]*)")
TYPE_LINE = re.compile(rf"# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)")
SAMPLE_LINE = re.compile(rf"({NAME})(?:\{{(.*)\}})? (\S+)")
LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
VALUE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]Inf|NaN")


def parse_labels(text, where):
    """The labels of `{...}`'s inside, unescaped; any deviation from the format fails."""
    labels = {}
    pos = 0
    while pos < len(text):
        m = LABEL_PAIR.match(text, pos)
        if not m:
            raise AssertionError(f"{where}: bad label syntax at {text[pos:]!r}")
        name, value = m.group(1), m.group(2)
        if name.startswith("__") or name in labels:
            raise AssertionError(f"{where}: label {name!r} reserved or repeated")
        labels[name] = re.sub(r"\\(.)", lambda e: "\n" if e.group(1) == "n" else e.group(1), value)
        pos = m.end()
        if pos < len(text):
            if text[pos] != ",":
                raise AssertionError(f"{where}: expected ',' between labels in {text!r}")
            pos += 1
    return labels


HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


class Exposition:
    """One scrape, parsed: each family has a HELP line, then its TYPE line, then all its
    samples; counters end in _total and are finite and not negative; no series twice; no
    label names a member or a channel; the text ends with a newline and has no blank line.
    A histogram's series are NAME_bucket with `le` bounds in increasing order, cumulative,
    the last +Inf, then NAME_sum and NAME_count, which is the +Inf bucket's."""

    def __init__(self, text):
        self.types = {}
        self.samples = {}  # (name, frozenset of label items) -> value
        self.buckets = {}  # (histogram, frozenset of its other labels) -> [(le, count)] in order
        if not text.endswith("\n"):
            raise AssertionError("the exposition must end with a newline")
        lines = text[:-1].split("\n")
        family = None
        i = 0
        while i < len(lines):
            where = f"line {i + 1} {lines[i]!r}"
            if lines[i].startswith("#"):
                family = self._declare(lines[i], lines[i + 1] if i + 1 < len(lines) else "", where)
                i += 2
                continue
            self._sample(lines[i], family, where)
            i += 1
        self._check_histograms()

    def _declare(self, help_line, type_line, where):
        """A HELP line and the TYPE line that must follow it; returns the family's name."""
        m = HELP_LINE.fullmatch(help_line)
        if not m:
            raise AssertionError(f"{where}: a comment that is not a HELP line")
        name = m.group(1)
        t = TYPE_LINE.fullmatch(type_line)
        if not t or t.group(1) != name:
            raise AssertionError(f"{where}: HELP not followed by the TYPE of {name}")
        if name in self.types:
            raise AssertionError(f"{where}: family {name} declared twice")
        if t.group(2) == "counter" and not name.endswith("_total"):
            raise AssertionError(f"{where}: a counter's name ends in _total")
        self.types[name] = t.group(2)
        return name

    def _sample(self, line, family, where):
        m = SAMPLE_LINE.fullmatch(line)
        if not m:
            raise AssertionError(f"{where}: not a sample line")
        name, labels, value = m.group(1), parse_labels(m.group(2) or "", where), m.group(3)
        kind = self.types.get(family)
        if name != family and not (kind == "histogram" and name in (family + x for x in HISTOGRAM_SUFFIXES)):
            raise AssertionError(f"{where}: sample outside its family ({family})")
        if not VALUE.fullmatch(value):
            raise AssertionError(f"{where}: bad value")
        number = float(value)
        if kind in ("counter", "histogram") and not (math.isfinite(number) and number >= 0):
            raise AssertionError(f"{where}: a counter must be finite and not negative")
        if kind == "histogram" and ("le" in labels) != name.endswith("_bucket"):
            raise AssertionError(f"{where}: le belongs to the buckets, and only to them")
        if kind == "histogram" and name.endswith("_bucket"):
            others = frozenset((k, v) for k, v in labels.items() if k != "le")
            self.buckets.setdefault((family, others), []).append((float(labels["le"]), number))
        if UNBOUNDED_LABELS & labels.keys():
            raise AssertionError(f"{where}: a label per member or channel")
        key = (name, frozenset(labels.items()))
        if key in self.samples:
            raise AssertionError(f"{where}: series given twice")
        self.samples[key] = number

    def _check_histograms(self):
        for (family, labels), buckets in self.buckets.items():
            bounds = [le for le, _ in buckets]
            counts = [n for _, n in buckets]
            if bounds != sorted(set(bounds)) or bounds[-1] != math.inf:
                raise AssertionError(f"{family}{dict(labels)}: bounds not increasing to +Inf: {bounds}")
            if counts != sorted(counts):
                raise AssertionError(f"{family}{dict(labels)}: buckets not cumulative: {counts}")
            for suffix in ("_sum", "_count"):
                if (family + suffix, labels) not in self.samples:
                    raise AssertionError(f"{family}{dict(labels)}: no {suffix}")
            if self.samples[(family + "_count", labels)] != counts[-1]:
                raise AssertionError(f"{family}{dict(labels)}: _count is not the +Inf bucket")

    def value(self, name, **labels):
        key = (name, frozenset(labels.items()))
        if key not in self.samples:
            raise AssertionError(f"no series {name}{labels}")
        return self.samples[key]

    def has(self, name, **labels):
        return (name, frozenset(labels.items())) in self.samples


# --- HTTP --------------------------------------------------------------------------------------

def request(port, method, path, body=None, headers=None, context=None, source=None):
    """(status, headers with lower-case names, body bytes) of one request on a new connection,
    from the loopback address `source` when given (one with a connection count of its own)."""
    if context is None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT,
                                                source_address=(source, 0) if source else None)
    else:
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=TIMEOUT, context=context)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def api(port, method, path, body=None, key=KEY, raw=None, headers=None, context=None):
    """(status, headers, decoded JSON) of an admin API call; `raw` is a body sent as is."""
    sent = dict(headers or {})
    if key is not None:
        sent["Authorization"] = f"Bearer {key}"
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None:
        sent["Content-Type"] = "application/json"
    status, got, payload = request(port, method, path, data, sent, context)
    if got.get("content-type") != "application/json":
        raise AssertionError(f"{method} {path}: content type {got.get('content-type')!r}: {payload!r}")
    return status, got, json.loads(payload)


def scrape(port, context=None, source=None):
    status, headers, body = request(port, "GET", "/metrics", context=context, source=source)
    if status != 200 or headers.get("content-type") != METRICS_TYPE:
        raise AssertionError(f"/metrics: {status} {headers}: {body[:200]!r}")
    return Exposition(body.decode("utf-8"))


def api_error(status, message=None):
    """What an error answer of the API is, as a predicate on (status, body)."""
    return lambda got, body: (got == status and set(body) == {"error"}
                              and body["error"]["status"] == status
                              and isinstance(body["error"]["message"], str)
                              and body["error"]["message"] != ""
                              and (message is None or message in body["error"]["message"]))


def wait_until(condition, what, timeout):
    """Polls `condition` (bounded) until it returns something true; returns that."""
    deadline = time.monotonic() + timeout
    while True:
        got = condition()
        if got:
            return got
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.05)          # polling a figure, bounded above


async def eventually(condition, what, timeout=cluster_harness.EVENTUAL):
    """wait_until in a worker thread, so that the event loop keeps running meanwhile."""
    loop = asyncio.get_running_loop()
    return await asyncio.wait_for(loop.run_in_executor(None, wait_until, condition, what, timeout),
                                  timeout + TIMEOUT)


class Operations(PresenceTestCase):
    """Shared checks; each subclass starts its servers with its own options."""

    SERVER_ARGS = ("--admin-api-key", KEY)

    @property
    def port(self):
        return self.server.port

    def metrics(self):
        return scrape(self.port)

    def assert_api_error(self, answer, status, message=None):
        got, headers, body = answer
        self.assertTrue(api_error(status, message)(got, body), f"expected {status}: {got} {body}")
        return headers

    def assert_deltas(self, before, after, expected, **labels):
        """Each metric of `expected` moved by exactly that amount between two scrapes."""
        for name, delta in expected.items():
            self.assertEqual(after.value(name, **labels) - before.value(name, **labels), delta, name)


class Metrics(Operations):

    SERVER_ARGS = ("--admin-api-key", KEY, "--namespace", SALES)

    def test_the_exposition_parses_and_has_every_family(self):
        m = self.metrics()
        for name, kind in FAMILIES.items():
            self.assertEqual(m.types.get(name), kind, name)
        for name in REDIS_FAMILIES:
            self.assertNotIn(name, m.types, "no Redis metrics with the memory engine")
        _, _, info = api(self.port, "GET", "/api/info")
        self.assertEqual(m.value("presence_build_info", version=info["version"]), 1)
        self.assertLessEqual(m.value("presence_start_time_seconds"), time.time())
        for guid in ("", SALES):
            for gauge in ("presence_connections", "presence_members", "presence_channels"):
                self.assertEqual(m.value(gauge, namespace=guid), 0, (gauge, guid))
        for code in ERROR_CODES:
            self.assertEqual(m.value("presence_errors_total", code=code), 0)
        for reason in ("server_full", "address_full", "no_descriptors", "unauthorized"):
            self.assertEqual(m.value("presence_connections_refused_total", reason=reason), 0)
        for limit in ("request_rate", "channels_per_member", "invitation_rate", "channel_members",
                      "update_rate"):
            self.assertEqual(m.value("presence_limits_hit_total", limit=limit), 0)
        status, headers, body = request(self.port, "HEAD", "/metrics")
        self.assertEqual((status, headers["content-type"], body), (200, METRICS_TYPE, b""))

    def test_the_parser_refuses_what_the_format_does_not_allow(self):
        good = "# HELP a_total A.\n# TYPE a_total counter\na_total 1\n"
        Exposition(good)
        Exposition(HISTOGRAM)
        for bad in (good[:-1],                                            # no final newline
                    good.replace("a_total 1", "a_total{x=\"1\"} 1\na_total{x=\"1\"} 2"),
                    good.replace("a_total 1", "b_total 1"),               # outside its family
                    good.replace("a_total 1", "a_total -1"),              # negative counter
                    good.replace("a_total 1", "a_total one"),
                    good.replace("a_total 1", 'a_total{channel="x"} 1'),  # a channel label
                    good.replace("a_total 1", 'a_total{x="\\q"} 1'),      # bad escape
                    "# TYPE a gauge\na 1\n",                               # no HELP
                    "# HELP a A.\n# TYPE a counter\na 1\n",               # counter without _total
                    good + "\n",
                    HISTOGRAM.replace('le="1"} 1', 'le="1"} 3'),           # not cumulative
                    HISTOGRAM.replace('{le="+Inf"}', '{le="2"}'),          # no +Inf
                    HISTOGRAM.replace("h_count 2", "h_count 1"),            # count is not +Inf's
                    HISTOGRAM.replace("h_sum 0.5\n", ""),                   # no sum
                    HISTOGRAM.replace("h_sum", 'h_sum{le="1"}'),            # le on the sum
                    HISTOGRAM.replace("h_count", "h_total")):               # outside its family
            with self.assertRaises(AssertionError, msg=bad):
                Exposition(bad)

    def test_the_process_figures_are_those_of_proc(self):
        pid = self.server.proc.pid
        m = self.metrics()
        with open(f"/proc/{pid}/status") as f:
            peak = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
        resident = m.value("process_resident_memory_bytes")
        self.assertTrue(0 < resident <= peak, (resident, peak))
        self.assertGreaterEqual(m.value("process_virtual_memory_bytes"), resident)
        with open(f"/proc/{pid}/limits") as f:
            soft = next(line.split()[3] for line in f if line.startswith("Max open files"))
        self.assertEqual(m.value("process_max_fds"), int(soft))
        with open(f"/proc/{pid}/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
        self.assertAlmostEqual(m.value("process_start_time_seconds"),
                               boot + start_ticks / os.sysconf("SC_CLK_TCK"), places=6)
        cpu = m.value("process_cpu_seconds_total")
        self.assertGreaterEqual(self.metrics().value("process_cpu_seconds_total"), cpu)

    async def test_open_descriptors_follow_the_connections(self):
        before = self.metrics().value("process_open_fds")
        for i in range(5):
            await self.connect(f"c{i}")
        self.assertGreaterEqual(self.metrics().value("process_open_fds") - before, 5)

    async def test_counters_follow_a_join_and_a_publish(self):
        a = await self.joined("alice")
        b = await self.joined("bob", others=[a])
        c = await self.joined("carol", others=[a, b])
        await a.subscribe("room")
        await b.subscribe("room", others=[a])
        await c.subscribe("room", others=[a, b])
        d = await self.connect("dave")
        for x in (a, b, c):
            await x.barrier()
        before = self.metrics()
        self.assertEqual(before.value("presence_connections", namespace=""), 4)
        self.assertEqual(before.value("presence_members", namespace=""), 3)
        self.assertEqual(before.value("presence_channels", namespace=""), 1)
        self.assertEqual(before.value("presence_members", namespace=SALES), 0)

        # A join: its announcement reaches the 4 members, dave included.
        await d.join("dave", others=[a, b, c])
        after_join = self.metrics()
        self.assert_deltas(before, after_join, {"presence_fanout_deliveries_total": 4,
                                                "presence_messages_received_total": 1,
                                                "presence_messages_sent_total": 4})
        self.assertEqual(after_join.value("presence_members", namespace=""), 4)

        # A publish to the 3 members of room: one message in, 3 deliveries, 3 out.
        sent = json.dumps(a.request(PUBLISH, channel="room", text="h\u00e9llo room"))
        await a.send_raw(sent)
        for x in (a, b, c):
            await x.expect(frame(PUBLISH, member=a.member, channel="room", text="h\u00e9llo room"))
        after = self.metrics()
        delivered = sum(len(x.raw[-1].encode("utf-8")) for x in (a, b, c))
        self.assert_deltas(after_join, after, {"presence_fanout_deliveries_total": 3,
                                               "presence_messages_received_total": 1,
                                               "presence_received_bytes_total": len(sent.encode("utf-8")),
                                               "presence_messages_sent_total": 3,
                                               "presence_sent_bytes_total": delivered})
        await d.barrier()

    async def test_each_write_of_a_publish_is_timed_and_nothing_else_is(self):
        """presence_publish_to_write_seconds: one observation per recipient's completed write
        of a publish (a client's, or the API's), none for joins, subscriptions or answers."""
        members = []
        for name in ("alice", "bob", "carol"):
            members.append(await self.joined(name, others=members))
        for i, x in enumerate(members):
            await x.subscribe("room", others=members[:i])
        for x in members:
            await x.barrier()
        timed = "presence_publish_to_write_seconds_count"
        self.assertEqual(self.metrics().value(timed), 0, "joins, subscriptions and answers are not timed")

        publisher = members[0]
        texts = [f"message {i}" for i in range(4)]
        for text in texts:
            await publisher.send(publisher.request(PUBLISH, channel="room", text=text))
        # The API's publish comes over another connection: only once the client's have all
        # arrived is its place after them certain.
        for x in members:
            for text in texts:
                await x.expect(frame(PUBLISH, member=publisher.member, channel="room", text=text))
        status, _, _ = api(self.port, "POST", "/api/publish", {"channel": "room", "text": "from the API"})
        self.assertEqual(status, 200)
        for x in members:
            await x.expect(frame(PUBLISH, member=NOBODY, channel="room", text="from the API"))
        expected = (len(texts) + 1) * len(members)
        await eventually(lambda: self.metrics().value(timed) >= expected, f"{expected} timed writes")
        for x in members:
            await x.barrier()
        m = self.metrics()
        self.assertEqual(m.value(timed), expected)
        self.assertGreater(m.value("presence_publish_to_write_seconds_sum"), 0)

    async def test_errors_are_counted_by_protocol_code(self):
        a = await self.joined("alice")
        before = self.metrics()
        await a.send(a.request(CHANNEL_MEMBER_REMOVE, channel="nowhere"))
        answer = await a.recv()
        self.assertEqual((answer["method"], answer["error"]["code"]), (ERROR_MEMBER_CHANNEL, 5), answer)
        await a.send_raw("not json")
        answer = await a.recv()
        self.assertEqual(answer["error"]["code"], PARSE_ERROR, answer)
        after = self.metrics()
        for code in ERROR_CODES:
            moved = 1 if code in ("5", str(PARSE_ERROR)) else 0
            self.assertEqual(after.value("presence_errors_total", code=code)
                             - before.value("presence_errors_total", code=code), moved, code)

    async def test_each_namespace_has_its_own_gauges(self):
        s = await self.connect("sam", subprotocols=(f"{SALES}.{PROTOCOL}",))
        await s.join("sam")
        await s.subscribe("deals")
        m = self.metrics()
        self.assertEqual([m.value(g, namespace=SALES) for g in
                          ("presence_connections", "presence_members", "presence_channels")], [1, 1, 1])
        self.assertEqual([m.value(g, namespace="") for g in
                          ("presence_connections", "presence_members", "presence_channels")], [0, 0, 0])


class Probes(Operations):

    def test_healthz_and_readyz_answer_200_with_the_connections(self):
        for path in ("/healthz", "/readyz"):
            status, headers, body = request(self.port, "GET", path)
            self.assertEqual(status, 200, path)
            self.assertEqual(headers["content-type"], "application/json")
            self.assertEqual(json.loads(body), {"status": "ok", "connections": 0})
            status, _, body = request(self.port, "HEAD", path)
            self.assertEqual((status, body), (200, b""))


class AdminApi(Operations):

    SERVER_ARGS = ("--admin-api-key", KEY, "--namespace", SALES, "--node-id", "n7")

    async def members_in_room(self):
        a = await self.joined("alice", "from the north")
        b = await self.joined("bob", others=[a])
        await a.subscribe("room")
        await b.subscribe("room", others=[a])
        return a, b

    async def test_info(self):
        a, b = await self.members_in_room()
        status, headers, info = api(self.port, "GET", "/api/info")
        self.assertEqual(status, 200)
        self.assertEqual(headers["cache-control"], "no-store")
        self.assertRegex(info.pop("version"), r"^\d+\.\d+\.\d+")
        self.assertIsInstance(info.pop("uptime_seconds"), int)
        self.assertEqual(info.pop("nodes"), [{"id": "n7", "members": 2, "self": True}])
        self.assertEqual(set(info.pop("totals")), {"joins", "leaves", "publishes", "deliveries", "errors"})
        self.assertEqual(info, {"node_id": "n7", "engine": "memory", "connections": 2,
                                "members": 2, "channels": 1, "namespaces": ["", SALES]})

    async def test_channels_of_a_namespace(self):
        a, b = await self.members_in_room()
        await a.subscribe("lobby")
        self.assertEqual(api(self.port, "GET", "/api/channels")[::2],
                         (200, {"channels": [{"name": "lobby", "members": 1},
                                             {"name": "room", "members": 2}], "total": 2, "everyone": 2}))
        self.assertEqual(api(self.port, "GET", f"/api/channels?namespace={SALES}")[::2],
                         (200, {"channels": [], "total": 0, "everyone": 0}))
        self.assert_api_error(api(self.port, "GET", "/api/channels?namespace=nowhere"), 404, "nowhere")

    async def test_members_of_a_channel_of_all_and_of_an_unusual_name(self):
        a, b = await self.members_in_room()
        name = "caf\u00e9 bar+1"
        await b.subscribe(name)
        status, _, body = api(self.port, "GET", "/api/members?channel=room")
        self.assertEqual(status, 200)
        self.assertCountEqual(body["members"], [a.member, b.member])
        self.assertEqual(api(self.port, "GET", "/api/members?channel=" + urllib.parse.quote(name, safe=""))[::2],
                         (200, {"members": [b.member], "total": 1}))
        status, _, body = api(self.port, "GET", "/api/members")
        self.assertCountEqual(body["members"], [a.member, b.member])
        self.assertEqual(api(self.port, "GET", "/api/members?channel=empty")[::2], (200, {"members": [], "total": 0}))
        self.assertEqual(api(self.port, "GET", f"/api/members?namespace={SALES}&channel=room")[::2],
                         (200, {"members": [], "total": 0}))

    async def test_publish_reaches_a_channel_or_everyone_as_broadcast_does(self):
        a, b = await self.members_in_room()
        c = await self.joined("carol", others=[a, b])
        s = await self.connect("sam", subprotocols=(f"{SALES}.{PROTOCOL}",))
        await s.join("sam")
        text = "from the operator \u2713"
        self.assertEqual(api(self.port, "POST", "/api/publish", {"text": text, "channel": "room"})[::2],
                         (200, {"published": True, "members": 2}))
        for x in (a, b):
            await x.expect(frame(PUBLISH, member=NOBODY, channel="room", text=text))
        await c.barrier()
        self.assertEqual(api(self.port, "POST", "/api/publish", {"text": "all", "namespace": ""})[::2],
                         (200, {"published": True, "members": 3}))
        for x in (a, b, c):
            await x.expect(frame(PUBLISH, member=NOBODY, channel="", text="all"))
        await s.barrier()
        self.assertEqual(api(self.port, "POST", "/api/publish", {"text": "sales", "namespace": SALES})[0], 200)
        await s.expect(frame(PUBLISH, member=NOBODY, channel="", text="sales"))
        for x in (a, b, c):
            await x.barrier()

    async def test_disconnect_closes_with_4000_and_the_departure_is_announced(self):
        a, b = await self.members_in_room()
        self.assertEqual(api(self.port, "POST", "/api/disconnect", {"id": a.session_id})[::2],
                         (200, {"disconnected": True}))
        departure = [frame(CHANNEL_MEMBER_REMOVE, member=a.member, channel="room"),
                     frame(MEMBER_REMOVE, member=a.member)]
        self.assertEqual(await a.expect_closed(4000), departure)
        self.assertEqual(a.ws.close_reason, "disconnected by the server")
        for f in departure:
            await b.expect(f)
        await b.barrier()
        self.assert_api_error(api(self.port, "POST", "/api/disconnect", {"id": a.session_id}), 404,
                              a.session_id)
        self.assert_api_error(api(self.port, "POST", "/api/disconnect",
                                  {"id": b.session_id, "namespace": SALES}), 404)
        await b.barrier()

    async def test_disconnect_ends_a_member_waiting_to_resume(self):
        a = await self.connect("alice")
        await a.send(frame(HELLO, text="invitation-response,resume"))
        await a.expect(frame(HELLO, text=SERVER_FEATURES))
        token = (await a.recv())["message"]["text"]
        await a.join("alice")
        b = await self.joined("bob", others=[a])
        await a.subscribe("room")
        await b.subscribe("room", others=[a])
        a.ws.transport.abort()  # lost: the server keeps alice for the grace period
        self.clients.remove(a)
        await b.barrier()  # nobody is told of it
        self.assertEqual(api(self.port, "POST", "/api/disconnect", {"id": a.session_id})[::2],
                         (200, {"disconnected": True}))
        await b.expect(frame(CHANNEL_MEMBER_REMOVE, member=a.member, channel="room"))
        await b.expect(frame(MEMBER_REMOVE, member=a.member))
        await b.barrier()
        again = await self.connect("alice again")
        await again.send(frame(RESUME, text=f"{token}:0"))
        await again.expect(frame(RESUME, text="expired"))
        self.assert_api_error(api(self.port, "POST", "/api/disconnect", {"id": a.session_id}), 404)

    def test_bad_requests_are_400(self):
        for path, raw in (("/api/publish", b"{not json"),
                          ("/api/publish", b"[1, 2]"),
                          ("/api/publish", b"{}"),
                          ("/api/publish", b'{"text": 5}'),
                          ("/api/publish", b'{"text": "x", "channel": null}'),
                          ("/api/publish", b'{"text": "x", "chanel": "room"}'),
                          ("/api/publish", b'{"text": "\xff"}'),
                          ("/api/publish", b'{"text": "\\ud800"}'),
                          ("/api/disconnect", b'{"namespace": ""}'),
                          ("/api/disconnect", b'{"id": ["x"]}')):
            self.assert_api_error(api(self.port, "POST", path, raw=raw), 400)
        for query in ("channel=%zz", "channel=%ff", "%ff=x", "colour=red", "channel=a&channel=b"):
            self.assert_api_error(api(self.port, "GET", "/api/members?" + query), 400)
        self.assert_api_error(api(self.port, "GET", "/api/info?verbose=1"), 400)

    def test_without_the_key_401(self):
        for authorization in (None, "Bearer wrong", f"Bearer {KEY}x", f"Basic {KEY}", f"Bearer {KEY[:-1]}",
                              "Bearer"):
            headers = {"Authorization": authorization} if authorization else {}
            got = self.assert_api_error(api(self.port, "GET", "/api/info", key=None, headers=headers), 401)
            self.assertEqual(got["www-authenticate"], "Bearer", authorization)
        self.assertEqual(api(self.port, "GET", "/api/info", key=None,
                             headers={"Authorization": f"bearer   {KEY}"})[0], 200)

    def test_unknown_paths_404_and_wrong_methods_405(self):
        for path in ("/api", "/api/", "/api/nothing", "/api/info/more"):
            self.assert_api_error(api(self.port, "GET", path), 404)
        self.assert_api_error(api(self.port, "POST", "/api/publish", {"text": "x", "namespace": "nowhere"}), 404)
        for method, path, allow in (("GET", "/api/publish", "POST"), ("PUT", "/api/disconnect", "POST"),
                                    ("POST", "/api/info", "GET, HEAD"), ("DELETE", "/api/members", "GET, HEAD")):
            headers = self.assert_api_error(api(self.port, method, path, raw=b"{}"), 405)
            self.assertEqual(headers["allow"], allow, path)

    def test_a_body_over_the_limit_is_413(self):
        text = "x" * (64 * 1024)
        self.assert_api_error(api(self.port, "POST", "/api/publish", {"text": text}), 413)
        self.assertEqual(api(self.port, "POST", "/api/publish", {"text": text[:60000]})[0], 200)


class NoAdminKeyNoMetrics(Operations):

    SERVER_ARGS = ("--metrics", "false")

    def test_no_api_and_no_metrics(self):
        for path in ("/api/info", "/api/nothing"):
            self.assert_api_error(api(self.port, "GET", path), 404)
        self.assertEqual(request(self.port, "GET", "/metrics")[0], 404)
        self.assertEqual(request(self.port, "GET", "/healthz")[0], 200)


class RefusedConnections(Operations):

    SERVER_ARGS = ("--admin-api-key", KEY, "--max-connections-per-address", "1",
                   "--auth-hs256-secret", "0123456789abcdef0123456789abcdef", "--auth-allow-anonymous")

    def metrics(self):
        # Every connection counts, a scrape's as well: from an address of its own.
        return scrape(self.port, source="127.0.0.2")

    async def test_unauthorized_and_address_full_are_counted(self):
        before = self.metrics()
        with self.assertRaises(InvalidStatusCode) as refused:
            await websockets.connect(self.server.url + "?token=not.a.token", open_timeout=TIMEOUT)
        self.assertEqual(refused.exception.status_code, 401)
        await self.connect("anonymous")
        with self.assertRaises(InvalidStatusCode) as refused:
            await self.connect("second")
        self.assertEqual(refused.exception.status_code, 429)
        after = self.metrics()
        self.assert_deltas(before, after, {"presence_connections_refused_total": 1}, reason="unauthorized")
        self.assert_deltas(before, after, {"presence_connections_refused_total": 1}, reason="address_full")
        self.assert_deltas(before, after, {"presence_connections_refused_total": 0}, reason="server_full")


    async def test_accepted_connections_are_counted_by_outcome(self):
        before = self.metrics()
        with self.assertRaises(InvalidStatusCode):
            await websockets.connect(self.server.url + "?token=not.a.token", open_timeout=TIMEOUT)
        await self.connect("anonymous")
        with self.assertRaises(InvalidStatusCode):
            await self.connect("second")

        def counted():
            m = self.metrics()
            moved = {o: m.value("presence_connections_accepted_total", outcome=o)
                     - before.value("presence_connections_accepted_total", outcome=o) for o in OUTCOMES}
            # A connection is counted when it ends: the HTTP ones of the scrapes, soon after.
            return moved if moved["refused"] == 2 and moved["http"] >= 1 else None

        moved = await eventually(counted, "the refused connections and a scrape's counted")
        self.assertEqual((moved["websocket"], moved["tls_failed"]), (1, 0))


class ServerFull(Operations):
    """Scraped on the admin address, which a full server still serves."""

    def start_servers(self):
        self.admin_port = free_port()
        server = ServerProcess("--max-connections", "1", "--admin-address", f"127.0.0.1:{self.admin_port}")
        self.addCleanup(server.stop)
        return [server]

    def metrics(self):
        return scrape(self.admin_port)

    async def test_server_full_is_counted(self):
        await self.connect("first")
        with self.assertRaises(InvalidStatusCode) as refused:
            await self.connect("second")
        self.assertEqual(refused.exception.status_code, 503)
        self.assertEqual(self.metrics().value("presence_connections_refused_total", reason="server_full"), 1)


class LimitsHit(Operations):

    SERVER_ARGS = ("--max-channels-per-member", "1")

    async def test_a_limit_hit_is_counted_with_its_error(self):
        a = await self.joined("alice")
        await a.subscribe("one")
        before = self.metrics()
        await a.send(a.request("sgc@presence@channel@member@new", channel="two"))
        answer = await a.recv()
        self.assertEqual(answer["error"]["code"], 42, answer)
        after = self.metrics()
        self.assert_deltas(before, after, {"presence_limits_hit_total": 1}, limit="channels_per_member")
        self.assert_deltas(before, after, {"presence_errors_total": 1}, code="42")


class AckResends(Operations):

    SERVER_ARGS = ("--ack", "--ack-interval", "0.1", "--ack-timeout", "0.2", "--ack-retries", "1")

    def after_the_drop(self):
        m = self.metrics()
        return m if m.value("presence_ack_dropped_total") == 1 else None

    async def test_a_frame_never_acknowledged_is_resent_then_dropped(self):
        c = await self.connect("silent", read_session=False)
        first = await c.recv_raw()
        self.assertEqual(await c.recv_raw(), first, "the re-sent session frame")
        m = await eventually(self.after_the_drop, "the unacknowledged frame dropped")
        self.assertEqual(m.value("presence_ack_resends_total"), 1)


class SlowConsumer(Operations):

    SERVER_ARGS = ("--admin-api-key", KEY, "--max-send-queue-bytes", "1000")

    async def test_a_connection_closed_for_a_full_queue_is_counted(self):
        a = await self.joined("alice")
        self.assertEqual(api(self.port, "POST", "/api/publish", {"text": "x" * 2000})[0], 200)
        await a.expect_closed(1008)
        self.assertEqual(self.metrics().value("presence_slow_consumer_drops_total"), 1)


class AdminAddress(Operations):
    """/metrics and the API on an address of their own; the main port keeps the rest."""

    def start_servers(self):
        self.admin_port = free_port()
        server = ServerProcess("--admin-api-key", KEY, "--admin-address", f"127.0.0.1:{self.admin_port}")
        self.addCleanup(server.stop)
        return [server]

    async def test_metrics_and_api_move_to_the_admin_address(self):
        a = await self.joined("alice")
        m = scrape(self.admin_port)
        self.assertEqual(m.value("presence_connections", namespace=""), 1)
        self.assertEqual(api(self.admin_port, "GET", "/api/members")[::2],
                         (200, {"members": [a.member], "total": 1}))
        for port in (self.admin_port, self.port):
            for path in ("/healthz", "/readyz"):
                self.assertEqual(request(port, "GET", path)[0], 200, (port, path))
        self.assertEqual(request(self.port, "GET", "/metrics")[0], 404)
        self.assert_api_error(api(self.port, "GET", "/api/info"), 404)
        self.assertEqual(request(self.port, "GET", "/")[0], 200)
        for path in ("/", "/presence.js"):
            self.assertEqual(request(self.admin_port, "GET", path)[0], 404, path)
        await a.barrier()

    async def test_no_websocket_on_the_admin_address(self):
        with self.assertRaises(InvalidStatusCode) as refused:
            await websockets.connect(f"ws://127.0.0.1:{self.admin_port}/", subprotocols=[PROTOCOL],
                                     open_timeout=TIMEOUT)
        self.assertEqual(refused.exception.status_code, 404)


class BadAdminAddress(unittest.TestCase):

    def test_the_server_refuses_to_start(self):
        for address in ("nonsense", "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", "localhost:9090",
                        "127.0.0.1:x"):
            done = subprocess.run([server_path(), "--port", "0", "--admin-address", address],
                                  capture_output=True, timeout=START_TIMEOUT, stdin=subprocess.DEVNULL)
            self.assertNotEqual(done.returncode, 0, address)
            self.assertIn(b"admin address", done.stderr, address)


class PublishToWriteOnTwoNodes(Operations):
    """With Redis, each node times the writes to its own members: a publish from another
    node from the moment it arrives."""

    def start_servers(self):
        return cluster_harness.start_deployment(self, 2, ("--admin-api-key", KEY))

    async def test_each_node_times_the_writes_to_its_members(self):
        a = await self.joined("alice", node=0)
        b = await self.joined("bob", others=[a], node=1)
        c = await self.joined("carol", others=[a, b], node=1)
        for x in (a, b, c):
            await x.barrier()
        timed = "presence_publish_to_write_seconds_count"
        self.assertEqual([scrape(s.port).value(timed) for s in self.servers], [0, 0])

        texts = [f"message {i}" for i in range(3)]
        for text in texts:
            await a.send(a.request(PUBLISH, channel="", text=text))
        for x in (a, b, c):
            for text in texts:
                await x.expect(frame(PUBLISH, member=a.member, channel="", text=text))
        expected = [len(texts), 2 * len(texts)]
        await eventually(lambda: all(scrape(s.port).value(timed) >= n for s, n in zip(self.servers, expected)),
                         f"{expected} timed writes")
        for x in (a, b, c):
            await x.barrier()
        self.assertEqual([scrape(s.port).value(timed) for s in self.servers], expected)


class ConnectionLog(PresenceTestCase):
    """A failure of one connection is logged (at debug) with the client's address and port,
    and its member id once it has joined: as key=value after the message in text."""

    MAX_MESSAGE = 1024
    SERVER_ARGS = ("--log-level", "debug", "--max-message-bytes", str(MAX_MESSAGE))

    def entry(self, client):
        """The log entry about `client`'s failure, once there is one: what follows its
        session id."""
        prefix = f" debug connection {client.session_id}: "
        for line in self.server.stderr_text().splitlines():
            if prefix in line:
                return line.split(prefix, 1)[1]
        return None

    def fields(self, entry):
        return dict(re.findall(r" (\w+)=(\S+)", entry))

    async def fields_of_failure(self, client):
        return self.fields(await eventually(lambda: self.entry(client), "the entry about the close"))

    def address_of(self, client):
        host, port = client.ws.local_address[:2]
        return f"{host}:{port}"

    async def test_a_member_closed_for_a_frame_over_the_limit(self):
        x = await self.joined("alice")
        await x.send_raw("x" * (self.MAX_MESSAGE + 1))
        await x.expect_closed(1009)
        self.assertEqual(await self.fields_of_failure(x), {"address": self.address_of(x), "member": x.session_id})

    async def test_a_connection_that_has_not_joined_has_no_member(self):
        z = await self.connect("z")
        await z.send_text_bytes(b'{"jsonrpc":"2.0","method":"\xff\xfe"}')
        await z.expect_closed(1007)
        self.assertEqual(await self.fields_of_failure(z), {"address": self.address_of(z)})


class ConnectionLogJson(ConnectionLog):
    """The same entries in JSON: the address and the member are members of their own."""

    SERVER_ARGS = ConnectionLog.SERVER_ARGS + ("--log-format", "json")

    def entry(self, client):
        for line in self.server.stderr_text().splitlines():
            entry = json.loads(line) if line.startswith("{") else {"message": ""}
            if entry["message"].startswith(f"connection {client.session_id}: "):
                self.assertEqual(entry["level"], "debug")
                return entry
        return None

    def fields(self, entry):
        return {k: v for k, v in entry.items() if k not in ("time", "level", "message")}


class RedisReadiness(Operations):
    """/readyz follows the Redis engine: 503 while Redis is down, /healthz stays 200."""

    def start_servers(self):
        return cluster_harness.start_deployment(self, 1, ("--admin-api-key", KEY), node_timeout=1)

    def redis_metrics_up(self):
        m = self.metrics()
        return m if m.has("presence_redis_latency_seconds", namespace="") else None

    async def test_redis_down_is_not_ready_and_back_is_ready(self):
        m = await eventually(self.redis_metrics_up, "a timed liveness round trip")
        self.assertEqual(m.types["presence_redis_up"], "gauge")
        self.assertGreaterEqual(m.value("presence_redis_round_trip_seconds_count", namespace=""), 1)
        self.assertEqual(m.value("presence_redis_up", namespace=""), 1)
        latency = m.value("presence_redis_latency_seconds", namespace="")
        self.assertTrue(math.isfinite(latency) and latency >= 0, latency)
        _, _, info = api(self.port, "GET", "/api/info")
        self.assertEqual((info["engine"], info["node_id"]), ("redis", "n1"))

        self.redis.kill()
        body = await cluster_harness.await_ready(self.server, 503)
        self.assertEqual(body["status"], "degraded")
        self.assertIn("Redis", body["problem"])
        self.assertEqual(cluster_harness.healthz(self.server), (200, {"status": "ok", "connections": 0}))
        m = self.metrics()
        self.assertEqual(m.value("presence_redis_up", namespace=""), 0)
        self.assertFalse(m.has("presence_redis_latency_seconds", namespace=""))

        self.redis.restart()
        self.assertEqual(await cluster_harness.await_ready(self.server, 200), {"status": "ok", "connections": 0})
        self.assertEqual(self.metrics().value("presence_redis_up", namespace=""), 1)


if __name__ == "__main__":
    unittest.main()
