"""StuiJson (json.st), the server's JSON reader and writer, run in a real Squeak image.

Every case is a frame of bytes to parse and render again (or a Smalltalk expression to
evaluate); a small checker class filed in with the cases runs a whole batch in one VM start,
and its answers are checked here against Python's json module. The tables of fixed cases
all go through a single VM run per module; each hypothesis example is one more batch.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stui.dialects.squeak.launcher import HEADLESS, SqueakLauncher

CHECKER_SOURCE = r""""Test support: runs batches of StuiJson cases read from a file."

Object subclass: #StuiJsonCheck
    instanceVariableNames: ''
    classVariableNames: ''
    poolDictionaries: ''
    category: 'Stui-Tests'!

!StuiJsonCheck class methodsFor: 'running'!
run: inPath to: outPath
    "Each input line: a kind letter, a space, hex bytes. p: parse the bytes and render the
     result; e: evaluate the bytes as Smalltalk and answer the result's asString. Each
     output line: ok or err, a space, the answer in hex."
    | in out lf line file |
    lf := Character value: 10.
    file := StandardFileStream readOnlyFileNamed: inPath.
    in := ReadStream on: file contentsOfEntireFile.
    file close.
    out := WriteStream on: (String new: 10000).
    [in atEnd] whileFalse: [
        line := in upTo: lf.
        line isEmpty ifFalse: [out nextPutAll: (self runCase: line); nextPut: lf]].
    file := StandardFileStream newFileNamed: outPath.
    file nextPutAll: out contents.
    file close.
    ^ 'done'
!
runCase: aLine
    | bytes ok answer |
    bytes := self unhex: (aLine copyFrom: 3 to: aLine size).
    ok := true.
    answer := [(aLine at: 1) = $p
            ifTrue: [StuiJson render: (StuiJson parse: bytes)]
            ifFalse: [(Compiler evaluate: bytes) asString]]
        ifError: [:msg :rcvr | ok := false. msg asString].
    ^ (ok ifTrue: ['ok '] ifFalse: ['err ']), (self hex: answer)
!
unhex: aString
    | s digits |
    digits := '0123456789abcdef'.
    s := String new: aString size // 2.
    1 to: s size do: [:i |
        s at: i put: (Character value:
            ((digits indexOf: (aString at: 2 * i - 1)) - 1) * 16
                + ((digits indexOf: (aString at: 2 * i)) - 1))].
    ^ s
