# SPDX-License-Identifier: Apache-2.0
"""9. Acknowledgment."""

import json
import unittest

from presence_harness import (
    ACK, B64, CHANNEL_MEMBER_NEW, ERROR_MEMBER_CHANNEL, GET_MEMBERS, GUID_RE, MEMBER_NEW, PUBLISH,
    SEND_MEMBERS, SESSION, PresenceTestCase, ack_frame, decode_all, frame, sgc_error, unb64)


class AcknowledgingRequests(PresenceTestCase):
    """A server without --ack still acknowledges every request that carries an id."""

    async def test_request_with_an_id_is_acknowledged(self):
        a = await self.joined("alice")
        await a.send(a.request(PUBLISH, channel="", text="x", id="req-1"))
        raw = await a.recv_raw()
        self.assertEqual(json.loads(raw), {"jsonrpc": "2.0", "method": ACK, "id": "req-1"})
        self.assertEqual(list(json.loads(raw).keys()), ["jsonrpc", "method", "id"])
        await a.expect(frame(PUBLISH, member=a.member, channel="", text="x"))

    async def test_failing_request_with_an_id_is_acknowledged_too(self):
        a = await self.joined("alice")
        await a.send(a.request(PUBLISH, channel="nowhere", text="x", id="req-2"))
        await a.expect(ack_frame("req-2"))
        await a.expect(frame("sgc@presence@error@publish@msg", member=a.member, channel="nowhere",
                             text="x", error=sgc_error(5)))
        b = await self.connect("b")
        await b.send(frame(CHANNEL_MEMBER_NEW, member={"id": b.session_id}, channel="r", id="req-3"))
        await b.expect(ack_frame("req-3"))
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member={"id": b.session_id, "name": "", "info": ""},
                             channel="r", error=sgc_error(3)))

    async def test_invalid_request_with_an_id_is_acknowledged_then_rejected(self):
        a = await self.joined("alice")
        await a.send({"jsonrpc": "1.0", "method": PUBLISH, "id": "bad-1"})
        await a.expect(ack_frame("bad-1"))
        got = await a.recv()
        self.assertEqual(got["method"], ERROR_MEMBER_CHANNEL)
        self.assertEqual(got["error"]["code"], -32600)

    async def test_an_empty_id_is_not_acknowledged(self):
        a = await self.joined("alice")
        await a.send(a.request(PUBLISH, channel="", text="x", id=""))
        await a.expect(frame(PUBLISH, member=a.member, channel="", text="x"))
        await a.barrier()

    async def test_an_acknowledgment_is_not_answered(self):
        a = await self.joined("alice")
        await a.send(ack_frame("something-i-never-got"))
        await a.barrier()

    async def test_same_request_twice_has_one_effect_and_two_acknowledgments(self):
        a = await self.joined("alice")
        b = await self.joined("bob", others=[a])
        await a.subscribe("room")
        await b.subscribe("room", others=[a])
        request = a.request(PUBLISH, channel="room", text="once", id="dup-1")
        msg = frame(PUBLISH, member=a.member, channel="room", text="once")
        await a.send(request)
        await a.expect(ack_frame("dup-1"))
        await a.expect(msg)
        await b.expect(msg)
        await a.send(request)
        await a.expect(ack_frame("dup-1"))
        await a.barrier()
        await b.barrier()

    async def test_repeated_subscribe_with_the_same_id_is_not_error_11(self):
        a = await self.joined("alice")
        request = a.request(CHANNEL_MEMBER_NEW, channel="room", id="sub-1")
        await a.send(request)
        await a.expect(ack_frame("sub-1"))
        await a.expect(frame(CHANNEL_MEMBER_NEW, member=a.member, channel="room"))
        await a.send(request)
        await a.expect(ack_frame("sub-1"))
        await a.barrier()

    async def test_repeated_member_new_with_the_same_id_is_not_error_1(self):
        a = await self.connect("alice")
        request = frame(MEMBER_NEW, member={"id": a.session_id, "name": "alice", "info": ""},
                        id="join-1")
        await a.send(request)
        await a.expect(ack_frame("join-1"))
        await a.expect(frame(MEMBER_NEW, member={"id": a.session_id, "name": "alice", "info": ""}))
        await a.send(request)
        await a.expect(ack_frame("join-1"))
        await a.barrier()


