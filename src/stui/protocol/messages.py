"""Every message of docs/protocol.md as a tagged msgspec Struct.

The JSON field ``type`` selects the variant; code branches on it with ``match``.
Requests leave an optional field out of the frame when it is UNSET (so the image
applies its default); responses read an absent optional field as None. Unknown
fields are ignored in both directions.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType, field

from stui.protocol.limits import MAX_FRAME, MAX_PRINT

# An instant in UTC: "2026-11-22T02:10:00Z", optionally with a fraction of a second.
# Checked when a frame is decoded (not when a Struct is built in Python).
Timestamp = Annotated[
    str,
    msgspec.Meta(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$"),
]

# An image or instance id: what the client stores and names files by (docs/protocol.md,
# "Ids"). An image that reports another shape is refused at hello, alone.
ExternalId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]


class EvalMode(StrEnum):
    DO = "do"
    PRINT = "print"
    INSPECT = "inspect"  # answers `inspection` instead of `result`; needs a session
    DEBUG = "debug"  # debug it: `suspended` before the first statement; needs a session


class Side(StrEnum):
    """Which side of a class: its instances' methods or the class's own."""

    INSTANCE = "instance"
    CLASS = "class"


class EvalErrorKind(StrEnum):
    SYNTAX = "syntax"
    RUNTIME = "runtime"
    INTERRUPTED = "interrupted"


class CleanupScope(StrEnum):
    ORPHANED = "orphaned"
    EXPIRED = "expired"
    OLDER_THAN = "older_than"


class Message(msgspec.Struct, tag_field="type", frozen=True, kw_only=True):
    """Base of every wire variant; ``type`` is its tag."""


# --------------------------------------------------------------------------- requests


class Hello(Message, tag="hello", kw_only=True):
    id: int = 0
    client_id: str
    protocol: str
    token: str


class Ping(Message, tag="ping", kw_only=True):
    id: int = 0


class Evaluate(Message, tag="evaluate", kw_only=True):
    id: int = 0
    code: str
    mode: EvalMode = EvalMode.PRINT
    session: str | UnsetType = UNSET
    max_print: int | UnsetType = UNSET
    receiver: int | UnsetType = UNSET  # a handle of the session: ``self`` in the code
    debug: bool | UnsetType = UNSET  # an error or a halt answers ``suspended`` (needs session)


class Interrupt(Message, tag="interrupt", kw_only=True):
    id: int = 0
    session: str | UnsetType = UNSET


class SessionCreate(Message, tag="session.create", kw_only=True):
    id: int = 0
    label: str | UnsetType = UNSET


class SessionAttach(Message, tag="session.attach", kw_only=True):
    id: int = 0
    session: str


class SessionClose(Message, tag="session.close", kw_only=True):
    id: int = 0
    session: str


class SessionList(Message, tag="session.list", kw_only=True):
    id: int = 0
    include_orphaned: bool = False


class SessionStats(Message, tag="session.stats", kw_only=True):
    id: int = 0


class SessionCleanup(Message, tag="session.cleanup", kw_only=True):
    id: int = 0
    scope: CleanupScope
    hours: float | UnsetType = UNSET


# ---------------------------------------------------- requests: IDE operations (issue 8)
# One request -> reply pair each (docs/protocol.md, "IDE operations"). Class names are
# plain ("Foo"); ``side`` picks the metaclass. Fields left UNSET take the image's default.


class Inspect(Message, tag="inspect", kw_only=True):
    """A view of the object behind a handle, with one page of its elements."""

    id: int = 0
    session: str
    handle: int
    offset: int | UnsetType = UNSET
    count: int | UnsetType = UNSET


class InspectPage(Message, tag="inspect.page", kw_only=True):
    id: int = 0
    session: str
    handle: int
    offset: int = 0
    count: int | UnsetType = UNSET


class Release(Message, tag="release", kw_only=True):
    """Free handles; without ``handles``, all of the session's."""

    id: int = 0
    session: str
    handles: list[int] | UnsetType = UNSET


class BrowseCategories(Message, tag="browse.categories", kw_only=True):
    id: int = 0


class BrowseClasses(Message, tag="browse.classes", kw_only=True):
    id: int = 0
    category: str


class BrowseProtocols(Message, tag="browse.protocols", kw_only=True):
    id: int = 0
    class_: str = field(name="class")
    side: Side = Side.INSTANCE


class BrowseSelectors(Message, tag="browse.selectors", kw_only=True):
    id: int = 0
    class_: str = field(name="class")
    side: Side = Side.INSTANCE
    protocol: str | UnsetType = UNSET


