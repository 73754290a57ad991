"""Samples of the cross-image messages (docs/protocol.md, "Comparing images") for the
round-trip tests of test_protocol_messages, and their wire shapes."""

from __future__ import annotations

import json

from stui.protocol import decode, encode
from stui.protocol.messages import ClassDigest, CodeDigest, Digest

CROSS_REQUESTS = [
    CodeDigest(id=1),
    CodeDigest(id=2, classes=["Object", "Foo"], methods=True),
    CodeDigest(id=3, category="Kernel-*"),
]

CROSS_INCOMING = [
    Digest(
        id=1,
        algorithm="stui-poly-1",
        classes=[
            ClassDigest(class_="Foo", category="Demo", definition="0a1b2c3d4e5f6", methods="1"),
            ClassDigest(
                class_="Bar",
                definition="00",
                methods="11",
                instance_methods={"at:put:": "ab"},
                class_methods={},
            ),
        ],
    ),
]


def test_a_digest_request_leaves_its_defaults_out() -> None:
    assert json.loads(encode(CodeDigest(id=1))) == {
        "type": "code.digest",
        "id": 1,
        "methods": False,
    }
    wire = json.loads(encode(CodeDigest(id=2, classes=["Foo"], methods=True)))
    assert wire == {"type": "code.digest", "id": 2, "classes": ["Foo"], "methods": True}


def test_a_digest_of_the_image_decodes() -> None:
    frame = (
        b'{"type":"digest","id":4,"algorithm":"stui-poly-1","classes":[{"class":"Foo",'
        b'"category":"Demo","definition":"d","methods":"m","instance_methods":{"x":"1"},'
        b'"class_methods":{}}]}'
    )
    reply = decode(frame)
    assert isinstance(reply, Digest)
    (foo,) = reply.classes
    assert (foo.class_, foo.instance_methods, foo.class_methods) == ("Foo", {"x": "1"}, {})
