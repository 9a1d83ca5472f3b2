#!/usr/bin/env python3
"""Writes the seed inputs of fuzz/corpus/: for `decode`, every frame example of
docs/protocol.md and frames at the edges of the rules (bad, odd or rare); for `service`,
scripts that reach joins, channels, publishing, invitations, acknowledgment, resuming and
the limits. Run it again after changing the script format of fuzz_service.cpp or the
examples of the protocol."""
import json
import pathlib

FUZZ = pathlib.Path(__file__).resolve().parent
PROTOCOL = FUZZ.parent / "docs" / "protocol.md"

EDGE_FRAMES = {
    "not-json": b'{"jsonrpc":"2.0",',
    "not-object": b'["sgc@presence@ping"]',
    "wrong-version": b'{"jsonrpc":"1.0","method":"ext@presence@ping"}',
    "unknown-method": b'{"jsonrpc":"2.0","method":"sgc@presence@nothing","id":"x1"}',
    "method-bad-base64": b'{"jsonrpc":"2.0","method":"sgc@b64:@@@@"}',
    "member-not-object": b'{"jsonrpc":"2.0","method":"sgc@presence@member@new","member":"Ann"}',
    "members-not-array": b'{"jsonrpc":"2.0","method":"sgc@presence@channel@invitation","members":{}}',
    "code-too-big": b'{"jsonrpc":"2.0","method":"sgc@presence@error@member@channel","error":{"code":4294967296,"text":""}}',
    "code-fraction": b'{"jsonrpc":"2.0","method":"sgc@presence@error@member@channel","error":{"code":3.0}}',
    "nulls": b'{"jsonrpc":"2.0","method":"sgc@presence@member@new","member":{"id":null,"name":null},"channel":null,"id":null}',
    "extra-keys": b'{"x":[1,{"y":2}],"jsonrpc":"2.0","method":"sgc@presence@get@members","channel":{"name":"r","z":true}}',
    "bad-utf8-base64": b'{"jsonrpc":"2.0","method":"ext@presence@ping","id":"sgc@b64:/w=="}',
    "double-base64": b'{"jsonrpc":"2.0","method":"sgc@presence@publish@msg","message":{"text":"sgc@b64:c2djQGI2NDphR2s9"}}',
    "escapes": b'{"jsonrpc":"2.0","method":"sgc@presence@member@new","member":{"id":"","name":"\\u00e9\\n","info":"a\\r\\nb"}}',
    "acknowledgment": b'{"jsonrpc":"2.0","method":"sgc@presence@acknowledgment","id":"id-1"}',
    "request-with-id": b'{"jsonrpc":"2.0","method":"sgc@presence@channel@member@new","channel":{"name":"room"},"id":"id-2"}',
}


def doc_frames():
    lines = PROTOCOL.read_text(encoding="utf-8").splitlines()
    return [line.strip().encode() for line in lines if line.strip().startswith('{"jsonrpc"')]


# The script of fuzz_service.cpp: byte 0 the options, then steps.
ACK, BASE64, NO_RESUME, TIGHT_RATES, SMALL_CHANNELS, CLOSE_AT_END = 1, 2, 4, 8, 16, 32
OPS = ["connect", "connect_granted", "receive", "disconnect", "lose", "tick", "acknowledge",
       "resume", "broadcast"]


def step(link, op, payload=b""):
    return bytes([OPS.index(op) * 4 + link]) + len(payload).to_bytes(2, "big") + payload


def frame(method, member=None, channel=None, text=None, members=None, id=None):
    f = {"jsonrpc": "2.0", "method": method}
    if member is not None:
        f["member"] = {"id": member[0], "name": member[1], "info": member[2]}
        if len(member) > 3:
            f["member"]["user"] = member[3]
    if channel is not None:
        f["channel"] = {"name": channel}
    if text is not None:
        f["message"] = {"text": text}
    if members is not None:
        f["members"] = [{"id": m, "name": "", "info": ""} for m in members]
    if id is not None:
        f["id"] = id
    return json.dumps(f, separators=(",", ":")).encode()


def send(link, method, **parts):
    return step(link, "receive", frame(method, **parts))


def join(link, name="ann", granted=True, flags=0):
    connect = step(link, "connect_granted", bytes([flags])) if granted else step(link, "connect")
    member = (f"m{link}", name, "desk") if granted else ("", name, "")
    return connect + send(link, "sgc@presence@member@new", member=member)


def hello(link, features="invitation-response,resume"):
    return send(link, "ext@presence@hello", text=features)


