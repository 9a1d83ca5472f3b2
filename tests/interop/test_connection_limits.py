# SPDX-License-Identifier: Apache-2.0
"""Connection limits, checked at the accept: over the server's, HTTP 503; over one
address's, HTTP 429. A connection's slot is free again once it ends, closed, or lost
without a member that may resume (test_transport.py covers those)."""

import http.client
import time
import unittest

from websockets.exceptions import InvalidStatusCode

from presence_harness import MEMBER_REMOVE, TIMEOUT, PresenceTestCase, frame
from test_limits import logged


class Limits(PresenceTestCase):

    async def expect_refused(self, status, body):
        with self.assertRaises(InvalidStatusCode) as refused:
            await self.connect("refused")
        self.assertEqual(refused.exception.status_code, status)
        self.assertEqual(self.upgrade_by_hand(), (status, body))

    def upgrade_by_hand(self):
        """The status and body of a refused upgrade (the WebSocket client shows no body)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=TIMEOUT)
        try:
            connection.request("GET", "/", headers={
                "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    async def connect_once_free(self, name):
        """A connection, retried while the server still counts the one that just ended."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                return await self.connect(name)
            except InvalidStatusCode as refused:
                self.assertEqual(refused.status_code, 503)
                if time.monotonic() > deadline:
                    raise AssertionError(f"no free slot within {TIMEOUT}s") from refused


class ServerLimit(Limits):

    SERVER_ARGS = ("--max-connections", "2")

    async def test_over_the_limit_the_server_is_full_until_a_connection_ends(self):
        a = await self.joined("alice")
        b = await self.joined("bob", others=[a])
        await self.expect_refused(503, b"server full\n")
        await b.close()
        self.clients.remove(b)
        await a.expect(frame(MEMBER_REMOVE, member=b.member))
        c = await self.connect_once_free("carol")
        await c.join("carol", others=[a])
        await self.expect_refused(503, b"server full\n")
        # A lost connection (no closing handshake) frees its slot as well.
        c.ws.transport.abort()
        self.clients.remove(c)
        await a.expect(frame(MEMBER_REMOVE, member=c.member))
        d = await self.connect_once_free("dave")
        await d.barrier()
        await a.barrier()


class AddressLimit(Limits):

    SERVER_ARGS = ("--max-connections-per-address", "1")

    async def test_a_second_connection_from_the_same_address_is_refused(self):
        a = await self.joined("alice")
        await self.expect_refused(429, b"too many connections from this address\n")
        await a.barrier()
        await logged(self.server, "connections refused: too many from one address")


if __name__ == "__main__":
    unittest.main()
