# SPDX-License-Identifier: Apache-2.0
"""2. Channels: subscribe / unsubscribe."""

import unittest

from presence_harness import (
    CHANNEL_MEMBER_NEW, CHANNEL_MEMBER_REMOVE, ERROR_MEMBER_CHANNEL, GET_MEMBERS,
    INVALID_PARAMS, SEND_MEMBERS, PresenceTestCase, frame, sgc_error)


class Channels(PresenceTestCase):

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.a = await self.joined("alice")
        self.b = await self.joined("bob", others=[self.a])
        self.c = await self.joined("carol", others=[self.a, self.b])

    async def test_subscribe_is_announced_to_the_channels_members_only(self):
        a, b, c = self.a, self.b, self.c
        await a.send(a.request(CHANNEL_MEMBER_NEW, channel="room"))
        await a.expect(frame(CHANNEL_MEMBER_NEW, member=a.member, channel="room"))
        await b.send(b.request(CHANNEL_MEMBER_NEW, channel="room"))
        announce = frame(CHANNEL_MEMBER_NEW, member=b.member, channel="room")
        await b.expect(announce)
        await a.expect(announce)
        for x in (a, b, c):
            await x.barrier()

    async def test_subscribe_without_a_member_object_acts_as_the_connection(self):
        a, b = self.a, self.b
        await a.subscribe("room")
        await b.send(frame(CHANNEL_MEMBER_NEW, channel="room"))
        announce = frame(CHANNEL_MEMBER_NEW, member=b.member, channel="room")
        await b.expect(announce)
        await a.expect(announce)

    async def test_duplicate_subscribe_is_error_11(self):
        a, b = self.a, self.b
        await a.subscribe("room")
        await b.subscribe("room", others=[a])
        await a.send(a.request(CHANNEL_MEMBER_NEW, channel="room"))
        await a.expect(frame(ERROR_MEMBER_CHANNEL, member=a.member, channel="room",
                             error=sgc_error(11)))
        await b.barrier()
        await a.barrier()

    async def test_subscribe_without_a_channel_name_is_invalid_params(self):
        a = self.a
        await a.send(a.request(CHANNEL_MEMBER_NEW, channel=""))
        got = await a.recv()
        self.assertEqual(got["method"], ERROR_MEMBER_CHANNEL)
        self.assertEqual(got["error"]["code"], INVALID_PARAMS)
        self.assertIsInstance(got["error"]["text"], str)
        self.assertEqual(got["member"], a.member)

    async def test_unsubscribe_is_announced_to_the_channels_members_only_including_the_leaver(self):
        a, b, c = self.a, self.b, self.c
        await a.subscribe("room")
        await b.subscribe("room", others=[a])
        await c.subscribe("elsewhere")
        await b.send(b.request(CHANNEL_MEMBER_REMOVE, channel="room"))
        announce = frame(CHANNEL_MEMBER_REMOVE, member=b.member, channel="room")
        await b.expect(announce)
        await a.expect(announce)
        for x in (a, b, c):
            await x.barrier()
        # bob has left: the channel now holds alice only.
        await a.send(a.request(GET_MEMBERS, channel="room"))
        await a.expect(frame(SEND_MEMBERS, member=a.member, channel="room", members=[a.member]))

    async def test_unsubscribe_of_a_channel_not_joined_is_error_12(self):
        a, b = self.a, self.b
        await a.subscribe("room")
        await b.send(b.request(CHANNEL_MEMBER_REMOVE, channel="room"))
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member=b.member, channel="room",
                             error=sgc_error(12)))
        await a.barrier()

    async def test_unsubscribe_of_a_channel_that_does_not_exist_is_error_5(self):
        a = self.a
        await a.send(a.request(CHANNEL_MEMBER_REMOVE, channel="nowhere"))
        await a.expect(frame(ERROR_MEMBER_CHANNEL, member=a.member, channel="nowhere",
                             error=sgc_error(5)))
        await self.b.barrier()

    async def test_an_emptied_channel_is_freed(self):
        a, b = self.a, self.b
        await a.subscribe("room")
        await a.send(a.request(GET_MEMBERS, channel="room"))
        await a.expect(frame(SEND_MEMBERS, member=a.member, channel="room", members=[a.member]))
        await a.send(a.request(CHANNEL_MEMBER_REMOVE, channel="room"))
        await a.expect(frame(CHANNEL_MEMBER_REMOVE, member=a.member, channel="room"))
        await b.send(b.request(GET_MEMBERS, channel="room"))
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member=b.member, channel="room",
                             error=sgc_error(5)))
        # Unsubscribing again now finds no channel at all.
        await a.send(a.request(CHANNEL_MEMBER_REMOVE, channel="room"))
        await a.expect(frame(ERROR_MEMBER_CHANNEL, member=a.member, channel="room",
                             error=sgc_error(5)))
        # And the next subscriber creates it afresh.
        await b.subscribe("room")
        await b.send(b.request(GET_MEMBERS, channel="room"))
        await b.expect(frame(SEND_MEMBERS, member=b.member, channel="room", members=[b.member]))


if __name__ == "__main__":
    unittest.main()
