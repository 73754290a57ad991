"""The server's JSON reader on the wire: every form a client may send is read exactly.

One image serves the whole table (an image per case would cost a start each); a case
names the frame and what the reply must hold.
"""

from __future__ import annotations

from conformance.wire import Peer

BAD = {"type": "error", "code": "bad_request"}

CASES: list[tuple[bytes, dict[str, object]]] = [
    (b' {\t"type" :\n"ping" ,\r"id" : 7 } ', {"type": "pong", "id": 7}),
    (b'{"type":"ping","id":-7}', {"type": "pong", "id": -7}),
    (b'{"type":"ping","id":0}', {"type": "pong", "id": 0}),
    (b'{"type":"ping","id":12345678901234567890}', {"type": "pong", "id": 12345678901234567890}),
    (b'{"type":"\\u0070ing","id":7}', {"type": "pong", "id": 7}),
    (b'{"type":"ping","id":7,"x":[1,-2.5e-3,1E+2,0.5,true,false,null,{"a":""},[]]}', {"id": 7}),
    (b'{"type":"ping","id":01}', BAD),
    (b'{"type":"ping","id":1e2}', BAD),
    (b'{"type":"ping","id":-}', BAD),
    (b'{"type":"ping","id":7,"x":1.}', BAD),
    (b'{"type":"ping","id":7,"x":tru}', BAD),
    (b'{"type":"ping","id":7,"x":"open}', BAD),
    (b'{"type":"ping","id":7,"x":"a\\qb"}', BAD),
    (b'{"type":"ping","id":7,}', BAD),
    (b'{"type":"evaluate","id":7,"code":"\'\' size"}', {"value": "0"}),
    (b'{"type":"evaluate","id":7,"code":"\'a\\"b\\\\c\\/\\u00e9\\n\' size"}', {"value": "8"}),
    (b'{"type":"evaluate","id":7,"code":"(\'\xc3\xa9x\' at: 1) asciiValue"}', {"value": "233"}),
    (b'{"type":"evaluate","id":7,"code":"\'\\t\' first asciiValue"}', {"value": "9"}),
    (b'{"type":"evaluate","id":7,"code":"3 + 4","max_print":1}', {"value": "7"}),
    (b'{"type":"evaluate","id":7,"code":"1000 * 1000","max_print":3}', {"value": "100"}),
]


def test_every_json_form_is_read_exactly(client: Peer) -> None:
    wrong = []
    for frame, expected in CASES:
        client.send_raw(frame)
        reply = client.recv()
        if any(reply.get(key) != value for key, value in expected.items()):
            wrong.append(f"{frame!r} -> {reply}")
    assert not wrong, "\n".join(wrong)
