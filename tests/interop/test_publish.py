# SPDX-License-Identifier: Apache-2.0
"""3. Publish."""

import unittest

from presence_harness import (
    ERROR_PUBLISH, PUBLISH, PresenceTestCase, frame, sgc_error)


class Publish(PresenceTestCase):

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.a = await self.joined("alice", "a-info")
        self.b = await self.joined("bob", "b-info", others=[self.a])
        self.c = await self.joined("carol", others=[self.a, self.b])
        await self.a.subscribe("room")
        await self.b.subscribe("room", others=[self.a])

    async def test_publish_to_a_channel_reaches_its_members_including_the_sender(self):
        a, b, c = self.a, self.b, self.c
        await a.send(a.request(PUBLISH, channel="room", text="hello room \u00e9\u20ac"))
        msg = frame(PUBLISH, member=a.member, channel="room", text="hello room \u00e9\u20ac")
        await a.expect(msg)
        await b.expect(msg)
        await c.barrier()
        await a.barrier()
        await b.barrier()

    async def test_publish_to_the_empty_channel_reaches_every_member(self):
        a, b, c = self.a, self.b, self.c
        await c.send(c.request(PUBLISH, channel="", text="hello all"))
        msg = frame(PUBLISH, member=c.member, channel="", text="hello all")
        for x in (c, a, b):
            await x.expect(msg)
        for x in (a, b, c):
            await x.barrier()

    async def test_publish_without_a_channel_object_reaches_every_member(self):
        a, b, c = self.a, self.b, self.c
        await b.send(frame(PUBLISH, member=b.member, text="no channel"))
        msg = frame(PUBLISH, member=b.member, channel="", text="no channel")
        for x in (a, b, c):
            await x.expect(msg)

    async def test_publish_of_an_empty_text_is_delivered(self):
        a, b = self.a, self.b
        await a.send(a.request(PUBLISH, channel="room", text=""))
        msg = frame(PUBLISH, member=a.member, channel="room", text="")
        await a.expect(msg)
        await b.expect(msg)

    async def test_publish_to_a_channel_not_subscribed_is_error_12(self):
        a, b, c = self.a, self.b, self.c
        await c.send(c.request(PUBLISH, channel="room", text="let me in"))
        await c.expect(frame(ERROR_PUBLISH, member=c.member, channel="room", text="let me in",
                             error=sgc_error(12)))
        await a.barrier()
        await b.barrier()
        await c.barrier()

    async def test_publish_to_a_channel_that_does_not_exist_is_error_5(self):
        a, b = self.a, self.b
        await a.send(a.request(PUBLISH, channel="nowhere", text="anyone?"))
        await a.expect(frame(ERROR_PUBLISH, member=a.member, channel="nowhere", text="anyone?",
                             error=sgc_error(5)))
        await b.barrier()
        await a.barrier()


if __name__ == "__main__":
    unittest.main()
