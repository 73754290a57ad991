"""Copying code from one image to another (docs/cross-image.md, "Copying code").

A copy is a diff from `a` to `b` applied to `b`: what `b` lacks is created, what differs
is overwritten only with `force`, and what `b` alone has is left alone. Class
definitions come first, superclasses before subclasses, then the methods, each with
its protocol in `a`. Every change goes through `b`'s own compile and class definition
requests, so it lands in `b`'s change log like any compile.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import msgspec

from stui.errors import StuiError
from stui.protocol import EvaluationFailed, NotFound
from stui.protocol import messages as m
from stui.tools import browse, edit
from stui.tools.code_scope import CodeScope, method_name
from stui.tools.diff import (
    ClassRemoved,
    DefinitionChanged,
    MethodChanged,
    MethodRemoved,
    diff_clients,
)
from stui.tools.replies import expect
from stui.transport import ImageClient
from stui.workbench import Workbench


class DefineClass(msgspec.Struct, frozen=True, tag="define_class"):
    class_name: str
    definition: str
    replaces: bool  # b has the class with another definition
    depth: int = 0  # superclasses above it in a: the order of definitions


class DefineClassSide(msgspec.Struct, frozen=True, tag="define_class_side"):
    """The class side's definition (its class-instance variables)."""

    class_name: str
    definition: str
    replaces: bool


class CompileMethod(msgspec.Struct, frozen=True, tag="compile_method"):
    class_name: str
    side: m.Side
    selector: str
    source: str
    protocol: str | None
    replaces: bool  # b has the method with another source
    decompiled: bool = False  # a holds no source: this is its decompiled text


CopyStep = DefineClass | DefineClassSide | CompileMethod


@dataclass
class CopyReport:
    """The steps of a copy in the order they run; `applied` counts those done."""

    a: str
    b: str
    scope: CodeScope
    steps: list[CopyStep] = field(default_factory=list)
    applied: int = 0
    dry_run: bool = False
    failure: str | None = None  # why the step after the applied ones failed

    @property
    def conflicts(self) -> list[CopyStep]:
        """Steps that would overwrite code b has differently."""
        return [s for s in self.steps if s.replaces]


class CopyConflict(StuiError):
    """b has different code for what the copy would write, and `force` was not given."""


class CopyImpossible(StuiError):
    """A class to copy has a superclass that b lacks and the copy does not bring."""


async def copy(
    wb: Workbench,
    a: str,
    b: str,
    scope: CodeScope,
    force: bool = False,
    dry_run: bool = False,
) -> CopyReport:
    """Copy the code in `scope` from image `a` into image `b`.

    Refuses (CopyConflict, nothing changed) to overwrite a method or a class definition
    that differs in b unless `force`; `dry_run` answers the steps without running them.
    """
    client_a, client_b = await asyncio.gather(wb.client(a), wb.client(b))
    report = await plan(client_a, client_b, scope, a, b)
    report.dry_run = dry_run
    if dry_run:
        return report
    if report.conflicts and not force:
        raise CopyConflict(_conflict_message(report))
    await apply(client_b, report)
    return report


def step_name(step: CopyStep) -> str:
    match step:
        case DefineClass(class_name=name):
            return name
        case DefineClassSide(class_name=name):
            return f"{name} class"
        case CompileMethod(class_name=name, side=side, selector=selector):
            return method_name(name, side, selector)


# ------------------------------------------------------------------------- planning


async def plan(
    a: ImageClient, b: ImageClient, scope: CodeScope, a_name: str = "a", b_name: str = "b"
) -> CopyReport:
    """The steps that make b's code in scope like a's (b's extra code stays)."""
    found = await diff_clients(a, b, scope, a_name, b_name)
    report = CopyReport(a_name, b_name, scope)
    new_classes = [d.class_name for d in found.differences if isinstance(d, ClassRemoved)]
    changed = [d.class_name for d in found.differences if isinstance(d, DefinitionChanged)]
    methods = [
        (d.class_name, d.side, d.selector, isinstance(d, MethodChanged))
        for d in found.differences
        if isinstance(d, MethodRemoved | MethodChanged)
    ]
    methods += await _methods_of(a, new_classes)
    if scope.is_method and methods and not await _has_class(b, methods[0][0]):
        new_classes.append(methods[0][0])  # the class first, then only this method
    definitions = await asyncio.gather(
        *(_definition_steps(a, b, name, name in changed) for name in [*new_classes, *changed])
    )
    classes = sorted((s for steps in definitions for s in steps), key=_definition_order)
    await _check_superclasses(a, b, [s for s in classes if isinstance(s, DefineClass)], b_name)
    compiles = await asyncio.gather(*(_compile_step(a, *method) for method in methods))
    report.steps = [*classes, *sorted(compiles, key=_method_order)]
    return report