class BrowseDefinition(Message, tag="browse.definition", kw_only=True):
    id: int = 0
    class_: str = field(name="class")


class BrowseHierarchy(Message, tag="browse.hierarchy", kw_only=True):
    id: int = 0
    class_: str = field(name="class")


class BrowseMethod(Message, tag="browse.method", kw_only=True):
    id: int = 0
    class_: str = field(name="class")
    side: Side = Side.INSTANCE
    selector: str


class BrowseFindClass(Message, tag="browse.find_class", kw_only=True):
    id: int = 0
    pattern: str
    max: int | UnsetType = UNSET


class Compile(Message, tag="compile", kw_only=True):
    id: int = 0
    class_: str = field(name="class")
    side: Side = Side.INSTANCE
    category: str | UnsetType = UNSET
    source: str


class ClassDefine(Message, tag="class.define", kw_only=True):
    id: int = 0
    definition: str


class MethodRemove(Message, tag="method.remove", kw_only=True):
    id: int = 0
    class_: str = field(name="class")
    side: Side = Side.INSTANCE
    selector: str


class ClassRemove(Message, tag="class.remove", kw_only=True):
    id: int = 0
    class_: str = field(name="class")


class Save(Message, tag="save", kw_only=True):
    id: int = 0


class ChangesList(Message, tag="changes.list", kw_only=True):
    id: int = 0
    source: bool = True


class ChangesReplay(Message, tag="changes.replay", kw_only=True):
    id: int = 0


class SearchSenders(Message, tag="search.senders", kw_only=True):
    id: int = 0
    selector: str
    max: int | UnsetType = UNSET


class SearchImplementors(Message, tag="search.implementors", kw_only=True):
    id: int = 0
    selector: str
    max: int | UnsetType = UNSET


class SearchReferences(Message, tag="search.references", kw_only=True):
    id: int = 0
    name: str
    max: int | UnsetType = UNSET


class Complete(Message, tag="complete", kw_only=True):
    """Completions of the word that ends ``code`` (the text before the cursor)."""

    id: int = 0
    code: str
    session: str | UnsetType = UNSET
    max: int | UnsetType = UNSET


class TranscriptSubscribe(Message, tag="transcript.subscribe", kw_only=True):
    id: int = 0


class TranscriptUnsubscribe(Message, tag="transcript.unsubscribe", kw_only=True):
    id: int = 0


# ------------------------------------------------ requests: the debugger (issue 9)
# Each names a suspended evaluation by its ``debug`` handle (from ``suspended``) in its
# session; ``frame`` is a 1-based index into the stack, 1 (the top) when UNSET.


class DebugFrame(Message, tag="debug.frame", kw_only=True):
    """A frame's source, pc range, receiver and variables."""

    id: int = 0
    session: str
    debug: int
    frame: int | UnsetType = UNSET


class DebugStepInto(Message, tag="debug.step_into", kw_only=True):
    id: int = 0
    session: str
    debug: int


class DebugStepOver(Message, tag="debug.step_over", kw_only=True):
    id: int = 0
    session: str
    debug: int


class DebugStepThrough(Message, tag="debug.step_through", kw_only=True):
    """Step over, but stop inside a block of the top frame's method."""

    id: int = 0
    session: str
    debug: int


class DebugRestart(Message, tag="debug.restart", kw_only=True):
    id: int = 0
    session: str
    debug: int
    frame: int | UnsetType = UNSET


class DebugReturn(Message, tag="debug.return", kw_only=True):
    """The frame answers the value of ``code`` (evaluated in that frame)."""

    id: int = 0
    session: str
    debug: int
    frame: int | UnsetType = UNSET
    code: str


class DebugProceed(Message, tag="debug.proceed", kw_only=True):
    id: int = 0
    session: str
    debug: int


class DebugAbandon(Message, tag="debug.abandon", kw_only=True):
    id: int = 0
    session: str
    debug: int


class DebugEvaluate(Message, tag="debug.evaluate", kw_only=True):
    """Evaluate ``code`` with self, the temporaries and the arguments of a frame bound."""

    id: int = 0
    session: str
    debug: int
    frame: int | UnsetType = UNSET
    code: str
    max_print: int | UnsetType = UNSET


class DebugCompile(Message, tag="debug.compile", kw_only=True):
    """Edit and continue: recompile the frame's method and restart the frame."""

    id: int = 0
    session: str
    debug: int
    frame: int | UnsetType = UNSET
    source: str


CoreRequest = (
    Hello
    | Ping
    | Evaluate
    | Interrupt
    | SessionCreate
    | SessionAttach
    | SessionClose
    | SessionList
    | SessionStats
    | SessionCleanup
)
"""What every server answers (docs/protocol.md, "Messages")."""

