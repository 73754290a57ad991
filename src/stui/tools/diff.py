"""Comparing the code of two images (docs/cross-image.md, "Comparing code").

Each image hashes its class definitions and method sources itself (`code.digest`); the
client compares the hashes, asks for each method's hash only in the classes whose
hashes differ, and fetches only the sources whose hashes differ. A pair of sources
that turns out equal (say, one image holds the source and the other only the compiled
method) is not a difference.
"""

from __future__ import annotations

import asyncio
import difflib
from dataclasses import dataclass, field

import msgspec

from stui.errors import Refused
from stui.protocol import NotFound
from stui.protocol import messages as m
from stui.tools import browse
from stui.tools.code_scope import CodeScope, method_name
from stui.tools.replies import expect
from stui.transport import ImageClient
from stui.workbench import Workbench


class ClassAdded(msgspec.Struct, frozen=True, tag="class_added"):
    """A class that only the second image has."""

    class_name: str
    after: str  # its definition


class ClassRemoved(msgspec.Struct, frozen=True, tag="class_removed"):
    """A class that only the first image has."""

    class_name: str
    before: str


class DefinitionChanged(msgspec.Struct, frozen=True, tag="definition_changed"):
    class_name: str
    before: str
    after: str


class MethodAdded(msgspec.Struct, frozen=True, tag="method_added"):
    class_name: str
    side: m.Side
    selector: str
    after: str  # its source


class MethodRemoved(msgspec.Struct, frozen=True, tag="method_removed"):
    class_name: str
    side: m.Side
    selector: str
    before: str


class MethodChanged(msgspec.Struct, frozen=True, tag="method_changed"):
    class_name: str
    side: m.Side
    selector: str
    before: str
    after: str


Difference = (
    ClassAdded | ClassRemoved | DefinitionChanged | MethodAdded | MethodRemoved | MethodChanged
)


@dataclass
class CodeDiff:
    """What differs from image `a` to image `b`, and what it took to find out."""

    a: str
    b: str
    scope: CodeScope
    differences: list[Difference] = field(default_factory=list)
    classes_compared: int = 0
    sources_fetched: int = 0  # method sources and definitions that travelled


IN_FLIGHT = 32  # requests for sources or definitions in flight to one pair of images


class NoDigest(Refused):
    """An image that cannot hash its code (its server has no code.digest)."""

    code = "unsupported"


async def diff(wb: Workbench, a: str, b: str, scope: CodeScope) -> CodeDiff:
    """Compare the code of image `a` with image `b` within `scope`."""
    client_a, client_b = await asyncio.gather(wb.client(a), wb.client(b))
    return await diff_clients(client_a, client_b, scope, a, b)


async def diff_clients(
    a: ImageClient, b: ImageClient, scope: CodeScope, a_name: str = "a", b_name: str = "b"
) -> CodeDiff:
    result = CodeDiff(a_name, b_name, scope)
    for client, name in ((a, a_name), (b, b_name)):
        if not client.offers(m.CodeDigest()):
            raise NoDigest(f"{name} cannot compare code: its server does not offer code.digest")
    fetch = Fetcher()
    if scope.is_method:
        await _diff_method(a, b, scope, fetch, result)
    else:
        await _diff_classes(a, b, scope, fetch, result)
    result.sources_fetched = fetch.count
    result.differences.sort(key=_order)
    return result


class Fetcher:
    """Reads sources and definitions, a bounded number at a time, and counts them."""

    def __init__(self) -> None:
        self.count = 0
        self._slots = asyncio.Semaphore(IN_FLIGHT)

    async def source(
        self, client: ImageClient | None, cls: str, side: m.Side, selector: str
    ) -> str | None:
        """A method's source; None without a client or when the image has no such method."""
        if client is None:
            return None
        async with self._slots:
            self.count += 1
            try:
                return (await browse.method(client, cls, selector, side)).source
            except NotFound:
                return None

    async def definition(self, client: ImageClient | None, name: str) -> str | None:
        """A class's definition text; None without a client or when there is no class."""
        if client is None:
            return None
        async with self._slots:
            self.count += 1
            try:
                return definition_text(await browse.definition(client, name))
            except NotFound:
                return None


def name_of(difference: Difference) -> str:
    """The class, or Class>>selector, a difference is about."""
    match difference:
        case (
            ClassAdded(class_name=c) | ClassRemoved(class_name=c) | DefinitionChanged(class_name=c)
        ):
            return c
        case MethodAdded() | MethodRemoved() | MethodChanged():
            return method_name(difference.class_name, difference.side, difference.selector)


def texts(difference: Difference) -> tuple[str, str]:
    """The text before (in a) and after (in b); empty where one side has none."""
    match difference:
        case ClassAdded(after=after) | MethodAdded(after=after):
            return "", after
        case ClassRemoved(before=before) | MethodRemoved(before=before):
            return before, ""
        case (
            DefinitionChanged(before=before, after=after)
            | MethodChanged(before=before, after=after)
        ):
            return before, after


def unified(difference: Difference, a: str = "a", b: str = "b") -> str:
    """A unified diff of the sources (or definitions), labelled a:NAME and b:NAME."""
    before, after = texts(difference)
    name = name_of(difference)
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        f"{a}:{name}" if before else "/dev/null",
        f"{b}:{name}" if after else "/dev/null",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


# ------------------------------------------------------------------------- methods


