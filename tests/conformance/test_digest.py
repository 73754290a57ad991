"""`code.digest` on a real image of each dialect (docs/protocol.md, "Comparing images"):
which classes, per-method hashes that move with the code, bad requests, and one
algorithm across dialects: the same method source hashes the same in every image,
checked against the reference below, so a Squeak and a Cuis image compare by hashes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conformance.wire import Peer

pytestmark = pytest.mark.timeout(120)

ALGORITHM = "stui-poly-1"
HASH = re.compile(r"^[0-9a-f]{13}$")
DEFINE = (
    "Object subclass: #StuiDigested instanceVariableNames: '{ivars}' classVariableNames: '' "
    "poolDictionaries: '' category: 'Digested-Tests'"
)
SOURCE = 'probe: n\n\t"A comment, two lines\n\tand a tab."\n\t^ n + 1'


def reference_hash(side: str, selector: str, source: str) -> str:
    """What `stui-poly-1` answers for one method held as source (the spec, in Python):
    two polynomial lanes and a count over code points, LF counted as CR, each string
    ended by a 0, the source preceded by 83 ('S')."""
    a = b = n = 0

    def add(v: int) -> None:
        nonlocal a, b, n
        a = (a * 31 + v) & 0x3FFFFF
        b = (b * 331 + v) % 1048573
        n += 1

    def add_string(text: str) -> None:
        for ch in text:
            add(13 if ch == "\n" else ord(ch))
        add(0)

    add_string(side)
    add_string(selector)
    add(83)
    add_string(source)
    return f"{a:06x}{b:05x}{n % 256:02x}"


def digest(peer: Peer, **fields: Any) -> dict[str, Any]:
    reply = peer.request("code.digest", **fields)
    assert reply["type"] == "digest", reply
    assert reply["algorithm"] == ALGORITHM
    return reply


def evaluate(peer: Peer, code: str) -> dict[str, Any]:
    reply = peer.request("evaluate", code=code)
    assert reply["type"] == "result", reply
    return reply


def compile_probe(peer: Peer, source: str = SOURCE) -> None:
    reply = peer.request("compile", **{"class": "StuiDigested"}, source=source)
    assert reply["type"] == "compiled", reply


def test_named_classes_in_order_and_unknown_names_left_out(client: Peer) -> None:
    reply = digest(client, classes=["Point", "NoSuchClass", "Object", "Point"])
    assert [c["class"] for c in reply["classes"]] == ["Point", "Object"]
    for c in reply["classes"]:
        assert HASH.match(c["definition"]) and HASH.match(c["methods"])
        assert "instance_methods" not in c or c["instance_methods"] is None
    again = digest(client, classes=["Point"])
    assert again["classes"][0] == reply["classes"][0]


def test_the_same_source_hashes_the_same_in_every_dialect(client: Peer) -> None:
    evaluate(client, DEFINE.format(ivars="x"))
    compile_probe(client)
    (cls,) = digest(client, classes=["StuiDigested"], methods=True)["classes"]
    assert cls["instance_methods"] == {"probe:": reference_hash("i", "probe:", SOURCE)}
    assert cls["class_methods"] == {}


def test_hashes_follow_the_code(client: Peer) -> None:
    evaluate(client, DEFINE.format(ivars="x"))
    compile_probe(client)
    (before,) = digest(client, classes=["StuiDigested"], methods=True)["classes"]
    compile_probe(client, "other\n\t^ 2")
    (added,) = digest(client, classes=["StuiDigested"], methods=True)["classes"]
    assert added["instance_methods"]["probe:"] == before["instance_methods"]["probe:"]
    assert added["methods"] != before["methods"]
    assert added["definition"] == before["definition"]
    compile_probe(client, SOURCE.replace("n + 1", "n + 2"))
    (changed,) = digest(client, classes=["StuiDigested"], methods=True)["classes"]
    assert changed["instance_methods"]["probe:"] != before["instance_methods"]["probe:"]
    assert changed["instance_methods"]["other"] == added["instance_methods"]["other"]
    evaluate(client, DEFINE.format(ivars="x y"))
    (redefined,) = digest(client, classes=["StuiDigested"])["classes"]
    assert redefined["definition"] != before["definition"]
    assert redefined["category"] == "Digested-Tests"


def test_categories_and_the_whole_image(client: Peer) -> None:
    evaluate(client, DEFINE.format(ivars="x"))
    picked = digest(client, category="digested-t*")
    assert [c["class"] for c in picked["classes"]] == ["StuiDigested"]
    whole = [c["class"] for c in digest(client)["classes"]]
    assert "Object" in whole and "StuiDigested" in whole
    assert not [n for n in whole if n.startswith("StuiServer") or n.startswith("StuiJson")]


BAD = [
    {"classes": "Point"},
    {"classes": ["Point", 3]},
    {"classes": ["Point"], "category": "Kernel*"},
    {"category": ""},
    {"methods": "yes"},
]


def test_bad_digest_requests(client: Peer) -> None:
    for fields in BAD:
        reply = client.request("code.digest", **fields)
        assert (reply["type"], reply.get("code")) == ("error", "bad_request"), (fields, reply)
