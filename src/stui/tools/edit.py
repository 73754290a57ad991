"""Changing code in an image: compile a method, define or remove a class, remove a method
(docs/protocol.md, "IDE operations"). A refused change answers its CompileError."""

from __future__ import annotations

from stui.protocol import messages as m
from stui.tools.replies import expect
from stui.transport import ImageClient


async def compile_method(
    client: ImageClient,
    cls: str,
    source: str,
    side: m.Side = m.Side.INSTANCE,
    category: str | None = None,
) -> m.Compiled | m.CompileError:
    """Install a method; a syntax error answers CompileError and changes nothing."""
    request = m.Compile(class_=cls, side=side, source=source)
    if category is not None:
        request = m.Compile(class_=cls, side=side, source=source, category=category)
    reply = await client.call(request)
    if isinstance(reply, m.CompileError):
        return reply
    return expect(reply, m.Compiled)


async def define_class(client: ImageClient, definition: str) -> m.ClassDefined | m.CompileError:
    reply = await client.call(m.ClassDefine(definition=definition))
    if isinstance(reply, m.CompileError):
        return reply
    return expect(reply, m.ClassDefined)


async def remove_method(
    client: ImageClient, cls: str, selector: str, side: m.Side = m.Side.INSTANCE
) -> m.Removed:
    reply = await client.call(m.MethodRemove(class_=cls, side=side, selector=selector))
    return expect(reply, m.Removed)


async def remove_class(client: ImageClient, cls: str) -> m.Removed:
    return expect(await client.call(m.ClassRemove(class_=cls)), m.Removed)