def enter(link, channel="room-1"):
    return send(link, "sgc@presence@channel@member@new", channel=channel)


def say(link, text="hi", channel="room-1"):
    return send(link, "sgc@presence@publish@msg", channel=channel, text=text)


def tick(tens=0):
    return step(0, "tick", bytes([tens]))


SCRIPTS = {
    "join": [0, join(0)],
    "join-anonymous": [0, join(0, granted=False), send(0, "sgc@presence@get@members", channel="")],
    "join-twice": [0, join(0), send(0, "sgc@presence@member@new", member=("m0", "x", ""))],
    "join-as-someone-else": [0, step(0, "connect_granted", b"\0"),
                             send(0, "sgc@presence@member@new", member=("m1", "x", ""))],
    "room": [0, join(0), join(1, "bob"), enter(0), enter(1), say(0), send(1, "sgc@presence@get@members", channel="room-1"),
             send(0, "sgc@presence@channel@member@remove", channel="room-1"), send(1, "sgc@presence@member@remove")],
    "say-to-everyone": [0, join(0), join(1), say(0, channel=""), step(2, "broadcast", b"\1news")],
    "invite-accepted": [0, join(0), join(1, "bob"), hello(0), enter(0),
                        send(0, "sgc@presence@channel@invitation", channel="room-1", members=["m1", "m3"]), enter(1)],
    "invite-refused": [0, join(0), hello(0), join(1, "bob"), enter(0),
                       send(0, "sgc@presence@channel@invitation", channel="room-1", members=["m1"]),
                       send(1, "ext@presence@channel@invitation@response", member=("m0", "", ""),
                            channel="room-1", text="refused")],
    "invite-denied": [0, join(0), join(1, "quiet"), enter(0),
                      send(0, "sgc@presence@channel@invitation", channel="room-1", members=["m1"])],
    "invite-many": [TIGHT_RATES, join(0), join(1), join(2), join(3), hello(1),
                    send(1, "sgc@presence@channel@invitation", channel="room-1", members=["m0", "m2", "m3"]),
                    send(1, "sgc@presence@channel@invitation", channel="room-2", members=["m0", "m2"]),
                    send(1, "sgc@presence@channel@invitation", channel="room-3", members=["m0"]), enter(0, "room-3")],
    "hooks-refuse": [0, join(0, "deny"), join(1), enter(1, "deny"), enter(1, "room-0"), enter(1),
                     say(1, "deny"), send(1, "sgc@presence@get@members", channel="nowhere")],
    "quiet-lists": [0, join(0, "quiet"), send(0, "sgc@presence@get@members", channel="")],
    "limits": [SMALL_CHANNELS, join(0, "a-very-long-name"), join(0), join(1), join(2), enter(0, "room-1"),
               enter(1, "room-1"), enter(2, "room-1"), enter(0, "room-2"), enter(0, "room-3"), enter(0, "room-4"),
               enter(0, "room-with-a-long-name")],
    "rate": [TIGHT_RATES, join(0)] + [step(0, "receive", frame("ext@presence@ping"))] * 10,
    "garbage": [0, join(0)] + [step(0, "receive", b"{")] * 5 + [send(0, "ext@presence@ping")],
    "wrong-requests": [0, step(0, "connect"), send(0, "sgc@presence@session"), send(0, "sgc@presence@publish@msg"),
                       join(0), send(0, "sgc@presence@publish@msg", channel="room-1"),
                       send(0, "sgc@presence@channel@invitation", channel="room-1", members=[]),
                       send(0, "sgc@presence@channel@member@remove", channel="room-9")],
    "granted": [0, join(0, flags=1), enter(0, "room-1"), enter(0, "hall"), say(0, channel="room-1"), say(0, channel=""),
                join(1, flags=2), send(1, "sgc@presence@get@members", channel="room-1")],
    "grant-ends": [0, join(0, flags=5), join(1, flags=4), tick(6), step(0, "disconnect"), step(1, "lose")],
    "ack": [ACK, join(0), join(1), enter(0), enter(1), say(1), step(0, "acknowledge", b"\0"),
            step(0, "acknowledge", b"\3"), tick(30), tick(30), tick(30)],
    "ack-ids-in": [0, join(0), send(0, "sgc@presence@channel@member@new", channel="room-1", id="a"),
                   send(0, "sgc@presence@channel@member@new", channel="room-1", id="a"),
                   send(0, "sgc@presence@acknowledgment", id="nothing")],
    "base64": [BASE64, join(0), step(0, "receive",
                                    b'{"jsonrpc":"2.0","method":"sgc@b64:c2djQHByZXNlbmNlQGNoYW5uZWxAbWVtYmVyQG5ldw==",'
                                    b'"channel":{"name":"sgc@b64:cm9vbQ=="},"id":"sgc@b64:aWQtMQ=="}'),
               say(0, "sgc@b64:aGk=", "room"), say(0, channel="room")],
    "ack-base64": [ACK | BASE64, join(0), join(1), enter(0), step(0, "acknowledge", b"\1"), tick(30)],
    "resume": [0, step(0, "connect_granted", b"\0"), hello(0), send(0, "sgc@presence@member@new", member=("m0", "a", "")),
               enter(0), join(1), enter(1), step(0, "lose"), say(1), say(1), step(2, "connect_granted", b"\0"),
               step(2, "resume", b"\0\2"), step(0, "connect_granted", b"\0"), step(0, "resume", b"\0\2"), say(1)],
    "resume-same-identity": [0, step(0, "connect_granted", b"\0\3"), hello(0, "resume"),
                             send(0, "sgc@presence@member@new", member=("m3", "a", "")), step(0, "lose"),
                             step(1, "connect_granted", b"\0\3"), step(1, "resume", b"\0\0")],
    "resume-resync": [0, step(0, "connect"), hello(0), join(0, granted=False), enter(0), join(1), enter(1),
                      step(0, "lose")] + [say(1)] * 6 + [step(0, "connect"), step(0, "resume", b"\0\0")],
    "resume-live-link": [0, step(0, "connect"), hello(0, "resume"), join(0, granted=False), step(1, "connect"),
                         step(1, "resume", b"\0\1"), step(1, "lose"), step(2, "connect"), step(2, "resume", b"\0\1")],
    "resume-expires": [0, step(0, "connect"), hello(0, "resume"), join(0, granted=False), step(0, "lose"), tick(2),
                       tick(2), step(1, "connect"), step(1, "resume", b"\0\0")],
    "resume-refused": [0, step(0, "connect"), hello(0, "resume"), step(0, "resume", b"\0\0"), step(1, "connect"),
                       join(1), step(1, "resume", b"\0\0"), send(1, "ext@presence@resume", text="no-count")],
    "resume-off": [NO_RESUME, step(0, "connect"), hello(0, "resume"), join(0, granted=False), step(0, "lose")],
    "resume-ack": [ACK, step(0, "connect"), hello(0), join(0, granted=False), join(1), step(0, "lose"), say(1, channel=""),
                   step(2, "connect"), step(2, "resume", b"\0\0"), step(2, "acknowledge", b"\0"), tick(30)],
    "shutdown-gentle": [CLOSE_AT_END, join(0), join(1), enter(0), step(1, "connect"), hello(1, "resume"),
                        step(1, "lose")],
    "shutdown-at-once": [0, step(0, "connect"), hello(0, "resume"), join(0, granted=False), step(0, "lose"),
                         join(1), join(2), enter(2)],
    "users": [0, join(0), hello(0, "users"), enter(0), step(1, "connect"),
              send(1, "sgc@presence@member@new", member=("", "bob", "tab 1", "u1")), enter(1),
              step(2, "connect_granted", b"\x08"), send(2, "sgc@presence@member@new", member=("m2", "bob", "", "u1")),
              enter(2), send(0, "ext@presence@get@users", channel="room-1"), step(1, "disconnect"),
              step(2, "disconnect"), step(2, "connect"), send(2, "sgc@presence@member@new", member=("", "b", "", "u1")),
              enter(2), tick(0)],
    "reconnect": [0, join(0), enter(0), step(0, "disconnect"), join(0), enter(0), step(0, "lose"), join(0)],
    "member-update": [TIGHT_RATES, join(0), join(1, flags=2), hello(0, "updates"),
                      send(0, "ext@presence@member@update", member=("m0", "anne", "away")),
                      send(1, "ext@presence@member@update", member=("m1", "x", "y")),
                      send(1, "ext@presence@member@update", member=("m0", "x", ""))]
                     + [send(0, "ext@presence@member@update", member=("", "", "again"))] * 6,
}


def write(folder, name, data):
    path = FUZZ / "corpus" / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def main():
    for n, data in enumerate(doc_frames(), 1):
        write("decode", f"doc-{n:02}", data)
    for name, data in EDGE_FRAMES.items():
        write("decode", f"edge-{name}", data)
    for name, (options, *steps) in SCRIPTS.items():
        write("service", name, bytes([options]) + b"".join(steps))


if __name__ == "__main__":
    main()
