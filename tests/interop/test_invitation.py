# SPDX-License-Identifier: Apache-2.0
"""5. Invitations and the invitation-response extension."""

import unittest

from presence_harness import (
    CHANNEL_MEMBER_NEW, ERROR_MEMBER_CHANNEL, HELLO, INVITATION, INVITATION_RESPONSE,
    SERVER_FEATURES, PresenceTestCase, frame, sgc_error)


class Invitation(PresenceTestCase):

    async def hello(self, client):
        await client.send(frame(HELLO, text="invitation-response"))
        await client.expect(frame(HELLO, text=SERVER_FEATURES))

    async def pair(self, inviter_hello):
        """alice (the inviter, hello'd or not) and bob, both joined."""
        a = await self.connect("alice")
        if inviter_hello:
            await self.hello(a)
        await a.join("alice", "a-info")
        b = await self.joined("bob", "b-info", others=[a])
        return a, b

    async def invite(self, a, b, channel="room"):
        await a.send(frame(INVITATION, member=a.member, channel=channel,
                           members=[{"id": b.session_id}]))
        await b.expect(frame(INVITATION, member=a.member, channel=channel))

    async def test_invitee_receives_channel_invitation_with_the_inviter(self):
        a, b = await self.pair(inviter_hello=False)
        c = await self.joined("carol", others=[a, b])
        await self.invite(a, b)
        await a.barrier()
        await c.barrier()
        await b.barrier()

    async def test_several_invitees(self):
        a, b = await self.pair(inviter_hello=False)
        c = await self.joined("carol", others=[a, b])
        await a.send(frame(INVITATION, member=a.member, channel="room",
                           members=[{"id": b.session_id}, {"id": c.session_id}]))
        await b.expect(frame(INVITATION, member=a.member, channel="room"))
        await c.expect(frame(INVITATION, member=a.member, channel="room"))
        await a.barrier()

    async def test_unknown_invitee_is_error_3_with_that_id(self):
        a, b = await self.pair(inviter_hello=False)
        await a.send(frame(INVITATION, member=a.member, channel="room",
                           members=[{"id": "no-such-member"}]))
        await a.expect(frame(ERROR_MEMBER_CHANNEL,
                             member={"id": "no-such-member", "name": "", "info": ""},
                             channel="room", error=sgc_error(3)))
        await b.barrier()
        await a.barrier()

    async def test_known_and_unknown_invitees_in_one_request(self):
        a, b = await self.pair(inviter_hello=False)
        await a.send(frame(INVITATION, member=a.member, channel="room",
                           members=[{"id": "ghost"}, {"id": b.session_id}]))
        await a.expect(frame(ERROR_MEMBER_CHANNEL, member={"id": "ghost", "name": "", "info": ""},
                             channel="room", error=sgc_error(3)))
        await b.expect(frame(INVITATION, member=a.member, channel="room"))

    async def test_hello_is_answered_with_the_supported_features(self):
        a = await self.connect("alice")
        await a.send(frame(HELLO, text="invitation-response"))
        await a.expect(frame(HELLO, text=SERVER_FEATURES))

    async def test_accepting_means_subscribing_and_the_hellod_inviter_is_told(self):
        a, b = await self.pair(inviter_hello=True)
        await self.invite(a, b)
        await b.subscribe("room")
        await a.expect(frame(INVITATION_RESPONSE, member=b.member, channel="room", text="accepted"))
        await a.barrier()
        await b.barrier()
        # The invitation is settled: subscribing again later tells the inviter nothing more.
        await b.send(b.request(CHANNEL_MEMBER_NEW, channel="room"))
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member=b.member, channel="room",
                             error=sgc_error(11)))
        await a.barrier()

    async def test_accepting_with_a_failing_subscribe_carries_the_error(self):
        a, b = await self.pair(inviter_hello=True)
        await b.subscribe("room")
        await self.invite(a, b)
        await b.send(b.request(CHANNEL_MEMBER_NEW, channel="room"))
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member=b.member, channel="room",
                             error=sgc_error(11)))
        await a.expect(frame(INVITATION_RESPONSE, member=b.member, channel="room",
                             text="accepted", error=sgc_error(11)))

    async def test_refusing_tells_the_hellod_inviter(self):
        a, b = await self.pair(inviter_hello=True)
        await self.invite(a, b)
        await b.send(frame(INVITATION_RESPONSE, member={"id": a.session_id}, channel="room",
                           text="refused"))
        await a.expect(frame(INVITATION_RESPONSE, member=b.member, channel="room", text="refused"))
        await b.barrier()
        await a.barrier()
        # Refused, so a later subscribe is no acceptance.
        await b.subscribe("room")
        await a.barrier()

    async def test_inviter_without_hello_gets_no_extension_frame(self):
        a, b = await self.pair(inviter_hello=False)
        await self.invite(a, b, "room")
        await self.invite(a, b, "hall")
        await b.subscribe("room")
        await b.send(frame(INVITATION_RESPONSE, member={"id": a.session_id}, channel="hall",
                           text="refused"))
        await b.barrier()
        await a.barrier()


if __name__ == "__main__":
    unittest.main()
