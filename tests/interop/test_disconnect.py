# SPDX-License-Identifier: Apache-2.0
"""7. Leaving: closing the socket, and explicit member@remove."""

import unittest

from presence_harness import (
    CHANNEL_MEMBER_REMOVE, GET_MEMBERS, MEMBER_NEW, MEMBER_REMOVE, PUBLISH, SEND_MEMBERS,
    PresenceTestCase, frame)


class Disconnect(PresenceTestCase):

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.a = await self.joined("alice", "a-info")
        self.b = await self.joined("bob", others=[self.a])
        self.c = await self.joined("carol", others=[self.a, self.b])
        for ch in ("r1", "r2"):
            await self.a.subscribe(ch)
            await self.b.subscribe(ch, others=[self.a])
        await self.c.subscribe("r3")

    async def test_closing_the_socket_announces_channel_removes_then_member_remove(self):
        a, b, c = self.a, self.b, self.c
        await a.close()
        self.clients.remove(a)
        # bob shares r1 and r2 with alice: one channel@member@remove each (any order),
        # then member@remove.
        await b.expect_set([frame(CHANNEL_MEMBER_REMOVE, member=a.member, channel="r1"),
                            frame(CHANNEL_MEMBER_REMOVE, member=a.member, channel="r2")])
        await b.expect(frame(MEMBER_REMOVE, member=a.member))
        # carol shares no channel: member@remove only.
        await c.expect(frame(MEMBER_REMOVE, member=a.member))
        await b.barrier()
        await c.barrier()
        await b.send(b.request(GET_MEMBERS, channel="r1"))
        await b.expect(frame(SEND_MEMBERS, member=b.member, channel="r1", members=[b.member]))

    async def test_member_remove_announces_the_same_and_keeps_the_connection(self):
        a, b, c = self.a, self.b, self.c
        await a.send(frame(MEMBER_REMOVE, member=a.member))
        for x in (a, b):
            await x.expect_set([frame(CHANNEL_MEMBER_REMOVE, member=a.member, channel="r1"),
                                frame(CHANNEL_MEMBER_REMOVE, member=a.member, channel="r2")])
            await x.expect(frame(MEMBER_REMOVE, member=a.member))
        await c.expect(frame(MEMBER_REMOVE, member=a.member))
        for x in (a, b, c):
            await x.barrier()
        # alice is no member any more, yet still connected ...
        answer = await a.barrier()
        self.assertEqual(answer["error"]["code"], 3)
        # ... and may join again, with the same session id, starting in no channel.
        await a.send(frame(MEMBER_NEW, member={"id": a.session_id, "name": "alice2", "info": ""}))
        announce = frame(MEMBER_NEW, member={"id": a.session_id, "name": "alice2", "info": ""})
        for x in (a, b, c):
            await x.expect(announce)
        a.member = announce["member"]
        await b.send(b.request(GET_MEMBERS, channel="r1"))
        await b.expect(frame(SEND_MEMBERS, member=b.member, channel="r1", members=[b.member]))
        await a.send(a.request(PUBLISH, channel="", text="back"))
        for x in (a, b, c):
            await x.expect(frame(PUBLISH, member=a.member, channel="", text="back"))

    async def test_member_remove_without_a_member_object(self):
        a, b, c = self.a, self.b, self.c
        await c.send(frame(MEMBER_REMOVE))
        await c.expect(frame(CHANNEL_MEMBER_REMOVE, member=c.member, channel="r3"))
        for x in (c, a, b):
            await x.expect(frame(MEMBER_REMOVE, member=c.member))

    async def test_closing_an_unjoined_socket_announces_nothing(self):
        a = self.a
        d = await self.connect("d")
        await d.close()
        self.clients.remove(d)
        # Leave a mark after d's departure: a later member joining.
        await self.joined("erin", others=[self.b, self.c, a])
        await a.barrier()


if __name__ == "__main__":
    unittest.main()
