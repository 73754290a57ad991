"""What part of an image's code a cross-image operation covers: one method, one class,
the classes of matching categories, or every class (docs/cross-image.md)."""

from __future__ import annotations

import re

import msgspec

from stui.errors import InvalidInput
from stui.protocol import messages as m

_CLASS = re.compile(r"[A-Z][A-Za-z0-9_]*")
_SELECTOR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|([A-Za-z_][A-Za-z0-9_]*:)+|[-+*/\\<>=~@%|&?,!]+")


class CodeScope(msgspec.Struct, frozen=True):
    """`class_name` alone: a class; with `selector`: one method on `side`; `category`:
    the classes of the categories matching a pattern; nothing: every class."""

    class_name: str | None = None
    side: m.Side = m.Side.INSTANCE
    selector: str | None = None
    category: str | None = None

    @property
    def is_method(self) -> bool:
        return self.selector is not None

    def digest_request(self, methods: bool = False) -> m.CodeDigest:
        """The code.digest request for this scope (a method scope: its class)."""
        if self.class_name is not None:
            return m.CodeDigest(classes=[self.class_name], methods=methods)
        if self.category is not None:
            return m.CodeDigest(category=self.category, methods=methods)
        return m.CodeDigest(methods=methods)

    def describe(self) -> str:
        if self.selector is not None:
            return method_name(self.class_name or "", self.side, self.selector)
        if self.class_name is not None:
            return self.class_name
        if self.category is not None:
            return f"categories matching {self.category!r}"
        return "every class"


def parse_scope(
    target: str | None, category: str | None, every: bool, every_allowed: bool = True
) -> CodeScope:
    """The scope a command names: CLASS, CLASS>>SELECTOR or 'CLASS class>>SELECTOR';
    --category PATTERN; or --all (where `every_allowed`). Exactly one, else InvalidInput."""
    given = sum((target is not None, category is not None, every))
    if given != 1 or (every and not every_allowed):
        choices = "CLASS, CLASS>>SELECTOR, --category PATTERN" + (
            " or --all" if every_allowed else ""
        )
        raise InvalidInput(f"name one of {choices}")
    if category is not None:
        if not category.strip():
            raise InvalidInput("--category needs a pattern, e.g. 'Kernel-*'")
        return CodeScope(category=category.strip())
    if target is None:
        return CodeScope()
    return parse_target(target)


def parse_target(text: str) -> CodeScope:
    """CLASS, CLASS>>SELECTOR or 'CLASS class>>SELECTOR' (the class side)."""
    name, sep, selector = text.strip().partition(">>")
    name = name.strip()
    side = m.Side.INSTANCE
    if name.endswith(" class"):
        side, name = m.Side.CLASS, name.removesuffix(" class").strip()
    if not _CLASS.fullmatch(name):
        raise InvalidInput(f"not a class name: {name!r} (expected e.g. OrderedCollection)")
    if not sep:
        if side is m.Side.CLASS:
            raise InvalidInput(f"{text!r}: name a method of the class side, e.g. 'Foo class>>new'")
        return CodeScope(class_name=name)
    selector = selector.strip()
    if not _SELECTOR.fullmatch(selector):
        raise InvalidInput(f"not a selector: {selector!r} (expected e.g. at:put:)")
    return CodeScope(class_name=name, side=side, selector=selector)


def method_name(class_name: str, side: m.Side, selector: str) -> str:
    """Class>>selector, or Class class>>selector for the class side."""
    return f"{class_name}{' class' if side is m.Side.CLASS else ''}>>{selector}"
