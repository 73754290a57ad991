"""Senders, implementors, references and completion (docs/protocol.md, "IDE operations")."""

from __future__ import annotations

from stui.protocol import messages as m
from stui.tools.replies import expect
from stui.transport import ImageClient


async def senders(client: ImageClient, selector: str, limit: int = 1000) -> m.MethodRefs:
    reply = await client.call(m.SearchSenders(selector=selector, max=limit))
    return expect(reply, m.MethodRefs)


async def implementors(client: ImageClient, selector: str, limit: int = 1000) -> m.MethodRefs:
    reply = await client.call(m.SearchImplementors(selector=selector, max=limit))
    return expect(reply, m.MethodRefs)


async def references(client: ImageClient, name: str, limit: int = 1000) -> m.MethodRefs:
    reply = await client.call(m.SearchReferences(name=name, max=limit))
    return expect(reply, m.MethodRefs)


async def complete(
    client: ImageClient, code: str, session: str | None = None, limit: int = 20
) -> list[m.Completion]:
    """Ranked completions of the word that ends `code` (the text before the cursor)."""
    request = m.Complete(code=code, max=limit)
    if session is not None:
        request = m.Complete(code=code, max=limit, session=session)
    return expect(await client.call(request), m.Completions).items


def ref_name(ref: m.MethodRef) -> str:
    """Class>>selector, or Class class>>selector for the class side."""
    side = " class" if ref.side is m.Side.CLASS else ""
    return f"{ref.class_}{side}>>{ref.selector}"
