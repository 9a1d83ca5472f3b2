# SPDX-License-Identifier: Apache-2.0
"""4. get@members / send@members."""

import unittest

from presence_harness import (
    ERROR_MEMBER_CHANNEL, GET_MEMBERS, SEND_MEMBERS, PresenceTestCase, frame, sgc_error)


def by_id(members):
    return sorted(members, key=lambda m: m["id"])


class GetMembers(PresenceTestCase):

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.a = await self.joined("alice", "a-info")
        self.b = await self.joined("bob", "b\r\ninfo", others=[self.a])
        self.c = await self.joined("carol", others=[self.a, self.b])
        self.unjoined = await self.connect("not-a-member")
        await self.a.subscribe("room")
        await self.c.subscribe("room", others=[self.a])

    def check_answer(self, got, requester, channel, members):
        self.assertEqual(list(got.keys()), ["jsonrpc", "method", "member", "channel", "members"])
        self.assertEqual(got["jsonrpc"], "2.0")
        self.assertEqual(got["method"], SEND_MEMBERS)
        self.assertEqual(got["member"], requester.member)
        self.assertEqual(got["channel"], {"name": channel})
        for m in got["members"]:
            self.assertEqual(list(m.keys()), ["id", "name", "info"])
        self.assertEqual(by_id(got["members"]), by_id([x.member for x in members]))

    async def test_all_members(self):
        a, b, c = self.a, self.b, self.c
        await b.send(b.request(GET_MEMBERS, channel=""))
        self.check_answer(await b.recv(), b, "", [a, b, c])
        await a.barrier()
        await c.barrier()

    async def test_all_members_without_a_channel_object(self):
        a, b, c = self.a, self.b, self.c
        await a.send(frame(GET_MEMBERS, member=a.member))
        self.check_answer(await a.recv(), a, "", [a, b, c])

    async def test_members_of_a_channel(self):
        a, b, c = self.a, self.b, self.c
        await b.send(b.request(GET_MEMBERS, channel="room"))
        self.check_answer(await b.recv(), b, "room", [a, c])
        await a.barrier()
        await c.barrier()

    async def test_members_of_a_channel_that_does_not_exist_is_error_5(self):
        b = self.b
        await b.send(b.request(GET_MEMBERS, channel="nowhere"))
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member=b.member, channel="nowhere",
                             error=sgc_error(5)))


if __name__ == "__main__":
    unittest.main()
