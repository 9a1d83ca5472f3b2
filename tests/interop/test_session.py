# SPDX-License-Identifier: Apache-2.0
"""1. Session & join."""

import asyncio
import json
import unittest

from presence_harness import (
    CHANNEL_MEMBER_NEW, CHANNEL_MEMBER_REMOVE, ERROR_MEMBER_CHANNEL, ERROR_PUBLISH,
    GET_MEMBERS, GUID_RE, INVITATION, MEMBER_NEW, MEMBER_REMOVE, PROTOCOL, PUBLISH,
    SESSION, TIMEOUT, PresenceTestCase, frame, sgc_error)


class SessionAndJoin(PresenceTestCase):

    async def test_subprotocol_is_echoed(self):
        c = await self.connect("a", subprotocols=[PROTOCOL])
        self.assertEqual(c.ws.subprotocol, PROTOCOL)

    async def test_prefixed_subprotocol_is_echoed_as_offered(self):
        c = await self.connect("a", subprotocols=["abc.presence.esegece.com"])
        self.assertEqual(c.ws.subprotocol, "abc.presence.esegece.com")

    async def test_matching_subprotocol_is_chosen_among_others(self):
        c = await self.connect("a", subprotocols=["chat", "xyz.presence.esegece.com"])
        self.assertEqual(c.ws.subprotocol, "xyz.presence.esegece.com")

    async def test_client_offering_no_subprotocol_is_accepted(self):
        c = await self.connect("a", subprotocols=None)
        self.assertIsNone(c.ws.subprotocol)
        self.assertRegex(c.session_id, GUID_RE)

    async def test_ping_is_answered_with_pong(self):
        a = await self.connect("a")
        pong = await asyncio.wait_for(a.ws.ping(b"are you there"), TIMEOUT)
        await asyncio.wait_for(pong, TIMEOUT)

    async def test_fragmented_text_message_is_reassembled(self):
        a = await self.joined("alice")
        data = json.dumps(a.request(PUBLISH, channel="", text="in three parts"))
        parts = [data[:10], data[10:25], data[25:]]
        await asyncio.wait_for(a.ws.send(iter(parts)), TIMEOUT)
        await a.expect(frame(PUBLISH, member=a.member, channel="", text="in three parts"))

    async def test_first_frame_is_session_with_a_guid(self):
        a = await self.connect("a", read_session=False)
        first = await a.recv()
        self.assertEqual(list(first.keys()), ["jsonrpc", "method", "message"])
        self.assertEqual(first["jsonrpc"], "2.0")
        self.assertEqual(first["method"], SESSION)
        self.assertEqual(list(first["message"].keys()), ["text"])
        self.assertRegex(first["message"]["text"], GUID_RE)
        b = await self.connect("b")
        self.assertNotEqual(b.session_id, first["message"]["text"])

    async def test_member_new_is_announced_to_every_member_including_the_new_one(self):
        a = await self.joined("alice", "a-info")
        onlooker = await self.connect("not-a-member")
        b = await self.connect("b")
        await b.send(frame(MEMBER_NEW, member={"id": b.session_id, "name": "bob",
                                               "info": "line1\r\nline2"}))
        announce = frame(MEMBER_NEW, member={"id": b.session_id, "name": "bob",
                                             "info": "line1\r\nline2"})
        await b.expect(announce)
        await a.expect(announce)
        b.member = announce["member"]
        # Nothing else: bob is not told of alice by member@new, a non-member hears nothing.
        await b.barrier()
        await a.barrier()
        answer = await onlooker.barrier()
        self.assertEqual(answer["error"]["code"], 3)

    async def test_member_new_with_an_empty_id_uses_the_session_id(self):
        a = await self.joined("alice")
        b = await self.connect("b")
        await b.send(frame(MEMBER_NEW, member={"id": "", "name": "bob", "info": ""}))
        announce = frame(MEMBER_NEW, member={"id": b.session_id, "name": "bob", "info": ""})
        await b.expect(announce)
        await a.expect(announce)

    async def test_member_new_with_another_id_is_error_3_and_nothing_is_announced(self):
        a = await self.joined("alice")
        b = await self.connect("b")
        await b.send(frame(MEMBER_NEW, member={"id": "not-my-session", "name": "bob", "info": ""}))
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member={"id": b.session_id, "name": "", "info": ""},
                             channel="", error=sgc_error(3)))
        await a.barrier()
        # b is still not a member ...
        answer = await b.barrier()
        self.assertEqual(answer["error"]["code"], 3)
        # ... and may still join properly.
        await b.join("bob", others=[a])

    async def test_member_new_naming_another_members_id_is_error_3(self):
        a = await self.joined("alice")
        b = await self.connect("b")
        await b.send(frame(MEMBER_NEW, member={"id": a.session_id, "name": "mallory", "info": ""}))
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member={"id": b.session_id, "name": "", "info": ""},
                             channel="", error=sgc_error(3)))
        await a.barrier()
        await a.send(a.request(GET_MEMBERS, channel=""))
        answer = await a.recv()
        self.assertEqual(answer["members"], [a.member])

    async def test_second_member_new_is_error_1(self):
        a = await self.joined("alice")
        b = await self.joined("bob", others=[a])
        await b.send_join("bob-again")
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member=b.member, channel="", error=sgc_error(1)))
        await a.barrier()
        answer = await b.barrier()
        self.assertEqual(sorted(answer["members"], key=lambda m: m["id"]),
                         sorted([a.member, b.member], key=lambda m: m["id"]))

    async def test_requests_before_joining_are_error_3(self):
        a = await self.joined("alice")
        await a.subscribe("room")
        b = await self.connect("b")
        anon = {"id": b.session_id, "name": "", "info": ""}
        me = {"id": b.session_id}
        await b.send(frame(CHANNEL_MEMBER_NEW, member=me, channel="room"))
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member=anon, channel="room", error=sgc_error(3)))
        await b.send(frame(CHANNEL_MEMBER_REMOVE, member=me, channel="room"))
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member=anon, channel="room", error=sgc_error(3)))
        await b.send(frame(PUBLISH, member=me, channel="room", text="hi"))
        await b.expect(frame(ERROR_PUBLISH, member=anon, channel="room", text="hi", error=sgc_error(3)))
        await b.send(frame(PUBLISH, member=me, channel="", text="hi all"))
        await b.expect(frame(ERROR_PUBLISH, member=anon, channel="", text="hi all", error=sgc_error(3)))
        await b.send(frame(GET_MEMBERS, member=me, channel=""))
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member=anon, channel="", error=sgc_error(3)))
        await b.send(frame(INVITATION, member=me, channel="room", members=[{"id": a.session_id}]))
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member=anon, channel="room", error=sgc_error(3)))
        await b.send(frame(MEMBER_REMOVE, member=me))
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member=anon, channel="", error=sgc_error(3)))
        # alice, the only member, saw none of it.
        await a.barrier()


if __name__ == "__main__":
    unittest.main()
