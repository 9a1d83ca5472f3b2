# SPDX-License-Identifier: Apache-2.0
"""RFC 6455 conformance of the server's WebSocket side, frame by frame over a raw socket
(raw_websocket.py: the standard library only). The groups follow those of the Autobahn
test suite (framing, ping/pong, reserved bits, opcodes, fragmentation, UTF-8, close
handling, limits) and the opening handshake; the cases are our own, and where Autobahn's
server echoes messages, ours answers Presence requests: a request with an id is
acknowledged, which proves that the server read it whole.

What the server owes a peer that breaks the protocol is a close frame with the code RFC
6455 names (1002 for a framing error, 1007 for text that is not UTF-8, 1009 for a
message over --max-message-bytes) and the end of the connection."""

import base64
import os
import unittest

from presence_harness import SANITIZER_MARKERS, ServerProcess
from raw_websocket import (
    BINARY, CLOSE, CONTINUATION, GOOD_KEY, PING, PONG, TEXT, RawWebSocket, accept_value,
    close_payload, encode_frame, probe)

MAX_MESSAGE = 65536  # the server's default --max-message-bytes


def padded_probe(id, size):
    """A probe of exactly `size` bytes: JSON allows the spaces."""
    text = probe(id)
    return text[:-1] + " " * (size - len(text)) + "}"


def assert_server_well(test, server):
    """`server` is alive, and (when sanitized) reported nothing."""
    test.assertTrue(server.alive(), server.stderr_text())
    for marker in SANITIZER_MARKERS:
        test.assertNotIn(marker, server.stderr_text())


class Rfc6455(unittest.TestCase):
    """One server for the tests of a class, each test on connections of its own."""

    SERVER_ARGS = ()

    @classmethod
    def setUpClass(cls):
        cls.server = ServerProcess(*cls.SERVER_ARGS)
        cls.addClassCleanup(cls.server.stop)

    def tearDown(self):
        assert_server_well(self, self.server)

    def connect(self):
        ws = RawWebSocket(self.server.port)
        self.addCleanup(ws.close)
        return ws.open()

    def assert_answered(self, ws, id="p"):
        """`ws` still works: a probe sent now is acknowledged."""
        ws.send_text(probe(id))
        ws.expect_acknowledged(id)

    def assert_closed_with(self, ws, code):
        got, _ = ws.read_close()
        self.assertEqual(got, code)

    def assert_refused(self, data, code):
        """`data` sent on a fresh connection gets a close with `code`."""
        ws = self.connect()
        ws.send(data)
        self.assert_closed_with(ws, code)


class Framing(Rfc6455):

    def test_a_payload_length_in_7_bits(self):
        ws = self.connect()
        ws.send_text(padded_probe("seven", 125))
        ws.expect_acknowledged("seven")

    def test_a_payload_length_in_16_bits(self):
        ws = self.connect()
        for size in (126, 65535):
            ws.send_text(padded_probe(f"sixteen-{size}", size))
            ws.expect_acknowledged(f"sixteen-{size}")

    def test_a_payload_length_in_64_bits_up_to_the_limit(self):
        ws = self.connect()
        ws.send_text(padded_probe("sixty-four", MAX_MESSAGE), length_bytes=8)
        ws.expect_acknowledged("sixty-four")

    def test_a_frame_sent_one_byte_at_a_time(self):
        ws = self.connect()
        for byte in encode_frame(TEXT, probe("slow")):
            ws.send(bytes([byte]))
        ws.expect_acknowledged("slow")

    def test_several_frames_in_one_write(self):
        ws = self.connect()
        ws.send(b"".join(encode_frame(TEXT, probe(f"batch-{i}")) for i in range(3)))
        for i in range(3):
            ws.expect_acknowledged(f"batch-{i}")

    def test_an_empty_text_message_is_answered_and_the_connection_stays(self):
        ws = self.connect()
        ws.send_text(b"")
        self.assert_answered(ws)

    def test_a_binary_message_is_refused_as_data_we_do_not_take(self):
        self.assert_refused(encode_frame(BINARY, b"\x00\x01"), 1003)

    def test_an_unmasked_frame_from_a_client(self):
        self.assert_refused(encode_frame(TEXT, probe("x"), mask=False), 1002)

    def test_a_16_bit_length_that_fits_in_7_bits(self):
        self.assert_refused(encode_frame(TEXT, probe("x"), length_bytes=2), 1002)

    def test_a_64_bit_length_that_fits_in_16_bits(self):
        self.assert_refused(encode_frame(TEXT, probe("x"), length_bytes=8), 1002)

    def test_a_64_bit_length_with_its_most_significant_bit_set(self):
        # RFC 6455 5.2: that bit MUST be 0. No payload follows: the header alone is wrong.
        self.assert_refused(encode_frame(TEXT, b"", length_bytes=8, length=1 << 63), 1002)


