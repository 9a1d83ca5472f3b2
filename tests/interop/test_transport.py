# SPDX-License-Identifier: Apache-2.0
"""The transport's limits over raw sockets (raw_websocket.py) and Python `websockets`
(docs/security.md): a slow consumer leaves at once and its socket is closed soon after;
every accepted socket counts against the connection limits, idle HTTP connections time
out, and so do members lost while they may resume; a request header over its limit is
answered; out of file descriptors, the server tells a client so and recovers."""

import asyncio
import http.client
import json
import re
import resource
import socket
import time
import unittest

import websockets
from websockets.exceptions import InvalidStatusCode

from presence_harness import (
    CHANNEL_MEMBER_NEW, HELLO, MEMBER_NEW, MEMBER_REMOVE, PROTOCOL, SERVER_FEATURES, TIMEOUT,
    SANITIZER_MARKERS, Client, PresenceTestCase, ServerProcess, frame)
from raw_websocket import RawWebSocket, wait_until
from test_operations_http import KEY, api
from test_rfc6455 import assert_server_well

RESUME_TOKEN = "ext@presence@resume@token"


def drain_to_end(ws):
    """Reads and drops what the server sent until it ends the connection (bounded)."""
    deadline = time.monotonic() + TIMEOUT
    ws.sock.settimeout(TIMEOUT)
    try:
        while ws.sock.recv(1 << 20):
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not end the connection within {TIMEOUT}s")
    except ConnectionResetError:
        pass


def http_get(port, path="/healthz", headers=(), source="127.0.0.1"):
    """(status, headers, body) of one GET on a new connection from `source`."""
    connection = RawWebSocket(port, source=source)
    try:
        lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
        connection.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        return connection.read_http_response()
    finally:
        connection.close()


class Stalled(PresenceTestCase):
    """Without heartbeats, nothing but the close itself can end a client that stopped
    reading."""

    SERVER_ARGS = ("--heartbeat-interval", "0", "--close-timeout", "0.5", "--admin-api-key", KEY)

    async def stalled(self, observer, publishes):
        """A raw client that joined, subscribed to "flood" and reads nothing, sent
        `publishes` messages of 60 kB there (fewer if the server drops it first)."""
        slow = RawWebSocket(self.server.port, receive_buffer=4096)
        self.addCleanup(slow.close)
        slow.open()
        member = {"id": slow.session_id, "name": "slow", "info": ""}
        slow.send_text(json.dumps(frame(MEMBER_NEW, member=member)))
        await observer.expect(frame(MEMBER_NEW, member=member))
        slow.send_text(json.dumps(frame(CHANNEL_MEMBER_NEW, member={"id": slow.session_id}, channel="flood")))
        await asyncio.to_thread(self.flood, publishes)
        return slow, member

    def flood(self, publishes):
        """Publishes to "flood" through the admin API, on one keep-alive connection."""
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=TIMEOUT)
        body = json.dumps({"text": "x" * 60000, "channel": "flood"})
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        reached = 0
        try:
            while reached < publishes:
                connection.request("POST", "/api/publish", body, headers)
                response = connection.getresponse()
                answer = json.loads(response.read())
                self.assertEqual(response.status, 200, answer)
                if answer["members"] == 0 and reached > 0:
                    return  # dropped
                reached += answer["members"]
        finally:
            connection.close()


class SlowConsumer(Stalled):

    SERVER_ARGS = Stalled.SERVER_ARGS + ("--max-send-queue-bytes", "65536")

    async def test_a_slow_consumer_is_closed_within_the_close_timeout(self):
        observer = await self.joined("observer")
        slow, member = await self.stalled(observer, 500)
        await observer.expect(frame(MEMBER_REMOVE, member=member))
        # Its close frame cannot get through, yet its socket ends, whatever it still holds.
        await asyncio.to_thread(drain_to_end, slow)


class SlowConsumerLeaves(Stalled):
    """A close timeout far longer than the test's: only the departure at the close can
    come in time."""

    SERVER_ARGS = ("--heartbeat-interval", "0", "--close-timeout", "600", "--admin-api-key", KEY,
                   "--max-send-queue-bytes", "65536")

    async def test_a_slow_consumer_leaves_at_once(self):
        observer = await self.joined("observer")
        _, member = await self.stalled(observer, 500)
        await observer.expect(frame(MEMBER_REMOVE, member=member))
        await observer.barrier()