async def _diff_method(
    a: ImageClient, b: ImageClient, scope: CodeScope, fetch: Fetcher, out: CodeDiff
) -> None:
    assert scope.class_name is not None and scope.selector is not None
    before, after = await asyncio.gather(
        fetch.source(a, scope.class_name, scope.side, scope.selector),
        fetch.source(b, scope.class_name, scope.side, scope.selector),
    )
    out.classes_compared = 1
    difference = _method_difference(scope.class_name, scope.side, scope.selector, before, after)
    if difference is not None:
        out.differences.append(difference)


def _method_difference(
    cls: str, side: m.Side, selector: str, before: str | None, after: str | None
) -> Difference | None:
    if before == after:
        return None
    if before is None:
        return MethodAdded(cls, side, selector, after or "")
    if after is None:
        return MethodRemoved(cls, side, selector, before)
    return MethodChanged(cls, side, selector, before, after)


# ------------------------------------------------------------------------- classes


async def _diff_classes(
    a: ImageClient, b: ImageClient, scope: CodeScope, fetch: Fetcher, out: CodeDiff
) -> None:
    digest_a, digest_b = await asyncio.gather(
        _digest(a, scope.digest_request()), _digest(b, scope.digest_request())
    )
    same_hash = digest_a.algorithm == digest_b.algorithm
    in_a = {c.class_: c for c in digest_a.classes}
    in_b = {c.class_: c for c in digest_b.classes}
    if scope.category is not None:  # a class that changed category is not added or removed
        await _complete(a, in_a, [n for n in in_b if n not in in_a])
        await _complete(b, in_b, [n for n in in_a if n not in in_b])
    out.classes_compared = len(in_a.keys() | in_b.keys())
    definitions: list[str] = []
    methods: list[str] = []
    for name in sorted(in_a.keys() | in_b.keys()):
        ca, cb = in_a.get(name), in_b.get(name)
        if ca is None or cb is None or not same_hash or ca.definition != cb.definition:
            definitions.append(name)
        if ca is not None and cb is not None and (not same_hash or ca.methods != cb.methods):
            methods.append(name)
    await asyncio.gather(
        _diff_definitions(a, b, definitions, in_a, in_b, fetch, out),
        _diff_methods(a, b, methods, same_hash, fetch, out),
    )


async def _digest(client: ImageClient, request: m.CodeDigest) -> m.Digest:
    return expect(await client.call(request), m.Digest)


async def _complete(client: ImageClient, known: dict[str, m.ClassDigest], names: list[str]) -> None:
    """Add the digests of named classes found outside the scope's categories."""
    if names:
        for found in (await _digest(client, m.CodeDigest(classes=names))).classes:
            known[found.class_] = found


async def _diff_definitions(
    a: ImageClient,
    b: ImageClient,
    names: list[str],
    in_a: dict[str, m.ClassDigest],
    in_b: dict[str, m.ClassDigest],
    fetch: Fetcher,
    out: CodeDiff,
) -> None:
    async def one(name: str) -> None:
        before, after = await asyncio.gather(
            fetch.definition(a if name in in_a else None, name),
            fetch.definition(b if name in in_b else None, name),
        )
        if before == after:
            return
        if before is None:
            out.differences.append(ClassAdded(name, after or ""))
        elif after is None:
            out.differences.append(ClassRemoved(name, before))
        else:
            out.differences.append(DefinitionChanged(name, before, after))

    await asyncio.gather(*(one(name) for name in names))


def definition_text(definition: m.Definition) -> str:
    """The class definition, then the class side's when it declares class-instance
    variables."""
    side = definition.class_definition
    if side and not side.rstrip().endswith("instanceVariableNames: ''"):
        return f"{definition.definition}\n\n{side}"
    return definition.definition


async def _diff_methods(
    a: ImageClient,
    b: ImageClient,
    names: list[str],
    same_hash: bool,
    fetch: Fetcher,
    out: CodeDiff,
) -> None:
    if not names:
        return
    request = m.CodeDigest(classes=names, methods=True)
    digest_a, digest_b = await asyncio.gather(_digest(a, request), _digest(b, request))
    in_b = {c.class_: c for c in digest_b.classes}
    pairs = []
    for ca in digest_a.classes:
        cb = in_b.get(ca.class_)
        if cb is None:
            continue
        for side, ma, mb in (
            (m.Side.INSTANCE, ca.instance_methods or {}, cb.instance_methods or {}),
            (m.Side.CLASS, ca.class_methods or {}, cb.class_methods or {}),
        ):
            for selector in sorted(ma.keys() | mb.keys()):
                if not same_hash or ma.get(selector) != mb.get(selector):
                    pairs.append((ca.class_, side, selector, selector in ma, selector in mb))

    async def one(cls: str, side: m.Side, selector: str, has_a: bool, has_b: bool) -> None:
        before, after = await asyncio.gather(
            fetch.source(a if has_a else None, cls, side, selector),
            fetch.source(b if has_b else None, cls, side, selector),
        )
        difference = _method_difference(cls, side, selector, before, after)
        if difference is not None:
            out.differences.append(difference)

    await asyncio.gather(*(one(*pair) for pair in pairs))


_KIND_ORDER = {
    "class_removed": 0,
    "class_added": 1,
    "definition_changed": 2,
    "method_removed": 3,
    "method_added": 4,
    "method_changed": 5,
}


def _order(difference: Difference) -> tuple[str, int, str, str]:
    tag = type(difference).__struct_config__.tag
    match difference:
        case MethodAdded() | MethodRemoved() | MethodChanged():
            return (
                difference.class_name,
                _KIND_ORDER[str(tag)],
                difference.side,
                difference.selector,
            )
        case _:
            return difference.class_name, _KIND_ORDER[str(tag)], "", ""
