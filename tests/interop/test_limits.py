# SPDX-License-Identifier: Apache-2.0
"""12. Limits: each refuses the offending request with its documented error, and nobody
else sees anything of it (docs/security.md)."""

import asyncio
import time
import unittest

from presence_harness import (
    CHANNEL_MEMBER_NEW, ERROR_MEMBER_CHANNEL, GET_MEMBERS, INVITATION, MEMBER_REMOVE, TIMEOUT,
    TOPOLOGY, PresenceTestCase, frame, sgc_error)


async def logged(server, line):
    """Waits (bounded) for `line` on the server's stderr: refusals are logged as counts by
    a periodic check, not as they happen."""
    deadline = time.monotonic() + TIMEOUT
    while line not in server.stderr_text():
        if time.monotonic() > deadline:
            raise AssertionError(f"not logged: {line!r}; stderr:\n{server.stderr_text()}")
        await asyncio.sleep(0.05)


class RequestRate(PresenceTestCase):

    # A rate this low never refills during a test: the burst is all a connection gets.
    SERVER_ARGS = ("--max-requests-per-second", "0.001", "--request-burst", "3",
                   "--max-invalid-frames", "2")

    def setUp(self):
        if TOPOLOGY == "pair":
            self.skipTest("counts each request of a connection, and the pair's syncs are requests too")
        super().setUp()

    async def test_requests_over_the_rate_get_error_41_and_a_flood_is_closed(self):
        y = await self.joined("observer")                       # y: 1 request
        x = await self.joined("flooder", others=[y])            # x: 1
        for _ in range(2):                                      # x: 2, 3
            await x.send(x.request(GET_MEMBERS, channel=""))
            self.assertEqual((await x.recv())["method"], "sgc@presence@send@members")
        await x.send(x.request(GET_MEMBERS, channel=""))
        await x.expect(frame(ERROR_MEMBER_CHANNEL, member=x.member, channel="",
                             error={"code": 41, "text": "over 0.001 requests per second"}))
        await y.barrier()                                       # y: 2
        await x.send(x.request(GET_MEMBERS, channel=""))        # refused, 2nd in a row
        self.assertEqual((await x.recv())["error"]["code"], 41)
        await x.send(x.request(GET_MEMBERS, channel=""))        # refused, 3rd: closed
        self.assertEqual((await x.recv())["error"]["code"], 41)
        await x.expect_closed(1008)
        await y.expect(frame(MEMBER_REMOVE, member=x.member))  # x's departure, and nothing else
        await y.barrier()                                       # y: 3


class ChannelsPerMember(PresenceTestCase):

    SERVER_ARGS = ("--max-channels-per-member", "2")

    async def test_a_third_channel_gets_error_42(self):
        x = await self.joined("x")
        await x.subscribe("one")
        await x.subscribe("two")
        await x.send(x.request(CHANNEL_MEMBER_NEW, channel="three"))
        await x.expect(frame(ERROR_MEMBER_CHANNEL, member=x.member, channel="three", error=sgc_error(42)))
        await x.barrier()
        await logged(self.server, "limits: 1 subscribes over the channels per member")


class ChannelMembers(PresenceTestCase):

    SERVER_ARGS = ("--max-channel-members", "1")

    async def test_a_full_channel_gets_error_44(self):
        x = await self.joined("x")
        y = await self.joined("y", others=[x])
        await x.subscribe("room")
        await y.send(y.request(CHANNEL_MEMBER_NEW, channel="room"))
        await y.expect(frame(ERROR_MEMBER_CHANNEL, member=y.member, channel="room", error=sgc_error(44)))
        await x.barrier()
        await y.subscribe("lobby")


