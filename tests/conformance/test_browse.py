"""Browsing a real image: categories, classes, protocols, selectors, definitions,
hierarchies, method sources and class search."""

from __future__ import annotations

import pytest

from conformance.expected import Expectations
from stui.launcher.runtime import RuntimeInfo
from stui.protocol import NotFound
from stui.protocol.messages import (
    BrowseCategories,
    BrowseClasses,
    BrowseDefinition,
    BrowseFindClass,
    BrowseHierarchy,
    BrowseMethod,
    BrowseProtocols,
    BrowseSelectors,
    Categories,
    Classes,
    Compile,
    Compiled,
    Definition,
    Hierarchy,
    MethodSource,
    Protocols,
    Selectors,
    Side,
)
from stui.transport import ImageClient

pytestmark = pytest.mark.timeout(120)

CLIENT = "c-" + "9" * 32


def connection_to(image: RuntimeInfo) -> ImageClient:
    return ImageClient(image.address, image.token, CLIENT)


async def test_categories_classes_protocols_selectors_on_both_sides(
    running_image: RuntimeInfo,
) -> None:
    async with connection_to(running_image) as conn:
        cats = await conn.call(BrowseCategories())
        assert isinstance(cats, Categories)
        assert "Kernel-Objects" in cats.categories and "STUI-Ide" in cats.categories
        classes = await conn.call(BrowseClasses(category="Kernel-Objects"))
        assert isinstance(classes, Classes) and "Object" in classes.classes
        protocols = await conn.call(BrowseProtocols(class_="Object"))
        assert isinstance(protocols, Protocols) and "printing" in protocols.protocols
        sels = await conn.call(BrowseSelectors(class_="Object", protocol="printing"))
        assert isinstance(sels, Selectors)
        assert "printString" in sels.selectors and sels.selectors == sorted(sels.selectors)
        every = await conn.call(BrowseSelectors(class_="Object"))
        assert isinstance(every, Selectors) and len(every.selectors) > len(sels.selectors)
        meta = await conn.call(BrowseProtocols(class_="Object", side=Side.CLASS))
        assert isinstance(meta, Protocols) and meta.protocols
        meta_sels = await conn.call(BrowseSelectors(class_="Behavior", side=Side.CLASS))
        assert isinstance(meta_sels, Selectors)
        assert "printString" not in meta_sels.selectors


async def test_definition_and_hierarchy(running_image: RuntimeInfo, expect: Expectations) -> None:
    async with connection_to(running_image) as conn:
        d = await conn.call(BrowseDefinition(class_="OrderedCollection"))
        assert isinstance(d, Definition)
        assert d.definition.startswith("SequenceableCollection subclass: #OrderedCollection")
        assert d.superclass == "SequenceableCollection"
        assert d.category == "Collections-Sequenceable"
        assert d.instance_variables == ["array", "firstIndex", "lastIndex"]
        assert d.class_definition is not None
        h = await conn.call(BrowseHierarchy(class_="OrderedCollection"))
        assert isinstance(h, Hierarchy)
        above_object = expect.ide["object_superclasses"]
        assert h.superclasses == [*above_object, "Object", "Collection", "SequenceableCollection"]
        assert "SortedCollection" in h.subclasses
        root = await conn.call(BrowseHierarchy(class_="Object"))
        assert isinstance(root, Hierarchy) and root.superclasses == above_object


async def test_method_source_says_when_it_is_decompiled(
    running_image: RuntimeInfo, expect: Expectations
) -> None:
    async with connection_to(running_image) as conn:
        stock = await conn.call(BrowseMethod(class_="Object", selector="printString"))
        assert isinstance(stock, MethodSource)
        assert stock.decompiled is expect.ide["stock_method_decompiled"]
        assert stock.source.startswith("printString") and stock.protocol == "printing"
        assert (stock.stamp is not None) is expect.ide["stock_method_stamped"]
        source = 'stuiBrowsed\n\t"kept as typed"\n\t^ 1'
        compiled = await conn.call(
            Compile(class_="Object", side=Side.CLASS, category="stui", source=source)
        )
        assert isinstance(compiled, Compiled)
        mine = await conn.call(
            BrowseMethod(class_="Object", side=Side.CLASS, selector="stuiBrowsed")
        )
        assert isinstance(mine, MethodSource)
        assert mine.decompiled is False and mine.source == source and mine.side is Side.CLASS
        assert mine.author == "stui" and mine.timestamp and mine.stamp


async def test_find_class_by_substring_and_glob(running_image: RuntimeInfo) -> None:
    async with connection_to(running_image) as conn:
        found = await conn.call(BrowseFindClass(pattern="orderedcoll"))
        assert isinstance(found, Classes) and found.classes[0] == "OrderedCollection"
        glob = await conn.call(BrowseFindClass(pattern="*Stream", max=5))
        assert isinstance(glob, Classes) and len(glob.classes) == 5
        assert all(name.endswith("Stream") for name in glob.classes)
        none = await conn.call(BrowseFindClass(pattern="NoSuchClassAnywhere"))
        assert isinstance(none, Classes) and none.classes == []


async def test_unknown_names_are_not_found(running_image: RuntimeInfo) -> None:
    unknown = [
        BrowseClasses(category="No-Such-Category"),
        BrowseProtocols(class_="NoSuchClass"),
        BrowseSelectors(class_="Object", protocol="no such protocol"),
        BrowseDefinition(class_="Smalltalk"),  # a global that is not a class
        BrowseMethod(class_="Object", selector="noSuchSelectorAnywhere"),
        BrowseMethod(class_="lowercase", selector="x"),
    ]
    async with connection_to(running_image) as conn:
        for request in unknown:
            with pytest.raises(NotFound):
                await conn.call(request)