class StuckWrite(Stalled):

    SERVER_ARGS = Stalled.SERVER_ARGS + ("--max-send-queue-bytes", str(64 << 20))

    async def test_a_close_behind_a_stuck_write_still_ends_the_connection(self):
        observer = await self.joined("observer")
        slow, member = await self.stalled(observer, 40)
        status, _, answer = await asyncio.to_thread(
            api, self.server.port, "POST", "/api/disconnect", {"id": slow.session_id})
        self.assertEqual((status, answer), (200, {"disconnected": True}))
        await observer.expect(frame(MEMBER_REMOVE, member=member))
        # Reading now lets the writes through and the close frame comes last; the client
        # never answers it, and the server ends the connection at its close timeout.
        await asyncio.to_thread(drain_to_end, slow)


class EveryConnectionCounts(unittest.TestCase):

    def setUp(self):
        self.server = ServerProcess("--max-connections-per-address", "2")
        self.addCleanup(self.server.stop)
        self.addCleanup(assert_server_well, self, self.server)

    def raw(self):
        ws = RawWebSocket(self.server.port)
        self.addCleanup(ws.close)
        return ws

    def test_connections_that_never_upgrade_count(self):
        self.raw()
        self.raw()
        status, headers, body = self.raw().upgrade()
        self.assertEqual(status, 429)
        self.assertEqual(body, b"too many connections from this address\n")
        self.assertEqual(headers.get("connection"), "close")

    def test_idle_keep_alive_connections_count_until_they_close(self):
        held = []
        for _ in range(2):
            ws = self.raw()
            ws.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(ws.read_http_response()[0], 200)
            held.append(ws)
        self.assertEqual(http_get(self.server.port)[0], 429)
        held[0].close()
        # Its slot is free once the server has seen it go.
        wait_until(lambda: http_get(self.server.port)[0] == 200, "a free slot")

    def test_another_address_has_its_own_count(self):
        self.raw()
        self.raw()
        self.assertEqual(http_get(self.server.port, source="127.0.0.2")[0], 200)