class PingPong(Rfc6455):

    def test_an_empty_ping_gets_an_empty_pong(self):
        ws = self.connect()
        ws.send_frame(PING)
        ws.expect_frame(PONG, b"")

    def test_a_ping_of_125_bytes_gets_them_back(self):
        ws = self.connect()
        payload = os.urandom(125)
        ws.send_frame(PING, payload)
        ws.expect_frame(PONG, payload)

    def test_a_ping_over_125_bytes(self):
        self.assert_refused(encode_frame(PING, b"x" * 126), 1002)

    def test_a_fragmented_ping(self):
        self.assert_refused(encode_frame(PING, b"x", fin=False), 1002)

    def test_an_unasked_pong_is_ignored(self):
        ws = self.connect()
        ws.send_frame(PONG, b"unasked")
        self.assert_answered(ws)

    def test_pings_in_a_row_get_pongs_in_order(self):
        ws = self.connect()
        for i in range(5):
            ws.send_frame(PING, f"ping {i}")
        for i in range(5):
            ws.expect_frame(PONG, f"ping {i}".encode())


class ReservedBits(Rfc6455):
    """No extension is negotiated, so every reserved bit must be 0."""


def _reserved_bit_case(opcode, rsv, payload):
    def test(self):
        self.assert_refused(encode_frame(opcode, payload, rsv=rsv), 1002)
    return test


for _rsv in (1, 2, 4, 7):
    for _opcode, _name, _payload in ((TEXT, "text", probe("x")), (PING, "ping", b"")):
        setattr(ReservedBits, f"test_rsv_{_rsv}_on_a_{_name}_frame",
                _reserved_bit_case(_opcode, _rsv, _payload))


class Opcodes(Rfc6455):
    """Opcodes 3-7 (data) and 11-15 (control) are reserved."""


def _opcode_case(opcode):
    def test(self):
        self.assert_refused(encode_frame(opcode, b""), 1002)
    return test


for _opcode in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):
    setattr(Opcodes, f"test_reserved_opcode_{_opcode}", _opcode_case(_opcode))


class Fragmentation(Rfc6455):

    def test_a_message_in_two_fragments(self):
        ws = self.connect()
        text = probe("two").encode()
        ws.send_frame(TEXT, text[:10], fin=False)
        ws.send_frame(CONTINUATION, text[10:])
        ws.expect_acknowledged("two")

    def test_a_message_in_many_fragments_some_empty(self):
        ws = self.connect()
        text = probe("many").encode()
        ws.send_frame(TEXT, b"", fin=False)
        for i in range(0, len(text), 7):
            ws.send_frame(CONTINUATION, text[i:i + 7], fin=False)
            ws.send_frame(CONTINUATION, b"", fin=False)
        ws.send_frame(CONTINUATION, b"")
        ws.expect_acknowledged("many")

    def test_a_ping_between_fragments_is_answered_at_once(self):
        ws = self.connect()
        text = probe("between").encode()
        ws.send_frame(TEXT, text[:5], fin=False)
        ws.send_frame(PING, b"in the middle")
        ws.expect_frame(PONG, b"in the middle")
        ws.send_frame(CONTINUATION, text[5:])
        ws.expect_acknowledged("between")

    def test_a_continuation_with_no_message_begun(self):
        self.assert_refused(encode_frame(CONTINUATION, probe("x")), 1002)

    def test_a_continuation_after_a_finished_message(self):
        ws = self.connect()
        ws.send_text(probe("done"))
        ws.expect_acknowledged("done")
        ws.send_frame(CONTINUATION, b"more")
        self.assert_closed_with(ws, 1002)

    def test_a_new_message_before_the_last_one_ends(self):
        ws = self.connect()
        ws.send_frame(TEXT, b"{", fin=False)
        ws.send_frame(TEXT, probe("x"))
        self.assert_closed_with(ws, 1002)

    def test_a_fragmented_close(self):
        self.assert_refused(encode_frame(CLOSE, close_payload(1000), fin=False), 1002)


class Utf8(Rfc6455):

    def test_text_in_two_three_and_four_byte_characters(self):
        ws = self.connect()
        id = "κόσμε ∑ 😀"
        ws.send_text(probe(id))
        ws.expect_acknowledged(id)

    def test_a_character_split_between_fragments(self):
        ws = self.connect()
        text = probe("😀").encode()
        cut = text.index("😀".encode()) + 2
        ws.send_frame(TEXT, text[:cut], fin=False)
        ws.send_frame(CONTINUATION, text[cut:])
        ws.expect_acknowledged("😀")

    def test_a_surrogate(self):
        self.assert_refused(encode_frame(TEXT, b'"\xed\xa0\x80"'), 1007)

    def test_an_overlong_encoding(self):
        self.assert_refused(encode_frame(TEXT, b'"\xc0\xaf"'), 1007)

    def test_a_code_point_above_u10ffff(self):
        self.assert_refused(encode_frame(TEXT, b'"\xf4\x90\x80\x80"'), 1007)

    def test_a_message_that_ends_inside_a_character(self):
        self.assert_refused(encode_frame(TEXT, b'"\xe2\x82'), 1007)

    def test_invalid_text_in_a_later_fragment(self):
        ws = self.connect()
        ws.send_frame(TEXT, b'{"a":"', fin=False)
        ws.send_frame(CONTINUATION, b"\xff\"}")
        self.assert_closed_with(ws, 1007)