class ServerResends(PresenceTestCase):
    """--ack: every frame carries an id and is re-sent, same bytes, until acknowledged,
    at most --ack-retries times. No timing is measured: re-sends are proven by arriving,
    their absence by the order in which the server's re-send rounds must emit frames:
    a round re-sends every due frame, oldest first, so a frame that is younger than X
    cannot be re-sent before a still-due X is."""

    SERVER_ARGS = ("--ack", "--ack-interval", "0.1", "--ack-timeout", "0.2", "--ack-retries", "2")

    async def next_frame(self, client, late=()):
        """The next frame, passing over `late` ones: the raw bytes of frames whose
        acknowledgment we sent just before the request that this frame answers. The server
        may have re-sent them before it handled that acknowledgment (a slow test machine);
        those copies can only come before the answer, never after it."""
        while True:
            raw = await client.recv_raw()
            if raw not in late:
                return raw, decode_all(json.loads(raw))

    async def expect_bytes(self, client, raw_expected, what):
        raw = await client.recv_raw()
        self.assertEqual(raw, raw_expected, f"expected the re-send of {what}")

    async def connect_acked(self, name):
        """Connects and acknowledges the session; returns (client, raw session)."""
        c = await self.connect(name, read_session=False)
        raw_s, s = await self.next_frame(c)
        self.assertEqual(s["method"], SESSION)
        c.session_id = s["message"]["text"]
        await c.send(ack_frame(s["id"]))
        return c, raw_s

    async def test_frames_carry_ids(self):
        a = await self.connect("a", read_session=False)
        raw_s, s = await self.next_frame(a)
        self.assertEqual(list(s.keys()), ["jsonrpc", "method", "message", "id"])
        self.assertEqual(s["method"], SESSION)
        self.assertRegex(s["id"], GUID_RE)
        a.session_id = s["message"]["text"]
        await a.send(ack_frame(s["id"]))
        await a.send_join("alice")
        raw_m, m = await self.next_frame(a, late={raw_s})
        self.assertEqual(m, frame(MEMBER_NEW, member={"id": a.session_id, "name": "alice", "info": ""},
                                  id=m["id"]))
        self.assertEqual(list(m.keys())[-1], "id")
        self.assertRegex(m["id"], GUID_RE)
        self.assertNotEqual(m["id"], s["id"])
        await a.send(ack_frame(m["id"]))
        # The acknowledgment of our own request is a bare frame with no id of its own ...
        await a.send(frame(GET_MEMBERS, member={"id": a.session_id}, channel="", id="mine-1"))
        raw_ack, ack = await self.next_frame(a, late={raw_m})
        self.assertEqual(ack, ack_frame("mine-1"))
        raw_g, g = await self.next_frame(a)
        self.assertEqual(g["method"], SEND_MEMBERS)
        self.assertRegex(g["id"], GUID_RE)
        # ... and is never re-sent: g, never acknowledged, comes again, the ack does not.
        await self.expect_bytes(a, raw_g, "send@members")

    async def test_unacknowledged_frame_is_resent_same_bytes_at_most_retries_times(self):
        a = await self.connect("a", read_session=False)
        raw_s, s = await self.next_frame(a)
        self.assertEqual(s["method"], SESSION)
        a.session_id = s["message"]["text"]
        # Never acknowledged: re-sent twice, byte for byte.
        await self.expect_bytes(a, raw_s, "session (1st re-send)")
        await self.expect_bytes(a, raw_s, "session (2nd re-send)")
        # A newer unacknowledged frame E. Its first re-send is due in a round where a third
        # re-send of the (older) session would be due as well, and would go out first.
        await a.send(frame(GET_MEMBERS, member={"id": a.session_id}, channel=""))
        raw_e, e = await self.next_frame(a)
        self.assertEqual(e, frame(ERROR_MEMBER_CHANNEL, member={"id": a.session_id, "name": "",
                                                                "info": ""},
                                  channel="", error=sgc_error(3), id=e["id"]))
        await self.expect_bytes(a, raw_e, "error (1st re-send), not a 3rd session")
        await self.expect_bytes(a, raw_e, "error (2nd re-send)")
        await a.send(frame(PUBLISH, member={"id": a.session_id}, channel="", text="x"))
        raw_f, f = await self.next_frame(a)
        self.assertEqual(f["method"], "sgc@presence@error@publish@msg")
        await self.expect_bytes(a, raw_f, "publish error (1st re-send), not a 3rd error")

    async def test_acknowledged_frame_is_not_resent(self):
        a, raw_s = await self.connect_acked("a")
        # Handled after the acknowledgment (same connection, in order): M is younger than S.
        await a.send_join("alice")
        raw_m, m = await self.next_frame(a, late={raw_s})
        self.assertEqual(m["method"], MEMBER_NEW)
        # M's re-send must come; a re-send of S would have come first.
        await self.expect_bytes(a, raw_m, "member@new (1st re-send), not the acknowledged session")
        # Acknowledging a re-sent frame stops it too.
        await a.send(ack_frame(m["id"]))
        await a.send(frame(GET_MEMBERS, member={"id": a.session_id}, channel=""))
        raw_g, g = await self.next_frame(a, late={raw_m})
        self.assertEqual(g["method"], SEND_MEMBERS)
        await self.expect_bytes(a, raw_g, "send@members (1st re-send), not member@new again")

    async def test_fanned_out_frame_is_tracked_per_connection(self):
        a, raw_sa = await self.connect_acked("alice")
        await a.send_join("alice")
        raw_ma, ma = await self.next_frame(a, late={raw_sa})
        await a.send(ack_frame(ma["id"]))
        b, raw_sb = await self.connect_acked("bob")
        await b.send_join("bob")
        raw_mb, mb = await self.next_frame(b, late={raw_sb})
        self.assertEqual(mb["method"], MEMBER_NEW)
        raw, _ = await self.next_frame(a, late={raw_ma})
        self.assertEqual(raw, raw_mb)                  # the same frame, same id, to both
        await b.send(ack_frame(mb["id"]))              # bob acknowledges, alice does not
        # alice: an answer G, never acknowledged. Up to G's first re-send, she must get
        # member@new again (at least once; at most twice in all), and nothing else.
        await a.send(frame(GET_MEMBERS, channel=""))
        copies = 0
        while True:
            raw = await a.recv_raw()
            if raw == raw_mb:
                copies += 1
                continue
            if raw == raw_ma:                          # late copy, only before G
                self.assertFalse(copies, "alice: her acknowledged member@new came again")
                continue
            break
        raw_g = raw
        self.assertEqual(decode_all(json.loads(raw_g))["method"], SEND_MEMBERS)
        while (raw := await a.recv_raw()) != raw_g:
            self.assertEqual(raw, raw_mb, "alice: unexpected frame before send@members again")
            copies += 1
        self.assertIn(copies, (1, 2), "re-sends of member@new to alice")
        # bob acknowledged it: his own answer H comes again, member@new does not.
        await b.send(frame(GET_MEMBERS, channel=""))
        raw_h, h = await self.next_frame(b, late={raw_mb})
        self.assertEqual(h["method"], SEND_MEMBERS)
        await self.expect_bytes(b, raw_h, "send@members to bob, not member@new")