!
hex: aString
    | digits s |
    digits := '0123456789abcdef'.
    s := WriteStream on: (String new: aString size * 2).
    aString do: [:c |
        s nextPut: (digits at: c asciiValue // 16 + 1); nextPut: (digits at: c asciiValue \\ 16 + 1)].
    ^ s contents
! !
"""

TYPICAL = (
    b'{"type":"evaluate","id":5,"session":"s-0123456789abcdef0123456789abcdef",'
    b'"code":"3 + 4","mode":"print"}'
)


@dataclass(frozen=True)
class Outcome:
    """What the image answered for one case: rendered JSON (or a value) or an error."""

    ok: bool
    text: str

    def value(self) -> Any:
        """The rendered JSON as Python sees it (NaN and Infinity are not JSON)."""
        assert self.ok, self.text
        assert self.text.isascii(), self.text
        return json.loads(self.text, parse_constant=_reject_constant)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"not JSON: {name}")


class JsonImage:
    """A private image copy that runs batches of cases through StuiJson, one VM per batch."""

    def __init__(self, vm: Path, image: Path, sources: list[Path]) -> None:
        self.vm = vm
        self.image = image
        self.sources = sources
        self.batches = 0

    def run(self, cases: list[tuple[str, bytes]], timeout: float = 120) -> list[Outcome]:
        work = self.image.parent
        self.batches += 1
        cases_file = work / f"cases-{self.batches}.txt"
        answers_file = work / f"answers-{self.batches}.txt"
        cases_file.write_text("".join(f"{kind} {data.hex()}\n" for kind, data in cases))
        expr = f"StuiJsonCheck run: '{cases_file}' to: '{answers_file}'"
        done = subprocess.run(
            [str(self.vm), *HEADLESS, str(self.image), *map(str, self.sources),
             f"--eval={expr}", "--quit"],
            cwd=work, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        out = done.stdout.decode("latin-1")
        assert "'done'" in out, f"the checker did not finish: {out[-2000:]!r}"
        lines = answers_file.read_text().splitlines()
        assert len(lines) == len(cases), out[-2000:]
        outcomes = []
        for line in lines:
            status, _, data = line.partition(" ")
            outcomes.append(Outcome(status == "ok", bytes.fromhex(data).decode("latin-1")))
        return outcomes

    def parse_render(self, frames: list[bytes]) -> list[Outcome]:
        return self.run([("p", f) for f in frames])

    def evaluate(self, expressions: list[str]) -> list[Outcome]:
        return self.run([("e", e.encode("latin-1")) for e in expressions])


@pytest.fixture(scope="module")
def json_image(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JsonImage]:
    work = tmp_path_factory.mktemp("json-image")
    image = work / "json.image"
    shutil.copyfile(template, image)
    shutil.copyfile(template.with_suffix(".changes"), image.with_suffix(".changes"))
    checker = work / "json_check.st"
    checker.write_text(CHECKER_SOURCE)
    yield JsonImage(SqueakLauncher().vm, image, [checker])


# -- expectations ------------------------------------------------------------------------


def normalized(value: Any) -> Any:
    """What a value becomes in the image and back: CR, LF and CR LF all come back as LF."""
    match value:
        case str():
            return value.replace("\r\n", "\n").replace("\r", "\n")
        case list():
            return [normalized(v) for v in value]
        case dict():
            return {normalized(k): normalized(v) for k, v in value.items()}
        case _:
            return value


def same(a: Any, b: Any) -> bool:
    """Equality that also tells 1 from 1.0 and 0.0 from -0.0."""
    if type(a) is not type(b):
        return False
    match a:
        case float():
            return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
        case list():
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        case dict():
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        case _:
            return a == b


def encoding_message(code_point: int, offset: int) -> str:
    return (
        f"encoding: character U+{code_point:04X} at {offset} "
        "cannot be represented in this image (Latin-1 only)"
    )


def depth(value: Any) -> int:
    match value:
        case list():
            return 1 + max((depth(v) for v in value), default=0)
        case dict():
            return 1 + max((depth(v) for v in value.values()), default=0)
        case _:
            return 0


def strings_in(value: Any) -> Iterator[str]:
    match value:
        case str():
            yield value
        case list():
            for v in value:
                yield from strings_in(v)
        case dict():
            for k, v in value.items():
                yield k
                yield from strings_in(v)


def floats_in(value: Any) -> Iterator[float]:
    match value:
        case float():
            yield value
        case list():
            for v in value:
                yield from floats_in(v)
        case dict():
            for v in value.values():
                yield from floats_in(v)


# -- the fixed cases: one VM run for all of them -------------------------------------------

DEEP_OK = b"[" * 64 + b"]" * 64
DEEP_BAD = b"[" * 65 + b"]" * 65

ROUND_TRIPS: list[bytes] = [
    TYPICAL,
    b'{"a":[1,[2,[3,{"b":null}]],{"c":{"d":[true,false]}}],"e":""}',
    b' \t\r\n{ "a" : [ 1 , 2 ] ,\n"b":{ } } \n',
    b"{}",
    b"[]",
    b"[[],{}]",
    b'{"":{}}',
    b"5",
    b"-0",
    b'"x"',
    b"true",
    b"false",
    b"null",
    b"0.5",
    b'{"a":1,"a":2}',
    DEEP_OK,
    b'{"k":' * 64 + b"1" + b"}" * 64,
    b'["a\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti"]',
    b'["line1\\nline2\\r\\nline3"]',
    b'"\\u0000\\u001f\\u0020\\u007f"',
    b'["plain ascii with space ~ and \'"]',
    # Many keys (the dictionary grows), and keys that collide or repeat.
    json.dumps({f"key{i}": i for i in range(300)}).encode(),
    b'{"ab":1,"ba":2,"ab":3,"aab":4,"bba":5,"ba":6,"":7,"":8}',
]

# Frame -> exact rendered text.
EXACT_RENDERINGS: list[tuple[bytes, str]] = [
    ('"é"'.encode(), '"\\u00e9"'),
    (b'"\\u00e9"', '"\\u00e9"'),
    (b'"\\u00E9"', '"\\u00e9"'),
    ('"ÿ"'.encode(), '"\\u00ff"'),
    (b'"\x7f"', '"\\u007f"'),
    (b'"\\u0000"', '"\\u0000"'),
    (b'"a\\nb"', '"a\\nb"'),
    (b'"a\\rb"', '"a\\nb"'),
    (b'"a\\r\\nb\\n\\rc\\r\\r\\n"', '"a\\nb\\n\\nc\\n\\n"'),
    (b'"a\\u000d\\u000ab\\r\\u000a\\u000d\\n"', '"a\\nb\\n\\n"'),
    (b'"\\r\\u00e9\\n"', '"\\n\\u00e9\\n"'),
    (b'"tab\\there"', '"tab\\there"'),
    (b'"\\/"', '"/"'),
    (b"[1,2.5,-3]", "[1,2.5,-3]"),
    (b"1E2", "100.0"),
    (b"1e16", "1.0e16"),
    (b"0.001", "0.001"),
    (b"-0.0", "-0.0"),
    (b"123456789012345678901234567890", "123456789012345678901234567890"),
    (b"-123456789012345678901234567890", "-123456789012345678901234567890"),
    (b"1073741823", "1073741823"),
    (b"1073741824", "1073741824"),
    (b"-1073741824", "-1073741824"),
    (b"-1073741825", "-1073741825"),
    (b'{"a":[]}', '{"a":[]}'),
]

FLOATS: list[str] = [
    "0.1",
    "1e-7",
    "1.5e300",
    "5e-324",
    "2.2250738585072014e-308",
    "2.2250738585072011e-308",
    "1.7976931348623157e308",
    "9007199254740993.0",
    "9007199254740995.0",
    "2.4703282292062328e-324",
    "2.4703282292062327e-324",
    "123.456e-789",
    "0.1000000000000000055511151231257827021181583404541015625",
    "3.141592653589793238462643383279",
    "1e22",
    "1e23",
    "8.98846567431158e307",
    "4.9406564584124654e-324",
    "1" + "0" * 400 + "e-400",
    "0." + "0" * 330 + "1e330",
    "-2.5e-5",
    "0e999999999",
    "1e-999999999",
    "179769313486231580793728971405303415079934132710037826936173778980444968292764750.0",
]

# (frame, reason, 0-based offset) for bad_request.
MALFORMED: list[tuple[bytes, str, int]] = [
    (b"", "unexpected end of input", 0),
    (b"   ", "unexpected end of input", 3),
    (b"{", "unterminated object", 1),
    (b"[", "unexpected end of input", 1),
    (b'{"a"', "unterminated object", 4),
    (b'{"a":', "unexpected end of input", 5),
    (b'{"a":1', "unterminated object", 6),
    (b'{"a":1,}', "expected a string key", 7),
    (b"[1,]", "trailing comma", 3),
    (b"[,1]", "unexpected character ','", 1),
    (b"{,}", "expected a string key", 1),
    (b'{"a" 1}', "expected :", 5),
    (b"{1:2}", "expected a string key", 1),
    (b"[1 2]", "expected , or ]", 3),
    (b'{"a":1 "b":2}', "expected , or }", 7),
    (b'"abc', "unterminated string", 4),
    (b'"a\\"', "unterminated string", 4),
    (b'"a\\', "unterminated string", 3),
    (b'"\\x"', "invalid escape", 1),
    (b'"\\u12"', "truncated \\u escape", 1),
    (b'["\\u12"]', "invalid \\u escape", 2),
    (b'"\\u12', "truncated \\u escape", 1),
    (b'"\\u12g4"', "invalid \\u escape", 1),
    (b'"\\ud800"', "unpaired surrogate escape", 1),
    (b'"\\udc00"', "unpaired surrogate escape", 1),
    (b'"\\ud800\\u0041"', "unpaired surrogate escape", 1),
    (b'"a\tb"', "control character in string", 2),
    (b'"a\nb"', "control character in string", 2),
    (b"tru", "invalid literal", 0),
    (b"nul", "invalid literal", 0),
    (b"True", "unexpected character 'T'", 0),
    (b"01", "invalid number (leading zero)", 0),
    (b"-", "invalid number", 0),
    (b"-a", "invalid number", 0),
    (b"1.", "invalid number (no digit after .)", 0),
    (b"1.e5", "invalid number (no digit after .)", 0),
    (b".5", "unexpected character '.'", 0),
    (b"1e", "invalid number (no digit in exponent)", 0),
    (b"1e+", "invalid number (no digit in exponent)", 0),
    (b"+1", "unexpected character '+'", 0),
    (b"0x10", "unexpected data after the JSON value", 1),
    (b"1.5.2", "unexpected data after the JSON value", 3),
    (b"NaN", "unexpected character 'N'", 0),
    (b"Infinity", "unexpected character 'I'", 0),
    (b"[1] x", "unexpected data after the JSON value", 4),
    (b"{} {}", "unexpected data after the JSON value", 3),
    (b"'a'", "unexpected character ''''", 0),
    (b"1e400", "number out of range", 0),
    (b"[-1.8e308]", "number out of range", 1),
    (b"1" * 4301, "number has too many digits", 0),
    (b"0." + b"1" * 4301, "number has too many digits", 2),
    (DEEP_BAD, "nesting deeper than 64", 64),
    (b"[" * 100_000, "nesting deeper than 64", 64),
    (b'{"a":' * 65 + b"1" + b"}" * 65, "nesting deeper than 64", 320),
    # Invalid UTF-8.
    (b'"\x80"', "invalid UTF-8", 1),
    (b'"\xc0\xaf"', "invalid UTF-8", 1),
    (b'"\xc1\xbf"', "invalid UTF-8", 1),
    (b'"\xc3"', "invalid UTF-8", 1),
    (b'"\xc3', "invalid UTF-8 (truncated sequence)", 1),
    (b'"\xe0\x80\x80"', "invalid UTF-8", 1),
    (b'"\xed\xa0\x80"', "invalid UTF-8", 1),
    (b'"\xe2\x82"', "invalid UTF-8", 1),
    (b'"\xf0\x8f\xbf\xbf"', "invalid UTF-8", 1),
    (b'"\xf4\x90\x80\x80"', "invalid UTF-8", 1),
    (b'"\xf5\x80\x80\x80"', "invalid UTF-8", 1),
    (b'"\xff"', "invalid UTF-8", 1),
    (b"\xef\xbb\xbf{}", "unexpected non-ASCII byte", 0),
    (b"[\xc3\xa9]", "unexpected non-ASCII byte", 1),
    # A malformed frame is bad_request even when it also holds an unrepresentable character.
    ('["€",]'.encode(), "trailing comma", 7),
]

# (frame, code point, 0-based offset) for encoding errors.
UNREPRESENTABLE: list[tuple[bytes, int, int]] = [
    ('"€"'.encode(), 0x20AC, 1),
    (b'"\\u20ac"', 0x20AC, 1),
    (b'"\\u0100"', 0x100, 1),
    ('"Ā"'.encode(), 0x100, 1),
    (b'"\\ud83d\\ude00"', 0x1F600, 1),
    ('"😀"'.encode(), 0x1F600, 1),
    ('{"code":"a€"}'.encode(), 0x20AC, 10),
    ('{"code":"é€😀"}'.encode(), 0x20AC, 11),
    ('{"€":1}'.encode(), 0x20AC, 2),
    (b'["\\n", "x\\u00e9\\u4e2d"]', 0x4E2D, 15),
]

# Smalltalk expression -> exact rendering.
RENDERINGS: list[tuple[str, str]] = [
    ("StuiJson render: (2 raisedTo: 100)", str(2**100)),
    ("StuiJson render: (2 raisedTo: 100) negated", str(-(2**100))),
    ("StuiJson render: SmallInteger maxVal + 1", str(2**30)),
    ("StuiJson render: SmallInteger minVal - 1", str(-(2**30) - 1)),
    ("StuiJson render: Float nan", "null"),
    ("StuiJson render: Float infinity", "null"),
    ("StuiJson render: Float infinity negated", "null"),
    ("StuiJson render: 0.1", "0.1"),
    ("StuiJson render: -2.5", "-2.5"),
    ("StuiJson render: 100.0", "100.0"),
    ("StuiJson render: 1.0e-7", "1.0e-7"),
    ("StuiJson render: -1.0 * 0.0", "-0.0"),
    ("StuiJson render: #foo", '"foo"'),
    ("StuiJson render: #+", '"+"'),
    ("StuiJson render: nil", "null"),
    ("StuiJson render: true", "true"),
    ("StuiJson render: false", "false"),
    ("StuiJson render: (OrderedCollection with: 1 with: 'a' with: nil)", '[1,"a",null]'),
    ("StuiJson render: (Array with: (Array with: #()))", "[[[]]]"),
    ("StuiJson render: Object new", '"an Object"'),
    ("StuiJson render: $a", '"$a"'),
    ("StuiJson render: (1 to: 3)", '"(1 to: 3)"'),
    ("StuiJson render: (String with: Character cr with: (Character value: 10))", '"\\n\\n"'),
    ("StuiJson render: (String with: Character tab with: (Character value: 1))", '"\\t\\u0001"'),
    ("StuiJson render: (String with: (Character value: 200) with: $~)", '"\\u00c8~"'),
    ('StuiJson render: (String with: $" with: $\\)', '"\\"\\\\"'),
    ("StuiJson render: (String new: 3 withAll: (Character value: 255))", '"' + "\\u00ff" * 3 + '"'),
    ("StuiJson render: ((Dictionary new) at: 1 put: 2; yourself)", '{"1":2}'),
    ("StuiJson render: ((Dictionary new) at: #sym put: #(1); yourself)", '{"sym":[1]}'),
    ("StuiJson render: ((IdentityDictionary new) at: #k put: 'v'; yourself)", '{"k":"v"}'),
    ("StuiJson render: (StuiJson parse: '[1,2]') class name", '"Array"'),
    ("StuiJson render: (StuiJson parse: '{}') class name", '"Dictionary"'),
    ("StuiJson render: (StuiJson parse: '1.0') class name", '"Float"'),
    ("StuiJson render: (StuiJson parse: '3') class name", '"SmallInteger"'),
    ("StuiJson render: (StuiJson parse: '\"a\\nb\"') asArray", '["$a","$\\n","$b"]'),
    ("StuiJson render: ((StuiJson parse: '\"a\\nb\"') at: 2) asciiValue", "13"),
    ("StuiJson render: (StuiJson parse: '\"\\u00e9\"' asByteArray)", '"\\u00e9"'),
    # What the parser builds answers the ordinary Dictionary protocol.
    ('StuiJson render: ((StuiJson parse: \'{"type":"x","id":5}\') at: \'type\')', '"x"'),
    (
        "| d | d := StuiJson parse: '{' , ((1 to: 200) inject: '' into: [:acc :i | "
        "acc , '\"k' , i printString , '\":' , i printString , ',']) , '\"k1\":0}'. "
        "StuiJson render: (Array with: d size with: ((1 to: 200) inject: 0 into: [:acc :i | "
        "acc + (d at: 'k' , i printString)]) with: (d includesKey: 'k201'))",
        f"[200,{sum(range(2, 201))},false]",
    ),
]

FIXED_CASES: list[tuple[str, bytes]] = (
    [("p", f) for f in ROUND_TRIPS]
    + [("p", f) for f, _ in EXACT_RENDERINGS]
    + [("p", f.encode()) for f in FLOATS]
    + [("p", f) for f, _, _ in MALFORMED]
    + [("p", f) for f, _, _ in UNREPRESENTABLE]
    + [("e", e.encode()) for e, _ in RENDERINGS]
)


@pytest.fixture(scope="module")
def fixed(json_image: JsonImage) -> dict[tuple[str, bytes], Outcome]:
    """All fixed cases, answered by one VM run."""
    outcomes = json_image.run(FIXED_CASES)
    return dict(zip(FIXED_CASES, outcomes, strict=True))


@pytest.mark.parametrize("frame", ROUND_TRIPS, ids=lambda f: f[:40].decode("latin-1"))
def test_round_trip(fixed: dict[tuple[str, bytes], Outcome], frame: bytes) -> None:
    expected = normalized(json.loads(frame))
    assert same(fixed["p", frame].value(), expected)


@pytest.mark.parametrize(("frame", "rendered"), EXACT_RENDERINGS)
def test_exact_rendering(
    fixed: dict[tuple[str, bytes], Outcome], frame: bytes, rendered: str
) -> None:
    assert fixed["p", frame] == Outcome(True, rendered)


@pytest.mark.parametrize("number", FLOATS)
def test_float_is_correctly_rounded(fixed: dict[tuple[str, bytes], Outcome], number: str) -> None:
    expected = float(number)
    got = fixed["p", number.encode()].value()
    assert same(got, expected), f"{number} read as {got!r}, Python reads {expected!r}"


@pytest.mark.parametrize(("frame", "reason", "offset"), MALFORMED, ids=lambda x: repr(x)[:40])
def test_malformed_is_bad_request(
    fixed: dict[tuple[str, bytes], Outcome], frame: bytes, reason: str, offset: int
) -> None:
    assert fixed["p", frame] == Outcome(False, f"bad_request: {reason} at {offset}")


@pytest.mark.parametrize(("frame", "code", "offset"), UNREPRESENTABLE)
def test_unrepresentable_character(
    fixed: dict[tuple[str, bytes], Outcome], frame: bytes, code: int, offset: int
) -> None:
    assert fixed["p", frame] == Outcome(False, encoding_message(code, offset))


@pytest.mark.parametrize(("expression", "rendered"), RENDERINGS)
def test_render(fixed: dict[tuple[str, bytes], Outcome], expression: str, rendered: str) -> None:
    assert fixed["e", expression.encode()] == Outcome(True, rendered)


def test_render_refuses_a_cycle(json_image: JsonImage) -> None:
    [outcome] = json_image.evaluate(["| a | a := Array new: 1. a at: 1 put: a. StuiJson render: a"])
    assert outcome == Outcome(False, "render: nesting deeper than 1000 (a cycle?)")


def test_big_integers_round_trip(json_image: JsonImage) -> None:
    numbers = [10**300, -(10**300), 2**64, 2**53 + 1, -(2**63), int("9" * 4300)]
    outcomes = json_image.parse_render([str(n).encode() for n in numbers])
    assert [o.value() for o in outcomes] == numbers


def test_latin1_bytes_all_round_trip(json_image: JsonImage) -> None:
    text = "".join(map(chr, range(256)))
    frames = [json.dumps(text).encode(), json.dumps(text, ensure_ascii=False).encode()]
    for outcome in json_image.parse_render(frames):
        assert outcome.value() == normalized(text)


# -- generated cases -------------------------------------------------------------------------

latin1_text = st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.integers(min_value=-(2**31), max_value=2**31)
    | st.floats(allow_nan=False, allow_infinity=False)
    | latin1_text
)
json_values = st.recursive(
    scalars,
    lambda kids: st.lists(kids, max_size=5) | st.dictionaries(latin1_text, kids, max_size=5),
    max_leaves=20,
)
dump_styles: dict[str, Callable[[Any], str]] = {
    "compact": lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":")),
    "ascii": lambda v: json.dumps(v),
    "indented": lambda v: json.dumps(v, ensure_ascii=False, indent=2),
}

GENERATED = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@GENERATED
@given(
    values=st.lists(json_values, min_size=1, max_size=80), style=st.sampled_from(list(dump_styles))
)
def test_generated_values_round_trip(json_image: JsonImage, values: list[Any], style: str) -> None:
    frames = [dump_styles[style](v).encode() for v in values]
    for value, outcome in zip(values, json_image.parse_render(frames), strict=True):
        assert same(outcome.value(), normalized(value)), (value, outcome)


def first_unrepresentable_offset(text: str, ensure_ascii: bool) -> tuple[int, int]:
    """Code point and frame offset of the first character above U+00FF in {"code": text}."""
    index = next(i for i, c in enumerate(text) if ord(c) > 0xFF)
    prefix = json.dumps({"code": text[:index]}, ensure_ascii=ensure_ascii).encode()
    return ord(text[index]), len(prefix) - 2


unicode_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@GENERATED
@given(
    texts=st.lists(
        unicode_text.filter(lambda t: any(ord(c) > 0xFF for c in t)), min_size=1, max_size=60
    ),
    ensure_ascii=st.booleans(),
)
def test_generated_unrepresentable_characters(
    json_image: JsonImage, texts: list[str], ensure_ascii: bool
) -> None:
    frames = [json.dumps({"code": t}, ensure_ascii=ensure_ascii).encode() for t in texts]
    for text, outcome in zip(texts, json_image.parse_render(frames), strict=True):
        assert outcome == Outcome(
            False, encoding_message(*first_unrepresentable_offset(text, ensure_ascii))
        )


def python_reading(frame: bytes) -> tuple[bool, Any]:
    """How a strict reader takes the frame: strict UTF-8, no NaN or Infinity."""
    try:
        return True, json.loads(frame.decode("utf-8"), parse_constant=_reject_constant)
    except ValueError as e:
        return False, str(e)


def check_against_python(frame: bytes, outcome: Outcome) -> None:
    """Either the same value as Python, or an error the image's limits account for."""
    readable, value = python_reading(frame)
    if not readable:
        assert not outcome.ok and outcome.text.startswith("bad_request: "), (frame, outcome, value)
        return
    if outcome.ok:
        assert same(outcome.value(), normalized(value)), (frame, outcome)
        return
    texts = list(strings_in(value))
    if outcome.text.startswith("encoding: "):
        assert any(ord(c) > 0xFF for t in texts for c in t), (frame, outcome)
    else:
        assert outcome.text.startswith("bad_request: "), (frame, outcome)
        assert (
            any(0xD800 <= ord(c) <= 0xDFFF for t in texts for c in t)
            or any(math.isinf(f) for f in floats_in(value))
            or depth(value) > 64
        ), (frame, outcome)


@st.composite
def mutated_frames(draw: st.DrawFn) -> bytes:
    frame = bytearray(dump_styles["compact"](draw(json_values)).encode())
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(frame)))
        match draw(st.sampled_from(["insert", "delete", "replace"])):
            case "insert":
                frame[at:at] = draw(st.binary(min_size=1, max_size=2))
            case "delete":
                del frame[at : at + 1]
            case "replace" if at < len(frame):
                frame[at] = draw(st.sampled_from(list(b'{}[],:"\\0-1.eE \x80\xc3\xff')))
            case _:
                pass
    return bytes(frame)