IdeRequest = (
    Inspect
    | InspectPage
    | Release
    | BrowseCategories
    | BrowseClasses
    | BrowseProtocols
    | BrowseSelectors
    | BrowseDefinition
    | BrowseHierarchy
    | BrowseMethod
    | BrowseFindClass
    | Compile
    | ClassDefine
    | MethodRemove
    | ClassRemove
    | Save
    | ChangesList
    | ChangesReplay
    | SearchSenders
    | SearchImplementors
    | SearchReferences
    | Complete
    | TranscriptSubscribe
    | TranscriptUnsubscribe
    | DebugFrame
    | DebugStepInto
    | DebugStepOver
    | DebugStepThrough
    | DebugRestart
    | DebugReturn
    | DebugProceed
    | DebugAbandon
    | DebugEvaluate
    | DebugCompile
)
"""IDE operations a server may offer (docs/protocol.md, "IDE operations"); welcome's
capabilities say which."""


# ---------------------------------------------- requests: comparing images (issue 13)


class CodeDigest(Message, tag="code.digest", kw_only=True):
    """Hashes of class definitions and method sources, so that two images are compared
    by their hashes and only the sources that differ travel (docs/protocol.md,
    "Comparing images"). Without ``classes`` or ``category``: every class but the
    server's own."""

    id: int = 0
    classes: list[str] | UnsetType = UNSET
    category: str | UnsetType = UNSET  # a pattern: * any run, # any one character
    methods: bool = False  # each method's hash too


CrossImageRequest = CodeDigest
"""Operations for working across images; offered like the IDE operations."""

Request = CoreRequest | IdeRequest | CrossImageRequest

# --------------------------------------------------------------------------- payloads


class ImageInfo(msgspec.Struct, frozen=True, kw_only=True):
    """Who the image is: ``image_id`` survives restarts, ``instance_id`` does not."""

    image_id: ExternalId
    instance_id: ExternalId
    name: str | None = None
    dialect: str | None = None
    version: str | None = None
    image_path: str | None = None
    pid: int | None = None
    started_at: Timestamp | None = None
    port: int | None = None


class ServerLimits(msgspec.Struct, frozen=True, kw_only=True):
    max_frame: int = MAX_FRAME
    max_print: int = MAX_PRINT


class ImageSession(msgspec.Struct, frozen=True, kw_only=True):
    """An image-side session as the image reports it."""

    id: str
    client_id: str
    status: str
    created_at: Timestamp
    last_activity: Timestamp
    bindings: int
    label: str | None = None


# --------------------------------------------------------------------------- responses


class Welcome(Message, tag="welcome", kw_only=True):
    id: int
    protocol: str
    image: ImageInfo
    capabilities: list[str] = []
    limits: ServerLimits = ServerLimits()


class Pong(Message, tag="pong", kw_only=True):
    id: int
    uptime_ms: int
    busy: bool
    sessions: int
    unsaved: bool | None = None  # changes since the last save; None: not reported


class Result(Message, tag="result", kw_only=True):
    id: int
    value: str | None = None
    class_: str = field(name="class")
    truncated: bool
    elapsed_ms: int


class EvalError(Message, tag="eval_error", kw_only=True):
    id: int
    kind: EvalErrorKind
    message: str
    position: int | None = None
    error_class: str | None = None
    receiver: str | None = None
    stack: list[str] = []


class Interrupted(Message, tag="interrupted", kw_only=True):
    id: int
    was_running: bool


class SessionReply(Message, tag="session", kw_only=True):
    """Answer to ``session.create`` and ``session.attach``."""

    id: int
    session: ImageSession


class Closed(Message, tag="closed", kw_only=True):
    id: int
    session: str


class SessionListReply(Message, tag="sessions", kw_only=True):
    id: int
    sessions: list[ImageSession]


class SessionStatsReply(Message, tag="session_stats", kw_only=True):
    id: int
    total: int
    active: int
    orphaned: int
    context_size: int
    last_activity: Timestamp | None = None


class Cleaned(Message, tag="cleaned", kw_only=True):
    id: int
    cleaned: int
    remaining: int


class ErrorReply(Message, tag="error", kw_only=True):
    """``id`` is None when the image could not read the request's id."""

    id: int | None = None
    code: str
    message: str


# --------------------------------------------------- payloads: IDE operations (issue 8)


class ValueRef(msgspec.Struct, frozen=True, kw_only=True):
    """A value shown in an inspector; ``handle`` is None for values shown whole."""

    handle: int | None = None
    class_: str = field(name="class")
    print: str


