# SPDX-License-Identifier: Apache-2.0
"""6. Member identity: a connection acts only as its own member."""

import unittest

from presence_harness import (
    CHANNEL_MEMBER_NEW, CHANNEL_MEMBER_REMOVE, ERROR_MEMBER_CHANNEL, ERROR_PUBLISH,
    GET_MEMBERS, INVITATION, MEMBER_REMOVE, PUBLISH, SEND_MEMBERS, PresenceTestCase, frame,
    sgc_error)


def by_id(members):
    return sorted(members, key=lambda m: m["id"])


class MemberIdentity(PresenceTestCase):

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.a = await self.joined("alice")
        self.b = await self.joined("bob", others=[self.a])
        await self.a.subscribe("room")
        await self.b.subscribe("room", others=[self.a])
        self.as_bob = {"id": self.b.session_id, "name": "bob", "info": ""}

    async def assert_unchanged(self, *others):
        """bob and alice are still members, both in room; bob saw nothing."""
        a, b = self.a, self.b
        await b.barrier()
        await a.send(a.request(GET_MEMBERS, channel="room"))
        got = await a.recv()
        self.assertEqual(got["method"], SEND_MEMBERS)
        self.assertEqual(by_id(got["members"]), by_id([a.member, b.member]))
        await a.send(a.request(GET_MEMBERS, channel=""))
        got = await a.recv()
        self.assertEqual(by_id(got["members"]), by_id([a.member, b.member, *others]))

    async def test_unsubscribe_naming_someone_else_is_error_3(self):
        a = self.a
        await a.send(frame(CHANNEL_MEMBER_REMOVE, member=self.as_bob, channel="room"))
        await a.expect(frame(ERROR_MEMBER_CHANNEL, member=a.member, channel="room",
                             error=sgc_error(3)))
        await self.assert_unchanged()

    async def test_subscribe_naming_someone_else_is_error_3(self):
        a, b = self.a, self.b
        await a.send(frame(CHANNEL_MEMBER_NEW, member=self.as_bob, channel="hall"))
        await a.expect(frame(ERROR_MEMBER_CHANNEL, member=a.member, channel="hall",
                             error=sgc_error(3)))
        await self.assert_unchanged()
        await b.send(b.request(GET_MEMBERS, channel="hall"))
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member=b.member, channel="hall",
                             error=sgc_error(5)))

    async def test_publish_naming_someone_else_is_error_3(self):
        a = self.a
        await a.send(frame(PUBLISH, member=self.as_bob, channel="room", text="I am bob"))
        await a.expect(frame(ERROR_PUBLISH, member=a.member, channel="room", text="I am bob",
                             error=sgc_error(3)))
        await self.assert_unchanged()

    async def test_get_members_naming_someone_else_is_error_3(self):
        a = self.a
        await a.send(frame(GET_MEMBERS, member=self.as_bob, channel=""))
        await a.expect(frame(ERROR_MEMBER_CHANNEL, member=a.member, channel="",
                             error=sgc_error(3)))
        await self.assert_unchanged()

    async def test_invitation_naming_someone_else_as_inviter_is_error_3(self):
        a, b = self.a, self.b
        c = await self.joined("carol", others=[a, b])
        await a.send(frame(INVITATION, member=self.as_bob, channel="room",
                           members=[{"id": c.session_id}]))
        await a.expect(frame(ERROR_MEMBER_CHANNEL, member=a.member, channel="room",
                             error=sgc_error(3)))
        await c.barrier()
        await self.assert_unchanged(c.member)

    async def test_member_remove_naming_someone_else_is_error_3(self):
        a = self.a
        await a.send(frame(MEMBER_REMOVE, member=self.as_bob))
        await a.expect(frame(ERROR_MEMBER_CHANNEL, member=a.member, channel="",
                             error=sgc_error(3)))
        await self.assert_unchanged()


if __name__ == "__main__":
    unittest.main()
