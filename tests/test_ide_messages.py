"""Samples of the IDE messages (docs/protocol.md, "IDE operations") for the round-trip tests
of test_protocol_messages, and the wire shapes a server of another dialect must produce."""

from __future__ import annotations

import json

from stui.protocol import decode, encode
from stui.protocol.messages import (
    BrowseCategories,
    BrowseClasses,
    BrowseDefinition,
    BrowseFindClass,
    BrowseHierarchy,
    BrowseMethod,
    BrowseProtocols,
    BrowseRequest,
    BrowseSelectors,
    Categories,
    Change,
    ChangeKind,
    Changes,
    ChangesList,
    ChangesReplay,
    ClassDefine,
    ClassDefined,
    Classes,
    ClassRemove,
    Compile,
    Compiled,
    CompileError,
    Complete,
    Completion,
    Completions,
    Definition,
    Element,
    Field,
    Hierarchy,
    Inspect,
    Inspection,
    InspectionPage,
    InspectKind,
    InspectPage,
    InspectRequest,
    MethodRef,
    MethodRefs,
    MethodRemove,
    MethodSource,
    ObjectView,
    Protocols,
    Release,
    Released,
    Removed,
    Replayed,
    ReplayFailure,
    Save,
    Saved,
    SearchImplementors,
    SearchReferences,
    SearchSenders,
    Selectors,
    Side,
    Subscribed,
    TranscriptSubscribe,
    TranscriptUnsubscribe,
    ValueRef,
)

REF = ValueRef(handle=3, class_="Array", print="(1 2)")
LEAF = ValueRef(handle=None, class_="SmallInteger", print="1")
VIEW = ObjectView(
    handle=2,
    class_="OrderedCollection",
    print="an OrderedCollection(1)",
    kind=InspectKind.SEQUENCE,
    fields=[Field(name="array", value=REF)],
    size=1,
    elements=[Element(index=1, value=LEAF)],
)

IDE_REQUESTS = [
    Inspect(id=1, session="s-1", handle=2),
    Inspect(id=1, session="s-1", handle=2, offset=100, count=10),
    InspectPage(id=2, session="s-1", handle=2, offset=100),
    Release(id=3, session="s-1"),
    Release(id=3, session="s-1", handles=[1, 2]),
    BrowseCategories(id=4),
    BrowseClasses(id=5, category="Kernel-Objects"),
    BrowseProtocols(id=6, class_="Object", side=Side.CLASS),
    BrowseSelectors(id=7, class_="Object", protocol="printing"),
    BrowseDefinition(id=8, class_="Object"),
    BrowseHierarchy(id=9, class_="Object"),
    BrowseMethod(id=10, class_="Object", selector="printOn:"),
    BrowseFindClass(id=11, pattern="*Stream", max=5),
    Compile(id=12, class_="Object", category="x", source="foo\n\t^ 1"),
    ClassDefine(id=13, definition="Object subclass: #Foo ..."),
    MethodRemove(id=14, class_="Object", selector="foo"),
    ClassRemove(id=15, class_="Foo"),
    Save(id=16),
    ChangesList(id=17, source=False),
    ChangesReplay(id=18),
    SearchSenders(id=19, selector="printOn:"),
    SearchImplementors(id=20, selector="printOn:", max=10),
    SearchReferences(id=21, name="Transcript"),
    Complete(id=22, code="Transcript sh", session="s-1", max=5),
    TranscriptSubscribe(id=23),
    TranscriptUnsubscribe(id=24),
]

IDE_INCOMING = [
    Inspection(id=1, object=VIEW),
    InspectionPage(
        id=2, handle=2, size=1, offset=0, elements=[Element(index=1, key=LEAF, value=REF)]
    ),
    Released(id=3, released=2, remaining=0),
    Categories(id=4, categories=["Kernel-Objects"]),
    Classes(id=5, classes=["Object"]),
    Protocols(id=6, protocols=["printing"]),
    Selectors(id=7, selectors=["printOn:"]),
    Definition(id=8, class_="Foo", definition="Object subclass: #Foo", superclass="Object"),
    Hierarchy(id=9, class_="Foo", superclasses=["Object"], subclasses=[]),
    MethodSource(id=10, class_="Object", selector="foo", source="foo", stamp="stui 1/1/2026 10:00"),
    Compiled(id=12, class_="Object", selector="foo", protocol="x", created=True),
    CompileError(id=12, message="Argument expected", position=14),
    ClassDefined(id=13, class_="Foo", created=True, definition="Object subclass: #Foo"),
    Removed(id=14, kind="method", name="Object>>foo"),
    Saved(id=16, image_path="/x/a.image", elapsed_ms=40),
    Changes(
        id=17,
        unsaved=True,
        changes=[
            Change(index=1, position=100, kind=ChangeKind.METHOD, class_="Foo", side=Side.INSTANCE)
        ],
    ),
    Replayed(
        id=18, applied=[1], skipped=2, failed=[ReplayFailure(index=3, message="no class Bar")]
    ),
    MethodRefs(
        id=19,
        total=1,
        refs=[MethodRef(class_="Object", selector="printString", protocol="printing")],
    ),
    Completions(id=22, items=[Completion(text="show:", kind="keyword")]),
    Subscribed(id=23, subscribed=True),
    InspectRequest(session="s-1", handle=4, class_="Point", print="3@4"),
    BrowseRequest(class_="Object", side=Side.CLASS),
]


def test_class_fields_are_named_class_on_the_wire() -> None:
    wire = json.loads(encode(BrowseMethod(id=1, class_="Object", selector="x")))
    assert wire == {
        "type": "browse.method",
        "id": 1,
        "class": "Object",
        "side": "instance",
        "selector": "x",
    }
    view = json.loads(encode(Inspection(id=1, object=VIEW)))["object"]
    assert view["class"] == "OrderedCollection" and view["elements"][0]["value"]["handle"] is None


def test_a_reply_of_the_image_decodes() -> None:
    frame = (
        b'{"type":"method","id":7,"class":"Object","side":"class","selector":"new",'
        b'"protocol":"instance creation","source":"new\\n\\t^ self basicNew","decompiled":true,'
        b'"stamp":null,"author":null,"timestamp":null}'
    )
    reply = decode(frame)
    assert isinstance(reply, MethodSource)
    assert reply.side is Side.CLASS and reply.decompiled and reply.stamp is None