class Field(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    value: ValueRef


class Element(msgspec.Struct, frozen=True, kw_only=True):
    """One indexed element (1-based ``index``); dictionaries also give its ``key``."""

    index: int
    key: ValueRef | None = None
    value: ValueRef


class InspectKind(StrEnum):
    OBJECT = "object"  # named fields only
    INDEXED = "indexed"  # basicAt: elements
    SEQUENCE = "sequence"  # at: elements
    COLLECTION = "collection"  # do: elements
    DICTIONARY = "dictionary"  # key and value elements


class ObjectView(msgspec.Struct, frozen=True, kw_only=True):
    handle: int
    class_: str = field(name="class")
    print: str
    truncated: bool = False
    kind: InspectKind
    fields: list[Field] = []
    size: int = 0
    offset: int = 0
    elements: list[Element] = []


class MethodRef(msgspec.Struct, frozen=True, kw_only=True):
    class_: str = field(name="class")
    side: Side = Side.INSTANCE
    selector: str
    protocol: str | None = None


class Completion(msgspec.Struct, frozen=True, kw_only=True):
    text: str
    kind: str  # variable, class, global, pseudo, selector, keyword


class ChangeKind(StrEnum):
    METHOD = "method"
    REMOVE_METHOD = "remove_method"
    CLASS_DEFINITION = "class_definition"
    REMOVE_CLASS = "remove_class"
    DOIT = "doit"


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """One change in the log after the last save."""

    index: int
    position: int
    kind: ChangeKind
    class_: str | None = field(name="class", default=None)
    side: Side | None = None
    selector: str | None = None
    category: str | None = None
    stamp: str | None = None
    source: str | None = None
    applied: bool = False
    superseded: bool = False


class ReplayFailure(msgspec.Struct, frozen=True, kw_only=True):
    index: int
    message: str


# -------------------------------------------------- responses: IDE operations (issue 8)


class Inspection(Message, tag="inspection", kw_only=True):
    """Answer to ``inspect`` and to ``evaluate`` in mode ``inspect``."""

    id: int
    object: ObjectView


class InspectionPage(Message, tag="inspection_page", kw_only=True):
    id: int
    handle: int
    size: int
    offset: int
    elements: list[Element]


class Released(Message, tag="released", kw_only=True):
    id: int
    released: int
    remaining: int


class Categories(Message, tag="categories", kw_only=True):
    id: int
    categories: list[str]


class Classes(Message, tag="classes", kw_only=True):
    """Answer to ``browse.classes`` and ``browse.find_class``."""

    id: int
    classes: list[str]


class Protocols(Message, tag="protocols", kw_only=True):
    id: int
    protocols: list[str]


class Selectors(Message, tag="selectors", kw_only=True):
    id: int
    selectors: list[str]


class Definition(Message, tag="definition", kw_only=True):
    id: int
    class_: str = field(name="class")
    category: str | None = None
    superclass: str | None = None
    definition: str
    class_definition: str | None = None
    instance_variables: list[str] = []
    class_variables: list[str] = []
    comment: str | None = None


class Hierarchy(Message, tag="hierarchy", kw_only=True):
    id: int
    class_: str = field(name="class")
    superclasses: list[str]  # the root first
    subclasses: list[str]  # direct ones, sorted


class MethodSource(Message, tag="method", kw_only=True):
    id: int
    class_: str = field(name="class")
    side: Side = Side.INSTANCE
    selector: str
    protocol: str | None = None
    source: str
    decompiled: bool = False
    stamp: str | None = None
    author: str | None = None
    timestamp: str | None = None


class Compiled(Message, tag="compiled", kw_only=True):
    id: int
    class_: str = field(name="class")
    side: Side = Side.INSTANCE
    selector: str
    protocol: str | None = None
    created: bool = False


class CompileError(Message, tag="compile_error", kw_only=True):
    """A compile or class definition that changed nothing; ``position`` is 1-based."""

    id: int
    message: str
    position: int | None = None


class ClassDefined(Message, tag="class_defined", kw_only=True):
    id: int
    class_: str = field(name="class")
    created: bool
    definition: str


class Removed(Message, tag="removed", kw_only=True):
    id: int
    kind: str  # method or class
    name: str


class Saved(Message, tag="saved", kw_only=True):
    id: int
    image_path: str | None = None
    elapsed_ms: int = 0


class Changes(Message, tag="changes", kw_only=True):
    id: int
    unsaved: bool
    changes: list[Change]


class Replayed(Message, tag="replayed", kw_only=True):
    id: int
    applied: list[int]  # indexes into the changes list
    skipped: int
    failed: list[ReplayFailure] = []


class MethodRefs(Message, tag="method_refs", kw_only=True):
    """Answer to the three searches; ``total`` counts before the ``max`` cut."""

    id: int
    total: int
    refs: list[MethodRef]


class Completions(Message, tag="completions", kw_only=True):
    id: int
    items: list[Completion]


class Subscribed(Message, tag="subscribed", kw_only=True):
    id: int
    subscribed: bool


# ------------------------------------------------ payloads: the debugger (issue 9)


class DebugErrorKind(StrEnum):
    ERROR = "error"
    HALT = "halt"


class DebugError(msgspec.Struct, frozen=True, kw_only=True):
    """Why an evaluation stopped in the debugger."""

    kind: DebugErrorKind
    class_: str = field(name="class")
    message: str
    receiver: str | None = None


class StackFrame(msgspec.Struct, frozen=True, kw_only=True):
    """One frame of a suspended stack: the receiver's class, the class that holds the
    method, its selector (``DoIt`` for the evaluated code), and whether it is a block."""

    class_: str = field(name="class")
    method_class: str
    selector: str
    is_block: bool = False


class VariableKind(StrEnum):
    ARG = "arg"
    TEMP = "temp"


class FrameVariable(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    kind: VariableKind
    value: ValueRef


class Suspended(Message, tag="suspended", kw_only=True):
    """An evaluation stopped in the debugger (after an error, a halt or a step); ``error``
    is None after a step that met none. ``stack`` is innermost first, down to the do-it."""

    id: int
    debug: int
    error: DebugError | None = None
    stack: list[StackFrame]


class Frame(Message, tag="frame", kw_only=True):
    """One frame: ``pc_range`` is the 1-based inclusive source range of its pc."""

    id: int
    debug: int
    index: int
    class_: str = field(name="class")
    method_class: str
    selector: str
    is_block: bool = False
    source: str
    pc_range: list[int] | None = None
    receiver: ValueRef
    variables: list[FrameVariable] = []


class Abandoned(Message, tag="abandoned", kw_only=True):
    id: int
    debug: int


# ------------------------------------------------ responses: comparing images (issue 13)


class ClassDigest(msgspec.Struct, frozen=True, kw_only=True):
    """One class: the hash of its definition (both sides), the hash of all its methods
    and, when asked, each method's hash by selector."""

    class_: str = field(name="class")
    category: str | None = None
    definition: str
    methods: str
    instance_methods: dict[str, str] | None = None
    class_methods: dict[str, str] | None = None


class Digest(Message, tag="digest", kw_only=True):
    """Hashes compare only between replies that name the same ``algorithm``."""

    id: int
    algorithm: str
    classes: list[ClassDigest]


Response = (
    Welcome
    | Pong
    | Result
    | EvalError
    | Interrupted
    | SessionReply
    | Closed
    | SessionListReply
    | SessionStatsReply
    | Cleaned
    | ErrorReply
    | Inspection
    | InspectionPage
    | Released
    | Categories
    | Classes
    | Protocols
    | Selectors
    | Definition
    | Hierarchy
    | MethodSource
    | Compiled
    | CompileError
    | ClassDefined
    | Removed
    | Saved
    | Changes
    | Replayed
    | MethodRefs
    | Completions
    | Subscribed
    | Suspended
    | Frame
    | Abandoned
    | Digest
)

# --------------------------------------------------------------------------- events


class Transcript(Message, tag="transcript", kw_only=True):
    """Text written to the image's Transcript, coalesced; ``dropped`` counts characters
    lost to a flood beyond the image's buffer."""

    text: str
    dropped: int = 0


class InspectRequest(Message, tag="inspect_request", kw_only=True):
    """User code sent ``inspect`` (or ``explore``) to an object."""

    session: str | None = None
    handle: int | None = None
    class_: str = field(name="class")
    print: str
    explore: bool = False


class BrowseRequest(Message, tag="browse_request", kw_only=True):
    """User code sent ``browse``."""

    class_: str = field(name="class")
    side: Side = Side.INSTANCE


Event = Transcript | InspectRequest | BrowseRequest

Incoming = Response | Event


class Unknown(msgspec.Struct, frozen=True, kw_only=True):
    """A well-formed message of a type this client does not know (a newer peer)."""

    type: str
    id: int | None = None
    data: dict[str, Any] = {}


def type_tag(message: Message) -> str:
    """The wire ``type`` of a message."""
    return type(message).__struct_config__.tag  # type: ignore[return-value]
