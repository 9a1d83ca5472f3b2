# SPDX-License-Identifier: Apache-2.0
"""8. Base64 (sgc EncodeBase64): "sgc@b64:" + base64 of every non-empty string but jsonrpc."""

import base64
import json
import unittest

from presence_harness import (
    ACK, B64, CHANNEL_MEMBER_NEW, ERROR_MEMBER_CHANNEL, ERROR_PUBLISH, GET_MEMBERS, INVITATION,
    MEMBER_NEW, PUBLISH, SEND_MEMBERS, SESSION, PresenceTestCase, ack_frame, b64, decode_all,
    frame, sgc_error, strings_of, unb64)


def encode_all(value, key=None):
    """What an sgc sender with EncodeBase64 on writes."""
    if isinstance(value, dict):
        return {k: encode_all(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [encode_all(v) for v in value]
    if isinstance(value, str) and value and key != "jsonrpc":
        return b64(value)
    return value


def by_id(members):
    return sorted(members, key=lambda m: m["id"])


class ClientSendsBase64(PresenceTestCase):
    """A plain server decodes every sgc@b64: string a client sends, whatever its own setting."""

    async def send_encoded(self, client, obj):
        encoded = encode_all(obj)
        self.assertTrue(encoded["method"].startswith(B64))
        await client.send(encoded)

    async def test_every_request_may_be_fully_encoded(self):
        a = await self.connect("a")
        b = await self.joined("bob")
        await self.send_encoded(a, frame(MEMBER_NEW, member={"id": a.session_id, "name": "al\u00efce",
                                                             "info": "line1\r\nline2 \u2713"}))
        a.member = {"id": a.session_id, "name": "al\u00efce", "info": "line1\r\nline2 \u2713"}
        announce = frame(MEMBER_NEW, member=a.member)
        await a.expect(announce)   # answered in plain text: this server does not encode
        await b.expect(announce)

        await self.send_encoded(a, a.request(CHANNEL_MEMBER_NEW, channel="r\u00f6\u00f6m"))
        await a.expect(frame(CHANNEL_MEMBER_NEW, member=a.member, channel="r\u00f6\u00f6m"))
        await b.subscribe("r\u00f6\u00f6m", others=[a])

        await self.send_encoded(a, a.request(PUBLISH, channel="r\u00f6\u00f6m", text="h\u00e9llo \U0001f600",
                                             id="request-1"))
        await a.expect(ack_frame("request-1"))
        msg = frame(PUBLISH, member=a.member, channel="r\u00f6\u00f6m", text="h\u00e9llo \U0001f600")
        await a.expect(msg)
        await b.expect(msg)

        await self.send_encoded(a, a.request(GET_MEMBERS, channel="r\u00f6\u00f6m"))
        got = await a.recv()
        self.assertEqual(got["method"], SEND_MEMBERS)
        self.assertEqual(got["channel"], {"name": "r\u00f6\u00f6m"})
        self.assertEqual(by_id(got["members"]), by_id([a.member, b.member]))

        await self.send_encoded(a, frame(INVITATION, member=a.member, channel="hall",
                                         members=[{"id": b.session_id}]))
        await b.expect(frame(INVITATION, member=a.member, channel="hall"))

        # An error answer echoes the decoded text.
        await self.send_encoded(a, a.request(PUBLISH, channel="nowhere", text="t\u00e9xt"))
        await a.expect(frame(ERROR_PUBLISH, member=a.member, channel="nowhere", text="t\u00e9xt",
                             error=sgc_error(5)))

    async def test_plain_and_encoded_strings_may_be_mixed(self):
        a = await self.connect("a")
        await a.send({"jsonrpc": "2.0", "method": MEMBER_NEW,
                      "member": {"id": a.session_id, "name": b64("alice"), "info": "plain"}})
        await a.expect(frame(MEMBER_NEW, member={"id": a.session_id, "name": "alice",
                                                 "info": "plain"}))

    async def test_base64_of_latin1_bytes_is_read_as_latin1(self):
        """sgcWebSockets' browser client encodes with btoa(), one byte per character: its
        "café" is the bytes 63 61 66 e9, not UTF-8. The server reads them as Latin-1 and
        answers in UTF-8."""
        def latin1(text):
            return B64 + base64.b64encode(text.encode("latin-1")).decode("ascii")

        # Bob joins after `a`, so that on a pair of nodes his arrival cannot reach `a` in
        # between the frames below; he sees `a` as decoded in the publish at the end.
        a = await self.connect("a")
        await a.send({"jsonrpc": "2.0", "method": b64(MEMBER_NEW),
                      "member": {"id": b64(a.session_id), "name": latin1("caf\u00e9"),
                                 "info": latin1("\u00a9 Zo\u00eb")}})
        a.member = {"id": a.session_id, "name": "caf\u00e9", "info": "\u00a9 Zo\u00eb"}
        await a.expect(frame(MEMBER_NEW, member=a.member))
        self.assertIn("caf\u00e9".encode("utf-8"), a.raw[-1].encode("utf-8"))
        b = await self.joined("bob", others=[a])

        await a.send({"jsonrpc": "2.0", "method": b64(CHANNEL_MEMBER_NEW),
                      "member": {"id": b64(a.session_id)}, "channel": {"name": latin1("\u00fcber")}})
        await a.expect(frame(CHANNEL_MEMBER_NEW, member=a.member, channel="\u00fcber"))
        await b.subscribe("\u00fcber", others=[a])
        await a.send({"jsonrpc": "2.0", "method": b64(PUBLISH), "member": {"id": b64(a.session_id)},
                      "channel": {"name": latin1("\u00fcber")}, "message": {"text": latin1("\u00ff\u00fe\u00fd")}})
        msg = frame(PUBLISH, member=a.member, channel="\u00fcber", text="\u00ff\u00fe\u00fd")
        await a.expect(msg)
        await b.expect(msg)


class ServerSendsBase64(PresenceTestCase):
    """A server started with --base64 encodes every non-empty string but jsonrpc."""

    SERVER_ARGS = ("--base64",)

    def check_encoded(self, raw):
        obj = json.loads(raw)
        self.assertEqual(obj["jsonrpc"], "2.0")
        for path, value in strings_of(obj):
            if path == "jsonrpc" or value == "":
                continue
            self.assertTrue(value.startswith(B64), f"{path} = {value!r} is not encoded in {raw}")
            unb64(value)  # strict: valid Base64 of UTF-8
        if "error" in obj:
            self.assertIs(type(obj["error"]["code"]), int, raw)
        return decode_all(obj)

    async def recv_encoded(self, client):
        return self.check_encoded(await client.recv_raw())

    async def expect_encoded(self, client, expected):
        self.assertEqual(await self.recv_encoded(client), expected)

    async def connect_b64(self, name):
        c = await self.connect(name, read_session=False)
        first = await self.recv_encoded(c)
        self.assertEqual(first["method"], SESSION)
        c.session_id = first["message"]["text"]
        c.decode = True
        return c

    async def test_every_frame_is_encoded(self):
        a = await self.connect_b64("a")
        raw_session = json.loads(a.raw[0])
        self.assertTrue(raw_session["method"].startswith(B64))
        self.assertEqual(unb64(raw_session["method"]), SESSION)

        # member@new: the empty info stays "", the rest is encoded.
        await a.send_join("alice")
        a.member = {"id": a.session_id, "name": "alice", "info": ""}
        await self.expect_encoded(a, frame(MEMBER_NEW, member=a.member))
        self.assertEqual(json.loads(a.raw[-1])["member"]["info"], "")
        b = await self.connect_b64("b")
        await b.send_join("bob", "b-info")
        b.member = {"id": b.session_id, "name": "bob", "info": "b-info"}
        await self.expect_encoded(b, frame(MEMBER_NEW, member=b.member))
        await self.expect_encoded(a, frame(MEMBER_NEW, member=b.member))

        # subscribe
        await a.send(a.request(CHANNEL_MEMBER_NEW, channel="room"))
        await self.expect_encoded(a, frame(CHANNEL_MEMBER_NEW, member=a.member, channel="room"))

        # publish to "": the empty channel name stays ""
        await b.send(b.request(PUBLISH, channel="", text="hi \u00e9"))
        msg = frame(PUBLISH, member=b.member, channel="", text="hi \u00e9")
        await self.expect_encoded(b, msg)
        await self.expect_encoded(a, msg)
        self.assertEqual(json.loads(a.raw[-1])["channel"]["name"], "")

        # send@members: members[] items encoded too
        await b.send(b.request(GET_MEMBERS, channel=""))
        got = await self.recv_encoded(b)
        self.assertEqual(got["method"], SEND_MEMBERS)
        self.assertEqual(by_id(got["members"]), by_id([a.member, b.member]))
        raw_items = json.loads(b.raw[-1])["members"]
        self.assertTrue(all(m["id"].startswith(B64) and m["name"].startswith(B64)
                            for m in raw_items), raw_items)

        # errors: error.code stays an integer, error.text is encoded
        await b.send(b.request(CHANNEL_MEMBER_NEW, channel="room"))
        await self.expect_encoded(b, frame(CHANNEL_MEMBER_NEW, member=b.member, channel="room"))
        await self.expect_encoded(a, frame(CHANNEL_MEMBER_NEW, member=b.member, channel="room"))
        await b.send(b.request(CHANNEL_MEMBER_NEW, channel="room"))
        await self.expect_encoded(b, frame(ERROR_MEMBER_CHANNEL, member=b.member, channel="room",
                                           error=sgc_error(11)))
        raw_error = json.loads(b.raw[-1])["error"]
        self.assertEqual(raw_error["code"], 11)
        self.assertEqual(raw_error["text"], b64("Subscription already exists."))

        await b.send(b.request(PUBLISH, channel="nowhere", text="x"))
        await self.expect_encoded(b, frame(ERROR_PUBLISH, member=b.member, channel="nowhere",
                                           text="x", error=sgc_error(5)))

    async def test_protocol_errors_keep_an_integer_code(self):
        a = await self.connect_b64("a")
        await a.send_raw("this is not json")
        got = await self.recv_encoded(a)
        self.assertEqual(got["method"], ERROR_MEMBER_CHANNEL)
        self.assertEqual(got["error"]["code"], -32700)

    async def test_the_acknowledgment_frame_is_never_encoded(self):
        a = await self.connect_b64("a")
        await a.send_join("alice")
        a.member = {"id": a.session_id, "name": "alice", "info": ""}
        await self.expect_encoded(a, frame(MEMBER_NEW, member=a.member))
        await a.send(a.request(PUBLISH, channel="", text="x", id="ack-me-1"))
        raw = await a.recv_raw()
        self.assertEqual(json.loads(raw), ack_frame("ack-me-1"))
        self.assertEqual(list(json.loads(raw).keys()), ["jsonrpc", "method", "id"])
        await self.expect_encoded(a, frame(PUBLISH, member=a.member, channel="", text="x"))
        # An encoded request id is acknowledged decoded, still in plain text.
        await a.send(encode_all(a.request(PUBLISH, channel="", text="y", id="ack-me-2")))
        raw = await a.recv_raw()
        self.assertEqual(json.loads(raw), {"jsonrpc": "2.0", "method": ACK, "id": "ack-me-2"})


if __name__ == "__main__":
    unittest.main()
