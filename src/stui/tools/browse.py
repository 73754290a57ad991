"""Browsing an image: categories, classes, protocols, selectors, definitions, hierarchies,
method sources and class search (docs/protocol.md, "IDE operations")."""

from __future__ import annotations

from dataclasses import dataclass

from stui.protocol import messages as m
from stui.tools.replies import expect
from stui.transport import ImageClient


@dataclass(frozen=True)
class ClassSummary:
    """What `stui browse CLASS` shows: the definition and every protocol's selectors."""

    definition: m.Definition
    instance_protocols: dict[str, list[str]]
    class_protocols: dict[str, list[str]]


async def categories(client: ImageClient) -> list[str]:
    return expect(await client.call(m.BrowseCategories()), m.Categories).categories


async def classes(client: ImageClient, category: str) -> list[str]:
    return expect(await client.call(m.BrowseClasses(category=category)), m.Classes).classes


async def find_class(client: ImageClient, pattern: str, limit: int = 100) -> list[str]:
    reply = await client.call(m.BrowseFindClass(pattern=pattern, max=limit))
    return expect(reply, m.Classes).classes


async def protocols(client: ImageClient, cls: str, side: m.Side = m.Side.INSTANCE) -> list[str]:
    reply = await client.call(m.BrowseProtocols(class_=cls, side=side))
    return expect(reply, m.Protocols).protocols


async def selectors(
    client: ImageClient, cls: str, side: m.Side = m.Side.INSTANCE, protocol: str | None = None
) -> list[str]:
    request = m.BrowseSelectors(class_=cls, side=side)
    if protocol is not None:
        request = m.BrowseSelectors(class_=cls, side=side, protocol=protocol)
    return expect(await client.call(request), m.Selectors).selectors


async def definition(client: ImageClient, cls: str) -> m.Definition:
    return expect(await client.call(m.BrowseDefinition(class_=cls)), m.Definition)


async def hierarchy(client: ImageClient, cls: str) -> m.Hierarchy:
    return expect(await client.call(m.BrowseHierarchy(class_=cls)), m.Hierarchy)


async def method(
    client: ImageClient, cls: str, selector: str, side: m.Side = m.Side.INSTANCE
) -> m.MethodSource:
    reply = await client.call(m.BrowseMethod(class_=cls, side=side, selector=selector))
    return expect(reply, m.MethodSource)


async def class_summary(client: ImageClient, cls: str) -> ClassSummary:
    """The definition, then protocol by protocol the selectors of both sides."""
    found = await definition(client, cls)
    sides = {}
    for side in (m.Side.INSTANCE, m.Side.CLASS):
        sides[side] = {
            p: await selectors(client, found.class_, side, p)
            for p in await protocols(client, found.class_, side)
        }
    return ClassSummary(found, sides[m.Side.INSTANCE], sides[m.Side.CLASS])
