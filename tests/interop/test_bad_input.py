# SPDX-License-Identifier: Apache-2.0
"""10. Bad input: each affects only the offending connection."""

import json
import unittest

from presence_harness import (
    B64, CHANNEL_MEMBER_NEW, CHANNEL_MEMBER_REMOVE, ERROR_MEMBER_CHANNEL, ERROR_PUBLISH,
    GET_MEMBERS, INVALID_PARAMS, INVALID_REQUEST, INVITATION, MEMBER_NEW, METHOD_NOT_FOUND,
    PARSE_ERROR, PUBLISH, SEND_MEMBERS, SESSION, PresenceTestCase, b64, frame, sgc_error)

MAX_MESSAGE = 1024
MAX_NAME = 8
MAX_INFO = 16
MAX_CHANNEL = 8
MAX_INVALID = 3


class BadInput(PresenceTestCase):

    SERVER_ARGS = ("--max-message-bytes", str(MAX_MESSAGE), "--max-name-bytes", str(MAX_NAME),
                   "--max-info-bytes", str(MAX_INFO), "--max-channel-bytes", str(MAX_CHANNEL),
                   "--max-invalid-frames", str(MAX_INVALID))

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.y = await self.joined("observer")
        await self.y.subscribe("room")
        self.x = await self.joined("offender", others=[self.y])
        await self.x.subscribe("room", others=[self.y])

    async def expect_protocol_error(self, client, code, method=ERROR_MEMBER_CHANNEL):
        got = await client.recv()
        self.assertEqual(got.get("jsonrpc"), "2.0", got)
        self.assertEqual(got.get("method"), method, got)
        self.assertEqual(got["error"]["code"], code, got)
        self.assertIs(type(got["error"]["code"]), int, got)
        self.assertIsInstance(got["error"]["text"], str, got)
        self.assertNotEqual(got["error"]["text"], "", got)
        if "member" in got:
            me = client.member or {"id": client.session_id, "name": "", "info": ""}
            self.assertEqual(got["member"], me, got)
        return got

    async def rejected(self, data, code, method=ERROR_MEMBER_CHANNEL, client=None):
        """`data` sent by the offender gets an error frame with `code`, nobody else sees
        anything, and the offender is still served."""
        x = client or self.x
        if isinstance(data, str):
            await x.send_raw(data)
        else:
            await x.send(data)
        got = await self.expect_protocol_error(x, code, method)
        await self.y.barrier()
        await x.barrier()
        return got

    async def closed_with(self, code, send):
        """A fresh, unjoined offender does `send`; it is closed with `code`; the observer
        sees nothing of it; the server still serves."""
        z = await self.connect("z")
        await send(z)
        await z.send_probe()
        frames = await z.expect_closed(code)
        self.clients.remove(z)
        await self.y.barrier()
        await self.assert_serving()
        return frames

    # --- error frames --------------------------------------------------------------
    async def test_not_json_is_parse_error(self):
        await self.rejected('{"jsonrpc":"2.0","method":', PARSE_ERROR)
        await self.rejected("hello", PARSE_ERROR)

    async def test_not_an_object_is_invalid_request(self):
        await self.rejected("[1,2,3]", INVALID_REQUEST)
        await self.rejected("42", INVALID_REQUEST)

    async def test_jsonrpc_1_0_is_invalid_request(self):
        await self.rejected({"jsonrpc": "1.0", "method": GET_MEMBERS, "channel": {"name": ""}},
                            INVALID_REQUEST)

    async def test_missing_jsonrpc_is_invalid_request(self):
        await self.rejected({"method": GET_MEMBERS, "channel": {"name": ""}}, INVALID_REQUEST)

    async def test_jsonrpc_as_a_number_is_invalid_request(self):
        await self.rejected('{"jsonrpc":2.0,"method":"%s"}' % GET_MEMBERS, INVALID_REQUEST)

    async def test_missing_method_is_invalid_request(self):
        await self.rejected({"jsonrpc": "2.0", "channel": {"name": ""}}, INVALID_REQUEST)

    async def test_unknown_method_is_method_not_found(self):
        await self.rejected({"jsonrpc": "2.0", "method": "sgc@presence@no@such"}, METHOD_NOT_FOUND)

    async def test_server_to_client_method_sent_by_a_client_is_method_not_found(self):
        await self.rejected(frame(SEND_MEMBERS, member=self.x.member, channel="", members=[]),
                            METHOD_NOT_FOUND)
        await self.rejected(frame(SESSION, text="x"), METHOD_NOT_FOUND)

    async def test_member_not_an_object_is_invalid_params(self):
        z = await self.connect("z")
        await self.rejected({"jsonrpc": "2.0", "method": MEMBER_NEW, "member": "me"},
                            INVALID_PARAMS, client=z)

    async def test_name_a_number_is_invalid_params(self):
        z = await self.connect("z")
        await self.rejected({"jsonrpc": "2.0", "method": MEMBER_NEW,
                             "member": {"id": z.session_id, "name": 5, "info": ""}},
                            INVALID_PARAMS, client=z)

    async def test_members_not_an_array_is_invalid_params(self):
        await self.rejected({"jsonrpc": "2.0", "method": INVITATION, "member": self.x.member,
                             "channel": {"name": "room"}, "members": {"id": self.y.session_id}},
                            INVALID_PARAMS)

    async def test_channel_not_an_object_is_invalid_params(self):
        await self.rejected({"jsonrpc": "2.0", "method": CHANNEL_MEMBER_NEW,
                             "member": self.x.member, "channel": "room"}, INVALID_PARAMS)

    async def test_bad_publish_is_answered_as_error_publish_msg(self):
        await self.rejected({"jsonrpc": "2.0", "method": PUBLISH, "member": self.x.member,
                             "channel": {"name": "room"}, "message": {"text": 17}},
                            INVALID_PARAMS, method=ERROR_PUBLISH)

    async def test_bad_base64_is_invalid_params(self):
        z = await self.connect("z")
        await self.rejected({"jsonrpc": "2.0", "method": MEMBER_NEW,
                             "member": {"id": z.session_id, "name": B64 + "!!not*base64!!",
                                        "info": ""}},
                            INVALID_PARAMS, client=z)

    async def test_bad_base64_method_is_rejected(self):
        await self.rejected({"jsonrpc": "2.0", "method": B64 + "%%%"}, INVALID_PARAMS)

    async def test_name_over_the_limit_is_invalid_params(self):
        z = await self.connect("z")
        # 5 characters, 10 bytes: the limit counts bytes.
        await self.rejected(frame(MEMBER_NEW, member={"id": z.session_id, "name": "\u00e9" * 5,
                                                      "info": ""}),
                            INVALID_PARAMS, client=z)
        # Exactly at the limit is fine.
        await z.join("n" * MAX_NAME, others=[self.y, self.x])

    async def test_info_over_the_limit_is_invalid_params(self):
        z = await self.connect("z")
        await self.rejected(frame(MEMBER_NEW, member={"id": z.session_id, "name": "z",
                                                      "info": "i" * (MAX_INFO + 1)}),
                            INVALID_PARAMS, client=z)
        await z.join("z", "i" * MAX_INFO, others=[self.y, self.x])

    async def test_channel_over_the_limit_is_invalid_params(self):
        x = self.x
        await self.rejected(x.request(CHANNEL_MEMBER_NEW, channel="c" * (MAX_CHANNEL + 1)),
                            INVALID_PARAMS)
        await self.rejected(x.request(PUBLISH, channel="c" * (MAX_CHANNEL + 1), text="t"),
                            INVALID_PARAMS, method=ERROR_PUBLISH)
        await self.rejected(x.request(GET_MEMBERS, channel="c" * (MAX_CHANNEL + 1)),
                            INVALID_PARAMS)
        await x.subscribe("c" * MAX_CHANNEL)

    async def test_encoded_name_is_limited_by_its_decoded_size(self):
        z = await self.connect("z")
        # The encoded form is longer than the limit, the name itself is not.
        await z.send(frame(MEMBER_NEW, member={"id": z.session_id, "name": b64("n" * MAX_NAME),
                                               "info": ""}))
        z.member = {"id": z.session_id, "name": "n" * MAX_NAME, "info": ""}
        await z.expect(frame(MEMBER_NEW, member=z.member))

    # --- closes ---------------------------------------------------------------------
    async def test_binary_frame_is_closed_with_1003(self):
        async def send(z):
            await z.send_raw(json.dumps(frame(GET_MEMBERS, channel="")).encode("utf-8"))
        frames = await self.closed_with(1003, send)
        self.assertEqual(frames, [])

    async def test_invalid_utf8_in_a_text_frame_is_closed_with_1007(self):
        async def send(z):
            await z.send_text_bytes(b'{"jsonrpc":"2.0","method":"\xff\xfe"}')
        frames = await self.closed_with(1007, send)
        self.assertEqual(frames, [])

    async def test_frame_over_max_message_bytes_is_closed_with_1009(self):
        async def send(z):
            await z.send_raw(json.dumps(frame(GET_MEMBERS, channel="x" * (MAX_MESSAGE + 10))))
        frames = await self.closed_with(1009, send)
        self.assertEqual(frames, [])

    async def test_frame_of_exactly_max_message_bytes_is_accepted(self):
        x, y = self.x, self.y
        request = x.request(PUBLISH, channel="room", text="")
        pad = MAX_MESSAGE - len(json.dumps(request).encode("utf-8"))
        request["message"]["text"] = "p" * pad
        data = json.dumps(request)
        self.assertEqual(len(data.encode("utf-8")), MAX_MESSAGE)
        await x.send_raw(data)
        msg = frame(PUBLISH, member=x.member, channel="room", text="p" * pad)
        await x.expect(msg)
        await y.expect(msg)

    async def test_more_than_max_invalid_frames_in_a_row_is_closed_with_1008(self):
        async def send(z):
            for _ in range(MAX_INVALID):
                await z.send_raw("not json")
                await self.expect_protocol_error(z, PARSE_ERROR)
            await z.barrier()          # still open after MAX_INVALID
            for _ in range(MAX_INVALID):
                await z.send_raw("not json")
                await self.expect_protocol_error(z, PARSE_ERROR)
            await z.send_raw("not json")   # one more than allowed
        frames = await self.closed_with(1008, send)
        # At most the error answer to the last frame came before the close.
        self.assertLessEqual(len(frames), 1, frames)
        for f in frames:
            self.assertEqual(f["error"]["code"], PARSE_ERROR)

    async def test_a_valid_request_resets_the_invalid_frame_count(self):
        x, y = self.x, self.y
        for _ in range(3):
            for _ in range(MAX_INVALID):
                await x.send_raw("not json")
                await self.expect_protocol_error(x, PARSE_ERROR)
            await x.send(x.request(PUBLISH, channel="room", text="still here"))
            msg = frame(PUBLISH, member=x.member, channel="room", text="still here")
            await x.expect(msg)
            await y.expect(msg)

    async def test_failing_well_formed_requests_are_not_invalid_frames(self):
        x = self.x
        for _ in range(MAX_INVALID + 3):
            await x.send(x.request(CHANNEL_MEMBER_REMOVE, channel="nowhere"))
            await x.expect(frame(ERROR_MEMBER_CHANNEL, member=x.member, channel="nowhere",
                                 error=sgc_error(5)))
        await x.barrier()

    async def test_invalid_params_in_a_row_are_closed_with_1008_too(self):
        """Requests that parse but fail validation (-32602) count as invalid frames as well:
        a peer sending nothing but such frames is eventually closed."""
        async def send(z):
            await z.join("z")
            for _ in range(MAX_INVALID):
                await z.send(z.request(CHANNEL_MEMBER_NEW, channel="c" * (MAX_CHANNEL + 1)))
                await self.expect_protocol_error(z, INVALID_PARAMS)
            await z.send(z.request(CHANNEL_MEMBER_NEW, channel="c" * (MAX_CHANNEL + 1)))
        y = self.y
        z = await self.connect("z")
        await send(z)
        await z.send_probe()
        frames = await z.expect_closed(1008)
        self.clients.remove(z)
        self.assertLessEqual(len(frames), 1, frames)
        # z had joined: its departure is all the others see.
        await y.expect(frame(MEMBER_NEW, member=z.member))
        await y.expect(frame("sgc@presence@member@remove", member=z.member))
        await y.barrier()
        await self.assert_serving()

    async def test_server_survives_all_of_it_and_keeps_serving(self):
        x, y = self.x, self.y
        for data in ("", "null", "{}", '{"jsonrpc":"2.0","method":null}', "[]", '"str"',
                     '{"jsonrpc":"2.0","method":"%s","members":[1,2]}' % INVITATION):
            await x.send_raw(data)
            await x.recv()
            await x.barrier()
        for code, send in ((1003, lambda z: z.send_raw(b"\x00\x01")),
                           (1007, lambda z: z.send_text_bytes(b"\xc0\xaf")),
                           (1009, lambda z: z.send_raw("x" * (MAX_MESSAGE + 1)))):
            await self.closed_with(code, send)
        await y.send(y.request(PUBLISH, channel="room", text="after"))
        msg = frame(PUBLISH, member=y.member, channel="room", text="after")
        await y.expect(msg)
        await x.expect(msg)
        await self.assert_serving()


if __name__ == "__main__":
    unittest.main()
