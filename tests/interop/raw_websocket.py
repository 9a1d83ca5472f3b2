# SPDX-License-Identifier: Apache-2.0
"""A WebSocket client made of the standard library's socket and nothing else: the opening
handshake and every frame are written byte by byte here, so that a test can send what no
real client library would (a reserved bit, a bad length, a close code out of range) and
read exactly what the server answers. Every read is bounded by TIMEOUT."""

import base64
import hashlib
import json
import os
import socket
import struct
import time

TIMEOUT = 5.0
PROTOCOL = "presence.esegece.com"

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

# A key whose Base64 decodes to 16 bytes, as RFC 6455 requires.
GOOD_KEY = base64.b64encode(bytes(range(16))).decode("ascii")


def accept_value(key):
    """The Sec-WebSocket-Accept that answers `key` (RFC 6455, 4.2.2)."""
    digest = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def upgrade_request(port, key=GOOD_KEY, subprotocol=PROTOCOL, target="/", extra_headers=()):
    lines = [f"GET {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
             "Connection: Upgrade", "Sec-WebSocket-Version: 13"]
    if key is not None:
        lines.append(f"Sec-WebSocket-Key: {key}")
    if subprotocol:
        lines.append(f"Sec-WebSocket-Protocol: {subprotocol}")
    lines.extend(extra_headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def encode_frame(opcode, payload=b"", fin=True, rsv=0, mask=True, length_bytes=None, length=None):
    """One frame. `rsv` is the three reserved bits (0-7); `length_bytes` forces the length
    encoding: 0 (7 bits), 2 (16 bits) or 8 (64 bits), whatever the payload's size; `length`
    is written instead of the payload's size."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    size = len(payload) if length is None else length
    if length_bytes is None:
        length_bytes = 0 if size < 126 else 2 if size < 65536 else 8
    mask_bit = 0x80 if mask else 0
    if length_bytes == 0:
        header = struct.pack("!BB", first, mask_bit | size)
    elif length_bytes == 2:
        header = struct.pack("!BBH", first, mask_bit | 126, size)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, size)
    if not mask:
        return header + payload
    key = os.urandom(4)
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def close_payload(code, reason=b""):
    if isinstance(reason, str):
        reason = reason.encode("utf-8")
    return struct.pack("!H", code) + reason


def request(method, id, **fields):
    """A Presence request as text, with an id so that the server acknowledges it."""
    obj = {"jsonrpc": "2.0", "method": method, **fields, "id": id}
    return json.dumps(obj, ensure_ascii=False)


def probe(id):
    """A request every connection may send: its acknowledgment proves it was read."""
    return request("sgc@presence@get@members", id, channel={"name": ""})


def acknowledgment(id):
    return {"jsonrpc": "2.0", "method": "sgc@presence@acknowledgment", "id": id}


class Closed(Exception):
    """The server ended the TCP connection."""


class RawWebSocket:
    """One connection from `source` to the server at 127.0.0.1:`port`; with
    `receive_buffer`, a receive buffer that small (set before connecting, so that the TCP
    window stays small too)."""

    def __init__(self, port, source="127.0.0.1", receive_buffer=None, timeout=TIMEOUT):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if receive_buffer is not None:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            self.sock.settimeout(timeout)
            self.sock.bind((source, 0))
            self.sock.connect(("127.0.0.1", port))
        except BaseException:
            self.sock.close()
            raise
        self.port = port
        self.buffer = b""
        self.session_id = None

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise Closed()
        self.buffer += chunk

    def _take(self, n):
        while len(self.buffer) < n:
            self._fill()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_http_response(self):
        """(status, headers as a dict of lower-case names, body) of one HTTP answer; the
        body as long as Content-Length says."""
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = self._take(int(headers.get("content-length", "0")))
        return status, headers, body

    def upgrade(self, then=b"", **kw):
        """Sends the upgrade request, followed in the same write by `then`; returns the
        answer's (status, headers, body)."""
        self.send(upgrade_request(self.port, **kw) + then)
        status, headers, body = self.read_http_response()
        return status, headers, body

    def open(self, then=b""):
        """Upgraded, and past the session frame the server sends first."""
        status, _, _ = self.upgrade(then)
        if status != 101:
            raise AssertionError(f"upgrade answered {status}")
        opcode, payload = self.read_frame()
        session = json.loads(payload.decode("utf-8")) if opcode == TEXT else {}
        if session.get("method") != "sgc@presence@session":
            raise AssertionError(f"first frame: {opcode} {payload!r}")
        self.session_id = session["message"]["text"]
        return self

    def send_frame(self, opcode, payload=b"", **kw):
        self.send(encode_frame(opcode, payload, **kw))

    def send_text(self, text, **kw):
        self.send_frame(TEXT, text, **kw)

    def read_frame(self):
        """(opcode, payload) of the next frame from the server, which must be final,
        unmasked and without reserved bits."""
        first, second = self._take(2)
        size = second & 0x7F
        if size == 126:
            size = struct.unpack("!H", self._take(2))[0]
        elif size == 127:
            size = struct.unpack("!Q", self._take(8))[0]
        if second & 0x80 or first & 0x70 or not first & 0x80:
            raise AssertionError(f"the server sent a frame it may not: {first:#x} {second:#x}")
        return first & 0x0F, self._take(size)

    def expect_frame(self, opcode, payload=None):
        got_opcode, got = self.read_frame()
        if got_opcode != opcode or (payload is not None and got != payload):
            raise AssertionError(f"expected {opcode} {payload!r}, got {got_opcode} {got!r}")
        return got

    def expect_acknowledged(self, id):
        """Reads text frames until the acknowledgment of `id` (frames of other kinds fail)."""
        while True:
            opcode, payload = self.read_frame()
            if opcode != TEXT:
                raise AssertionError(f"expected the acknowledgment of {id!r}, got {opcode} {payload!r}")
            if json.loads(payload.decode("utf-8")) == acknowledgment(id):
                return

    def read_close(self):
        """The (code, reason) of the server's close frame, skipping text frames before it;
        then the server must end the connection. Code None for a close without a code."""
        while True:
            opcode, payload = self.read_frame()
            if opcode == CLOSE:
                break
            if opcode != TEXT:
                raise AssertionError(f"expected a close frame, got {opcode} {payload!r}")
        code = struct.unpack("!H", payload[:2])[0] if payload else None
        # As a client does: the closing handshake is complete once the close is answered.
        # The server may not wait for it (a failed connection): then it is not read.
        try:
            self.send_frame(CLOSE, payload[:2])
        except OSError:
            pass
        self.expect_end()
        return code, payload[2:]

    def expect_end(self):
        """The server ends the connection, and sends nothing more first."""
        try:
            while True:
                self._fill()
                if self.buffer:
                    raise AssertionError(f"bytes after the end: {self.buffer!r}")
        except Closed:
            return
        except ConnectionResetError:
            return


def wait_until(condition, what, timeout=TIMEOUT):
    """Polls `condition` until it holds; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.02)