class InvitationRate(PresenceTestCase):

    SERVER_ARGS = ("--max-invitations-per-minute", "1")

    def setUp(self):
        if TOPOLOGY == "pair":
            self.skipTest("counts each invitation of a member, and the pair's syncs are invitations")
        super().setUp()

    async def test_invitations_over_the_rate_get_error_43_per_invitee(self):
        x = await self.joined("x")
        y = await self.joined("y", others=[x])
        z = await self.joined("z", others=[x, y])
        await x.send(x.request(INVITATION, channel="room",
                               members=[{"id": y.session_id}, {"id": z.session_id}]))
        await x.expect(frame(ERROR_MEMBER_CHANNEL, member=z.member, channel="room", error=sgc_error(43)))
        await y.expect(frame(INVITATION, member=x.member, channel="room"))
        await z.barrier()


class InvitationsPerRequest(PresenceTestCase):

    SERVER_ARGS = ("--max-invitees", "3")

    async def test_an_invitation_naming_too_many_invitees_gets_one_error(self):
        x = await self.joined("x")
        y = await self.joined("y", others=[x])
        await x.send(x.request(INVITATION, channel="room",
                               members=[{"id": y.session_id}] + [{"id": f"nobody-{i}"} for i in range(3)]))
        await x.expect(frame(ERROR_MEMBER_CHANNEL, member=x.member, channel="room",
                             error={"code": -32602, "text": "members[] names more than 3 invitees"}))
        await x.barrier()
        await y.barrier()

    async def test_invitees_that_are_no_members_get_one_error(self):
        x = await self.joined("x")
        y = await self.joined("y", others=[x])
        await x.send(x.request(INVITATION, channel="room",
                               members=[{"id": "nobody-0"}, {"id": y.session_id}, {"id": "nobody-1"}]))
        await y.expect(frame(INVITATION, member=x.member, channel="room"))
        await x.expect(frame(ERROR_MEMBER_CHANNEL, member={"id": "nobody-0", "name": "", "info": ""},
                             channel="room", error=sgc_error(3)))
        await x.barrier()


class InvitationRateCountsEveryInvitee(PresenceTestCase):

    SERVER_ARGS = ("--max-invitations-per-minute", "2")

    def setUp(self):
        if TOPOLOGY == "pair":
            self.skipTest("counts each invitation of a member, and the pair's syncs are invitations")
        super().setUp()

    async def test_invitees_that_are_no_members_use_up_the_rate(self):
        x = await self.joined("x")
        y = await self.joined("y", others=[x])
        await x.send(x.request(INVITATION, channel="room", members=[{"id": "nobody-0"}, {"id": "nobody-1"}]))
        await x.expect(frame(ERROR_MEMBER_CHANNEL, member={"id": "nobody-0", "name": "", "info": ""},
                             channel="room", error=sgc_error(3)))
        await x.send(x.request(INVITATION, channel="room", members=[{"id": y.session_id}]))
        await x.expect(frame(ERROR_MEMBER_CHANNEL, member=y.member, channel="room", error=sgc_error(43)))
        await y.barrier()


class InvitationsReceived(PresenceTestCase):

    SERVER_ARGS = ("--max-invitations-received-per-minute", "2")

    def setUp(self):
        if TOPOLOGY == "pair":
            self.skipTest("counts each invitation of a member, and the pair's syncs are invitations")
        super().setUp()

    async def test_a_member_is_sent_so_many_invitations_at_most(self):
        x = await self.joined("x")
        y = await self.joined("y", others=[x])
        z = await self.joined("z", others=[x, y])
        for inviter, channel in ((x, "one"), (y, "two"), (x, "three")):
            await inviter.send(inviter.request(INVITATION, channel=channel, members=[{"id": z.session_id}]))
            await inviter.barrier()
        await z.expect(frame(INVITATION, member=x.member, channel="one"))
        await z.expect(frame(INVITATION, member=y.member, channel="two"))
        await z.barrier()
        await logged(self.server, "limits: 1 invitations not delivered: the invitee was sent too many")


if __name__ == "__main__":
    unittest.main()
