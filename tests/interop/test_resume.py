# SPDX-License-Identifier: Apache-2.0
"""13. Resume and heartbeat extensions: a member whose connection was lost comes back as
itself, with what it missed (docs/protocol.md, "Resume" and "Heartbeat")."""

import unittest

from presence_harness import (
    CHANNEL_MEMBER_NEW, CHANNEL_MEMBER_REMOVE, HELLO, MEMBER_NEW, MEMBER_REMOVE, PUBLISH,
    SEND_MEMBERS, SERVER_FEATURES, PresenceTestCase, frame)

RESUME = "ext@presence@resume"
RESUME_TOKEN = "ext@presence@resume@token"
PING = "ext@presence@ping"
PONG = "ext@presence@pong"
UNCOUNTED = (RESUME, RESUME_TOKEN, PONG)


def counted(client, since=RESUME_TOKEN):
    """How many frames `client` read after its resume token (or another method), as the
    extension counts them (those the harness read to sync with other nodes included)."""
    raw = [f for f in client.wire]
    start = max(i for i, f in enumerate(raw) if f'"method":"{since}"' in f) + 1
    return sum(1 for f in raw[start:] if not any(f'"method":"{m}"' in f for m in UNCOUNTED))


class ResumeCase(PresenceTestCase):

    async def resumable(self, name, others=(), url=None):
        """A client that said hello asking to resume, joined as `name`, and its token."""
        c = await self.connect(name, url=url)
        await c.send(frame(HELLO, text="invitation-response,resume"))
        await c.expect(frame(HELLO, text=SERVER_FEATURES))
        token = await c.recv()
        self.assertEqual(token["method"], RESUME_TOKEN, token)
        self.assertRegex(token["message"]["text"], r"^[0-9a-f-]{36}$")
        await c.join(name, others=others)
        return c, token["message"]["text"]

    async def resume(self, token, received, name="again", lost=None):
        """A new connection that asks to resume `token` after `received` counted frames, to
        the node of `lost` (the client whose member it resumes) when given: a node resumes
        the members it holds."""
        c = await self.connect(name, node=self.servers.index(lost.server) if lost else None)
        await c.send(frame(RESUME, text=f"{token}:{received}"))
        return c

    def lose(self, client):
        """Ends `client`'s connection without a closing handshake: the server keeps its
        member for the grace period. The harness no longer uses that client."""
        client.ws.transport.abort()
        self.clients.remove(client)

    @staticmethod
    def resumed(again, lost):
        """`again` has resumed the member of `lost`: it is that member now."""
        again.member = lost.member
        again.session_id = lost.session_id
        again.announced = lost.announced
        again.known = set(lost.known)

    async def room_of_two(self, url=None):
        a, token = await self.resumable("ann", url=url)
        b = await self.joined("bob", others=[a])
        await a.subscribe("room")
        await b.subscribe("room", others=[a])
        return a, b, token