async def _has_class(client: ImageClient, name: str) -> bool:
    try:
        await browse.definition(client, name)
    except NotFound:
        return False
    return True


async def _methods_of(
    client: ImageClient, classes: list[str]
) -> list[tuple[str, m.Side, str, bool]]:
    """Every method (both sides) of classes that b lacks: all of them are new there."""
    if not classes:
        return []
    reply = expect(await client.call(m.CodeDigest(classes=classes, methods=True)), m.Digest)
    return [
        (c.class_, side, selector, False)
        for c in reply.classes
        for side, selectors in (
            (m.Side.INSTANCE, c.instance_methods or {}),
            (m.Side.CLASS, c.class_methods or {}),
        )
        for selector in selectors
    ]


async def _definition_steps(
    a: ImageClient, b: ImageClient, name: str, in_b: bool
) -> list[CopyStep]:
    """Define the class as a has it, and its class side where that differs from b's."""
    mine, hierarchy = await asyncio.gather(browse.definition(a, name), browse.hierarchy(a, name))
    theirs = await browse.definition(b, name) if in_b else None
    steps: list[CopyStep] = []
    depth = len(hierarchy.superclasses)
    if theirs is None or theirs.definition != mine.definition:
        steps.append(DefineClass(name, mine.definition, theirs is not None, depth))
    side, their_side = mine.class_definition, theirs.class_definition if theirs else None
    if side and side != their_side and (theirs is not None or _declares_variables(side)):
        steps.append(DefineClassSide(name, side, theirs is not None))
    return steps


def _declares_variables(class_definition: str) -> bool:
    return not class_definition.rstrip().endswith("instanceVariableNames: ''")


async def _check_superclasses(
    a: ImageClient, b: ImageClient, defines: list[DefineClass], b_name: str
) -> None:
    """Refuse up front a class whose superclass b lacks and the copy does not bring."""
    brought = {d.class_name for d in defines}
    for step in defines:
        if step.replaces:
            continue
        superclass = (await browse.definition(a, step.class_name)).superclass
        if superclass and superclass not in brought and not await _has_class(b, superclass):
            raise CopyImpossible(
                f"{step.class_name}'s superclass {superclass} is not in {b_name}; "
                f"copy {superclass} first, or the category that holds both"
            )


async def _compile_step(
    a: ImageClient, cls: str, side: m.Side, selector: str, replaces: bool
) -> CompileMethod:
    found = await browse.method(a, cls, selector, side)
    return CompileMethod(
        cls, side, selector, found.source, found.protocol, replaces, found.decompiled
    )


def _definition_order(step: CopyStep) -> tuple[int, str, int]:
    """Superclasses first; a class's own definition before its class side's."""
    match step:
        case DefineClass(depth=depth, class_name=name):
            return depth, name, 0
        case DefineClassSide(class_name=name):
            return 1 << 16, name, 1
        case CompileMethod(class_name=name):
            return 1 << 17, name, 2


def _method_order(step: CompileMethod) -> tuple[str, str, str]:
    return step.class_name, step.side, step.selector


def _conflict_message(report: CopyReport) -> str:
    names = [step_name(s) for s in report.conflicts]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (
        f"{report.b} has different code for {shown}; nothing was copied. "
        "Overwrite with --force; see every change with --dry-run"
    )


# ------------------------------------------------------------------------- applying


async def apply(b: ImageClient, report: CopyReport) -> None:
    """Run the steps in order; stop at the first that b refuses and say why."""
    for step in report.steps:
        failure = await _apply_one(b, step)
        if failure is not None:
            report.failure = f"{step_name(step)}: {failure}"
            return
        report.applied += 1


async def _apply_one(b: ImageClient, step: CopyStep) -> str | None:
    """None when b took the step, else b's reason."""
    match step:
        case DefineClass(definition=definition):
            reply = await edit.define_class(b, definition)
        case DefineClassSide(definition=definition):
            try:
                await b.evaluate(definition, m.EvalMode.DO)
            except EvaluationFailed as e:
                return e.error.message
            return None
        case CompileMethod(class_name=cls, side=side, source=source, protocol=protocol):
            reply = await edit.compile_method(b, cls, source, side, protocol)
    return reply.message if isinstance(reply, m.CompileError) else None