class CloseHandling(Rfc6455):

    def test_a_close_without_a_code_is_answered_with_1000(self):
        self.assert_refused(encode_frame(CLOSE, b""), 1000)

    def test_a_close_with_one_byte(self):
        self.assert_refused(encode_frame(CLOSE, b"\x03"), 1002)

    def test_a_close_with_a_reason_of_123_bytes_is_echoed(self):
        ws = self.connect()
        ws.send_frame(CLOSE, close_payload(1000, "r" * 123))
        self.assertEqual(ws.read_close()[0], 1000)

    def test_a_close_over_125_bytes(self):
        self.assert_refused(encode_frame(CLOSE, close_payload(1000, "r" * 124)), 1002)

    def test_a_close_reason_that_is_not_utf8(self):
        self.assert_refused(encode_frame(CLOSE, close_payload(1000, b"\xce\xba\xff")), 1007)

    def test_nothing_after_a_close_is_acted_on(self):
        ws = self.connect()
        ws.send(encode_frame(CLOSE, close_payload(1000)) + encode_frame(TEXT, probe("late")))
        # read_close fails on any text frame after the close, the acknowledgment included.
        self.assertEqual(ws.read_close()[0], 1000)


def _echoed_close_case(code):
    def test(self):
        self.assert_refused(encode_frame(CLOSE, close_payload(code, "bye")), code)
    return test


def _refused_close_case(code):
    def test(self):
        self.assert_refused(encode_frame(CLOSE, close_payload(code)), 1002)
    return test


# Defined by RFC 6455 or registered with IANA for use, or left to libraries (3000-3999)
# and applications (4000-4999): echoed.
for _code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 3000, 3999, 4000, 4999):
    setattr(CloseHandling, f"test_close_code_{_code}_is_echoed", _echoed_close_case(_code))
# Never to be sent (1005, 1006, 1015), unassigned, or outside 1000-4999: a protocol error.
for _code in (0, 999, 1004, 1005, 1006, 1014, 1015, 1016, 1100, 2000, 2999, 5000, 65535):
    setattr(CloseHandling, f"test_close_code_{_code}_is_a_protocol_error", _refused_close_case(_code))


class Limits(Rfc6455):

    def test_a_frame_over_the_message_limit(self):
        ws = self.connect()
        # The header is enough: the payload it announces is never sent.
        ws.send(encode_frame(TEXT, b"", length=MAX_MESSAGE + 1, length_bytes=8))
        self.assert_closed_with(ws, 1009)

    def test_fragments_that_add_up_to_more_than_the_limit(self):
        ws = self.connect()
        ws.send_frame(TEXT, b" " * (MAX_MESSAGE // 2), fin=False)
        ws.send_frame(CONTINUATION, b" " * (MAX_MESSAGE // 2 + 1))
        self.assert_closed_with(ws, 1009)


class OpeningHandshake(Rfc6455):

    def upgrade(self, **kw):
        ws = RawWebSocket(self.server.port)
        self.addCleanup(ws.close)
        return ws, ws.upgrade(**kw)

    def test_a_key_of_16_bytes_is_accepted(self):
        ws, (status, headers, _) = self.upgrade(key=GOOD_KEY)
        self.assertEqual(status, 101)
        self.assertEqual(headers["sec-websocket-accept"], accept_value(GOOD_KEY))

    def test_a_key_that_is_not_16_bytes(self):
        for key in (base64.b64encode(bytes(n)).decode() for n in (15, 17, 18, 32)):
            with self.subTest(key=key):
                _, (status, _, body) = self.upgrade(key=key)
                self.assertEqual(status, 400)
                self.assertIn(b"Sec-WebSocket-Key", body)

    def test_a_key_that_is_not_base64(self):
        _, (status, _, body) = self.upgrade(key="!!!!!!!!!!!!!!!!!!!!!!==")
        self.assertEqual(status, 400)
        self.assertIn(b"Sec-WebSocket-Key", body)

    def test_no_key(self):
        _, (status, _, _) = self.upgrade(key=None)
        self.assertEqual(status, 400)

    def test_a_frame_sent_with_the_upgrade_request_is_read(self):
        ws = RawWebSocket(self.server.port)
        self.addCleanup(ws.close)
        ws.open(then=encode_frame(TEXT, probe("first")))
        ws.expect_acknowledged("first")


if __name__ == "__main__":
    unittest.main()