class Resume(ResumeCase):

    async def test_a_lost_member_resumes_unseen_with_the_messages_it_missed(self):
        a, b, token = await self.room_of_two()
        await a.send(frame(PING))
        await a.expect(frame(PONG))  # not counted: a replay would repeat a frame otherwise
        received = counted(a)
        self.lose(a)  # no closing handshake: the server keeps ann for the grace period
        await b.send(b.request(PUBLISH, channel="room", text="while away"))
        await b.expect(frame(PUBLISH, member=b.member, channel="room", text="while away"))

        a2 = await self.resume(token, received, lost=a)
        await a2.expect(frame(RESUME, member=a.member, text="resumed"))
        await a2.expect(frame(PUBLISH, member=b.member, channel="room", text="while away"))
        self.resumed(a2, a)
        await a2.barrier()
        await b.barrier()  # bob saw no leave and no join

        await a2.send(a2.request(PUBLISH, channel="room", text="back"))
        await b.expect(frame(PUBLISH, member=a.member, channel="room", text="back"))

    async def test_the_client_may_notice_the_loss_before_the_server(self):
        proxy = self.fault_proxy()
        a, b, token = await self.room_of_two(url=proxy.url)
        received = counted(a)
        proxy.cut()  # ann's socket is reset; the server's side stays open and silent
        self.clients.remove(a)
        await b.send(b.request(PUBLISH, channel="room", text="into the void"))
        await b.expect(frame(PUBLISH, member=b.member, channel="room", text="into the void"))

        a2 = await self.resume(token, received, lost=a)
        await a2.expect(frame(RESUME, member=a.member, text="resumed"))
        await a2.expect(frame(PUBLISH, member=b.member, channel="room", text="into the void"))
        self.resumed(a2, a)
        await a2.barrier()
        await b.barrier()

    async def test_the_token_survives_a_second_loss(self):
        a, b, token = await self.room_of_two()
        received = counted(a)
        self.lose(a)
        a2 = await self.resume(token, received, lost=a)
        await a2.expect(frame(RESUME, member=a.member, text="resumed"))
        self.resumed(a2, a)
        await b.send(b.request(PUBLISH, channel="room", text="one"))
        await b.expect(frame(PUBLISH, member=b.member, channel="room", text="one"))
        await a2.expect(frame(PUBLISH, member=b.member, channel="room", text="one"))
        self.lose(a2)

        a3 = await self.resume(token, received + counted(a2, since=RESUME), lost=a2)
        await a3.expect(frame(RESUME, member=a.member, text="resumed"))
        self.resumed(a3, a2)
        await a3.barrier()
        await b.barrier()

    async def test_a_closing_handshake_ends_the_member_at_once(self):
        a, b, token = await self.room_of_two()
        await a.close()
        await b.expect(frame(CHANNEL_MEMBER_REMOVE, member=a.member, channel="room"))
        await b.expect(frame(MEMBER_REMOVE, member=a.member))
        a2 = await self.resume(token, counted(a))
        await a2.expect(frame(RESUME, text="expired"))

    async def test_requests_that_cannot_resume_are_refused(self):
        a, b, _ = await self.room_of_two()
        unknown = await self.resume("00000000-0000-4000-8000-000000000000", 0)
        await unknown.expect(frame(RESUME, text="expired"))
        await unknown.join("unknown", others=[a, b])  # goes on as a fresh connection
        await a.send(frame(RESUME, text="whatever:0"))
        got = await a.recv()
        self.assertEqual(got["error"]["code"], -32602, got)
        malformed = await self.connect("malformed")
        await malformed.send(frame(RESUME, text="no-count"))
        got = await malformed.recv()
        self.assertEqual(got["error"]["code"], -32602, got)

    async def test_a_client_that_did_not_ask_leaves_at_once(self):
        b = await self.joined("bob")
        c = await self.joined("carl", others=[b])
        c.ws.transport.abort()
        await b.expect(frame(MEMBER_REMOVE, member=c.member))


class ResumeAfterTooLongAGap(ResumeCase):

    SERVER_ARGS = ("--resume-backlog-frames", "2")

    async def test_the_member_stays_and_gets_fresh_member_lists(self):
        a, b, token = await self.room_of_two()
        received = counted(a)
        self.lose(a)
        for i in range(3):
            await b.send(b.request(PUBLISH, channel="room", text=f"m{i}"))
            await b.expect(frame(PUBLISH, member=b.member, channel="room", text=f"m{i}"))

        a2 = await self.resume(token, received, lost=a)
        await a2.expect(frame(RESUME, member=a.member, text="resync"))
        members = await a2.recv()
        self.assertEqual(members["method"], SEND_MEMBERS, members)
        self.assertEqual(members["channel"], {"name": "room"})
        self.assertCountEqual(members["members"], [a.member, b.member])
        self.resumed(a2, a)
        await a2.barrier()
        await b.barrier()


class ResumeAfterTheGrace(ResumeCase):

    SERVER_ARGS = ("--resume-grace", "0.3")

    async def test_the_member_has_left_and_the_connection_starts_afresh(self):
        a, b, token = await self.room_of_two()
        a.ws.transport.abort()
        await b.expect(frame(CHANNEL_MEMBER_REMOVE, member=a.member, channel="room"))
        await b.expect(frame(MEMBER_REMOVE, member=a.member))

        a2 = await self.resume(token, counted(a))
        await a2.expect(frame(RESUME, text="expired"))
        await a2.join("ann", others=[b])
        self.assertNotEqual(a2.member["id"], a.member["id"])
        await a2.subscribe("room", others=[b])


class ResumeTurnedOff(ResumeCase):

    SERVER_ARGS = ("--resume-grace", "0")

    async def test_hello_does_not_offer_it_and_a_loss_is_a_departure(self):
        a = await self.connect("ann")
        await a.send(frame(HELLO, text="resume"))
        await a.expect(frame(HELLO, text="invitation-response,heartbeat"))
        await a.join("ann")
        b = await self.joined("bob", others=[a])
        a.ws.transport.abort()
        await b.expect(frame(MEMBER_REMOVE, member=a.member))


if __name__ == "__main__":
    unittest.main()