@GENERATED
@given(frames=st.lists(mutated_frames(), min_size=1, max_size=80))
def test_mutated_frames_agree_with_python(json_image: JsonImage, frames: list[bytes]) -> None:
    for frame, outcome in zip(frames, json_image.parse_render(frames), strict=True):
        check_against_python(frame, outcome)


# -- speed --------------------------------------------------------------------------------------


def timing_expression(action: str, repeats: int) -> str:
    return (
        f"| msg value t | msg := '{TYPICAL.decode()}'. value := StuiJson parse: msg. "
        f"t := Time millisecondClockValue. {repeats} timesRepeat: [{action}]. "
        "Time millisecondClockValue - t"
    )


def test_typical_request_is_fast(json_image: JsonImage) -> None:
    repeats = 10_000
    actions = {
        "parse + render": "StuiJson render: (StuiJson parse: msg)",
        "parse": "StuiJson parse: msg",
        "render": "StuiJson render: value",
    }
    rounds = 3  # the best of three: the machine may be busy with other work
    outcomes = json_image.evaluate(
        [timing_expression(a, repeats) for a in actions.values() for _ in range(rounds)]
    )
    millis = [int(o.text) for o in outcomes]
    micros = {
        name: min(millis[i * rounds : (i + 1) * rounds]) * 1000 / repeats
        for i, name in enumerate(actions)
    }
    print(f"\nStuiJson on a typical request, µs per message: {micros}", file=sys.stderr)
    # The target is well under 50 µs; the bound leaves room for a slow, busy machine.
    assert micros["parse + render"] < 200, micros
