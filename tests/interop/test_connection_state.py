# SPDX-License-Identifier: Apache-2.0
"""What the server holds for one connection is bounded (docs/security.md): the id of a
request has a maximum length, and a client that reads but never acknowledges is closed
once what waits for its acknowledgment fills the connection's budget."""

import unittest

from websockets.exceptions import ConnectionClosed

from presence_harness import (
    ERROR_MEMBER_CHANNEL, GET_MEMBERS, MEMBER_NEW, PUBLISH, PresenceTestCase, ack_frame, frame,
    sgc_error)


class RequestIds(PresenceTestCase):

    async def test_an_id_longer_than_64_bytes_is_refused_and_not_acknowledged(self):
        c = await self.connect("c")
        nobody = {"id": c.session_id, "name": "", "info": ""}
        await c.send(frame(GET_MEMBERS, channel="", id="i" * 64))
        await c.expect(ack_frame("i" * 64))
        await c.expect(frame(ERROR_MEMBER_CHANNEL, member=nobody, channel="", error=sgc_error(3)))
        await c.send(frame(GET_MEMBERS, channel="", id="i" * 65))
        await c.expect(frame(ERROR_MEMBER_CHANNEL, member=nobody, channel="",
                             error={"code": -32602, "text": "id is longer than 64 bytes"}))
        await c.barrier()


class Unacknowledged(PresenceTestCase):

    SERVER_ARGS = ("--ack", "--max-connection-state-bytes", "65536")

    async def joined_with_ack(self, name):
        c = await self.connect(name)
        await c.send(frame(MEMBER_NEW, member={"id": c.session_id, "name": name}))
        joined = await c.recv()
        self.assertEqual(joined["method"], MEMBER_NEW)
        c.member = {"id": c.session_id, "name": name, "info": ""}
        return c, joined["id"]

    async def test_a_client_that_never_acknowledges_is_closed_at_its_budget(self):
        c, _ = await self.joined_with_ack("reader")
        try:
            for _ in range(10):
                await c.send(c.request(PUBLISH, channel="", text="x" * 10000))
        except ConnectionClosed:
            pass  # closed before the last ones went out
        frames = await c.expect_closed(1008)
        self.assertLess(sum(1 for f in frames if f.get("method") == PUBLISH), 7)
        self.assertIn("not acknowledging", c.ws.close_reason)
        await self.assert_serving()

    async def test_a_client_that_acknowledges_stays(self):
        c, first = await self.joined_with_ack("reader")
        await c.send(ack_frame(first))
        for _ in range(20):
            await c.send(c.request(PUBLISH, channel="", text="x" * 10000))
            echo = await c.recv()
            self.assertEqual(echo["method"], PUBLISH)
            await c.send(ack_frame(echo["id"]))
        await c.send(frame(GET_MEMBERS, channel="", id="last"))
        await c.expect(ack_frame("last"))
        answer = await c.recv()
        self.assertEqual(len(answer["members"]), 1)


if __name__ == "__main__":
    unittest.main()