class AdminAddress(unittest.TestCase):

    def test_a_full_server_still_answers_on_the_admin_address(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            admin_port = s.getsockname()[1]
        server = ServerProcess("--max-connections", "1", "--admin-address", f"127.0.0.1:{admin_port}")
        self.addCleanup(server.stop)
        self.addCleanup(assert_server_well, self, server)
        ws = RawWebSocket(server.port)
        self.addCleanup(ws.close)
        ws.open()
        status, _, body = http_get(server.port)
        self.assertEqual((status, body), (503, b"server full\n"))
        self.assertEqual(http_get(admin_port)[0], 200)


class IdleHttp(unittest.TestCase):

    def setUp(self):
        self.server = ServerProcess("--http-timeout", "0.3")
        self.addCleanup(self.server.stop)
        self.addCleanup(assert_server_well, self, self.server)

    def test_a_connection_that_sends_nothing_is_closed(self):
        ws = RawWebSocket(self.server.port)
        self.addCleanup(ws.close)
        ws.expect_end()

    def test_an_idle_keep_alive_connection_is_closed(self):
        ws = RawWebSocket(self.server.port)
        self.addCleanup(ws.close)
        ws.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(ws.read_http_response()[0], 200)
        ws.expect_end()

    def test_a_header_sent_too_slowly_is_cut_off(self):
        ws = RawWebSocket(self.server.port)
        self.addCleanup(ws.close)
        ws.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        ws.expect_end()


class LostMembersCount(PresenceTestCase):
    """A lost member that may resume holds its connection's place until it resumes or ends.
    The test's other clients come from 127.0.0.2 and 127.0.0.3: addresses of their own."""

    SERVER_ARGS = ("--max-connections-per-address", "1", "--resume-grace", "1")

    async def connect_from(self, source, name):
        ws = await asyncio.wait_for(websockets.connect(
            self.server.url, subprotocols=[PROTOCOL], open_timeout=TIMEOUT, close_timeout=TIMEOUT,
            ping_interval=None, max_size=None, local_addr=(source, 0)), TIMEOUT)
        c = Client(self, ws, name, self.server)
        self.clients.append(c)
        await c.read_session()
        return c

    def attached(self):
        status, _, body = http_get(self.server.port, source="127.0.0.3")
        self.assertEqual(status, 200, body)
        return json.loads(body)["connections"]

    async def test_a_lost_member_counts_until_its_grace_ends(self):
        observer = await self.connect_from("127.0.0.2", "observer")
        await observer.join("observer")
        a = await self.connect("ann")
        await a.send(frame(HELLO, text="resume"))
        await a.expect(frame(HELLO, text=SERVER_FEATURES))
        self.assertEqual((await a.recv())["method"], RESUME_TOKEN)
        await a.join("ann", others=[observer])
        a.ws.transport.abort()
        self.clients.remove(a)
        await asyncio.to_thread(wait_until, lambda: self.attached() == 1, "ann lost")
        with self.assertRaises(InvalidStatusCode) as refused:
            await self.connect("bob")
        self.assertEqual(refused.exception.status_code, 429)
        # Once ann's grace is over she leaves, and her place is free.
        await observer.expect(frame(MEMBER_REMOVE, member=a.member))
        b = await self.connect("bob")
        await b.barrier()


class LargeHeaders(unittest.TestCase):

    def setUp(self):
        self.server = ServerProcess("--max-header-bytes", "4096")
        self.addCleanup(self.server.stop)
        self.addCleanup(assert_server_well, self, self.server)

    def test_a_request_line_over_the_limit_gets_414(self):
        status, headers, body = http_get(self.server.port, "/healthz?token=" + "t" * 5000)
        self.assertEqual(status, 414)
        self.assertEqual(body, b"the request line is longer than 4096 bytes\n")
        self.assertEqual(headers.get("connection"), "close")

    def test_a_header_over_the_limit_gets_431(self):
        status, _, body = http_get(self.server.port, headers=["Authorization: Bearer " + "t" * 5000])
        self.assertEqual(status, 431)
        self.assertEqual(body, b"the request header is larger than 4096 bytes\n")

    def test_an_upgrade_with_a_long_token_is_answered_too(self):
        ws = RawWebSocket(self.server.port)
        self.addCleanup(ws.close)
        status, _, _ = ws.upgrade(target="/?token=" + "t" * 5000)
        self.assertEqual(status, 414)


class DefaultHeaderLimit(unittest.TestCase):

    def setUp(self):
        self.server = ServerProcess()
        self.addCleanup(self.server.stop)
        self.addCleanup(assert_server_well, self, self.server)

    def test_a_token_of_8_kib_fits_in_the_url_or_a_header(self):
        for place in ("url", "header"):
            with self.subTest(place=place):
                ws = RawWebSocket(self.server.port)
                self.addCleanup(ws.close)
                token = "t" * 8192
                if place == "url":
                    status, _, _ = ws.upgrade(target="/?token=" + token)
                else:
                    status, _, _ = ws.upgrade(extra_headers=["Authorization: Bearer " + token])
                self.assertEqual(status, 101)

    def test_over_16_kib_the_answer_is_431(self):
        status, _, body = http_get(self.server.port, headers=["Cookie: " + "c" * 17000])
        self.assertEqual(status, 431)
        self.assertEqual(body, b"the request header is larger than 16384 bytes\n")


FALSE_VPTR_REPORT = (r"[^\n]*: runtime error: member (?:call on|access within) address 0x[0-9a-f]+ "
                     r"which does not point to an object of type '[^']+'\n"
                     r"0x[0-9a-f]+: note: object has invalid vptr\n<memory cannot be printed>\n")


class OutOfDescriptors(unittest.TestCase):
    """A server whose descriptor table is full: a new client is told so (503), and once
    descriptors are free again the server serves as before."""

    LIMIT = 48

    def setUp(self):
        limit = self.LIMIT
        self.server = ServerProcess(
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit)))
        self.addCleanup(self.server.stop)
        self.addCleanup(self.assert_server_well)

    def assert_server_well(self):
        """As everywhere, but for the one report a sanitized server makes falsely here:
        UndefinedBehaviorSanitizer checks a virtual call by probing memory through a pipe of
        its own, and with no descriptor left that probe fails, so every virtual call looks
        like one on a wild pointer ("invalid vptr", "memory cannot be printed")."""
        self.assertTrue(self.server.alive(), self.server.stderr_text())
        text = re.sub(FALSE_VPTR_REPORT, "", self.server.stderr_text())
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, text)

    def test_a_client_is_told_and_the_server_recovers(self):
        held = []
        self.addCleanup(lambda: [ws.close() for ws in held])
        refusal = None
        for _ in range(self.LIMIT):
            ws = RawWebSocket(self.server.port)
            held.append(ws)
            ws.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            status, _, body = ws.read_http_response()
            if status == 503:
                refusal = body
                break
            self.assertEqual(status, 200)
        self.assertEqual(refusal, b"server busy: out of file descriptors\n")
        for ws in held:
            ws.close()
        held.clear()
        wait_until(lambda: http_get(self.server.port)[0] == 200, "served again")


if __name__ == "__main__":
    unittest.main()