class ServerResendsBase64(ServerResends):
    """--ack with --base64: the id travels encoded; acknowledging it works with the decoded
    id (what an sgc client does: it decodes every sgc@b64: string) and with the encoded one.
    Runs every test above with Base64 on, too."""

    SERVER_ARGS = ("--base64", "--ack", "--ack-interval", "0.1", "--ack-timeout", "0.2",
                   "--ack-retries", "2")

    async def test_frames_carry_ids(self):
        a = await self.connect("a", read_session=False)
        raw_s = await a.recv_raw()
        s = json.loads(raw_s)
        self.assertTrue(s["id"].startswith(B64), raw_s)
        self.assertRegex(unb64(s["id"]), GUID_RE)

    async def test_encoded_id_acknowledged_with_the_decoded_id(self):
        a, raw_s = await self.connect_acked("a")     # acknowledges the decoded id
        await a.send_join("alice")
        raw_m, m = await self.next_frame(a, late={raw_s})
        self.assertEqual(m["method"], MEMBER_NEW)
        await self.expect_bytes(a, raw_m, "member@new, not the acknowledged session")

    async def test_encoded_id_acknowledged_with_the_encoded_id(self):
        a = await self.connect("a", read_session=False)
        raw_s = await a.recv_raw()
        s = json.loads(raw_s)
        a.session_id = unb64(s["message"]["text"])
        await a.send({"jsonrpc": "2.0", "method": ACK, "id": s["id"]})
        await a.send_join("alice")
        raw_m, _ = await self.next_frame(a, late={raw_s})
        await self.expect_bytes(a, raw_m, "member@new, not the acknowledged session")

if __name__ == "__main__":
    unittest.main()
