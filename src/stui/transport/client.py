"""ImageClient: the typed client of one image, driven by the request -> reply table.

`call(request)` is the one way to run an operation: it refuses a request the image did
not offer in `welcome.capabilities` before sending it, waits at most the table's
deadline, and checks that the reply is one the table expects. Callers `match` on the
reply. The few methods below are shorthands for the calls made everywhere.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec
import zmq

from stui.protocol import (
    Cleaned,
    CleanupScope,
    Closed,
    EvalError,
    EvalMode,
    Evaluate,
    EvaluationFailed,
    Event,
    ImageSession,
    Interrupt,
    Interrupted,
    Ping,
    Pong,
    ProtocolError,
    Request,
    Response,
    Result,
    SessionAttach,
    SessionCleanup,
    SessionClose,
    SessionCreate,
    SessionList,
    SessionListReply,
    SessionReply,
    SessionStats,
    SessionStatsReply,
    Unknown,
    Welcome,
    type_tag,
)
from stui.transport.channel import Channel, State
from stui.transport.errors import NotOffered
from stui.transport.operations import operation


class PingResult(msgspec.Struct, frozen=True):
    """A pong and the round trip measured on this side, in seconds."""

    pong: Pong
    rtt: float


class ImageClient:
    """One authenticated link to one image, with table-checked operations."""

    def __init__(
        self,
        address: str,
        token: str,
        client_id: str,
        *,
        context: zmq.Context[Any] | None = None,
    ) -> None:
        self.channel = Channel(address, token, client_id, context=context)
        self._capabilities: frozenset[str] = frozenset()
        self._capabilities_of: Welcome | None = None

    def __repr__(self) -> str:
        return f"<ImageClient {self.address} {self.state}>"

    # ------------------------------------------------------------------ lifecycle

    @property
    def address(self) -> str:
        return self.channel.address

    @property
    def state(self) -> State:
        return self.channel.state

    @property
    def welcome(self) -> Welcome | None:
        return self.channel.welcome

    @property
    def capabilities(self) -> frozenset[str]:
        """What the last welcome offered (made once per welcome: every call asks)."""
        welcome = self.channel.welcome
        if welcome is not self._capabilities_of:
            self._capabilities_of = welcome
            self._capabilities = frozenset(welcome.capabilities) if welcome else frozenset()
        return self._capabilities

    async def connect(self, timeout: float | None = None) -> Welcome:
        return await self.channel.connect(timeout)

    async def hello(self, timeout: float | None = None) -> Welcome:
        """Say hello again on a connected client (the image answers or refuses)."""
        return await self.channel.hello(timeout)

    async def close(self) -> None:
        await self.channel.close()

    async def wait_closed(self) -> None:
        await self.channel.wait_closed()

    def on_close(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` once when the connection closes; answer its cancel."""
        return self.channel.on_close(callback)

    async def __aenter__(self) -> ImageClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def events(self) -> AsyncIterator[Event | Unknown]:
        return self.channel.events()

    def offers(self, request: Request) -> bool:
        """Whether the image said it answers this request (hello and ping always)."""
        row = operation(request)
        return row.always_offered or _offered(type_tag(request), self.capabilities)

    # ------------------------------------------------------------------ the one path

    async def call(self, request: Request, timeout: float | None = None) -> Response:
        """Send a request and answer its reply, one of the types the table expects."""
        row = operation(request)
        tag = type_tag(request)
        offered = row.always_offered or self.channel.welcome is None
        if not (offered or _offered(tag, self.capabilities)):
            raise NotOffered(
                f"the image at {self.address} does not offer {tag!r} "
                f"(it offers: {', '.join(sorted(self.capabilities)) or 'nothing'})"
            )
        reply = await self.channel.request(request, row.deadline if timeout is None else timeout)
        if type(reply) not in row.replies:
            raise ProtocolError(
                f"the image answered {tag} with {type_tag(reply)!r}", request_id=reply.id
            )
        return reply

    # ------------------------------------------------------------------ shorthands

    async def ping(self, timeout: float | None = None) -> PingResult:
        started = time.perf_counter()
        reply = await self.call(Ping(), timeout)
        assert isinstance(reply, Pong)
        return PingResult(reply, time.perf_counter() - started)

    async def evaluate(
        self,
        code: str,
        mode: EvalMode | str = EvalMode.PRINT,
        session: str | None = None,
        timeout: float | None = None,
        max_print: int | None = None,
    ) -> Result:
        """Evaluate code; EvaluationFailed carries the image's ``eval_error``."""
        message = Evaluate(
            code=code,
            mode=mode if type(mode) is EvalMode else EvalMode(mode),
            session=_opt(session),
            max_print=_opt(max_print),
        )
        match await self.call(message, timeout):
            case Result() as result:
                return result
            case EvalError() as error:
                raise EvaluationFailed(error)
            case other:
                raise AssertionError(other)

    async def interrupt(self, session: str | None = None) -> Interrupted:
        reply = await self.call(Interrupt(session=_opt(session)))
        assert isinstance(reply, Interrupted)
        return reply

    async def session_create(self, label: str | None = None) -> ImageSession:
        reply = await self.call(SessionCreate(label=_opt(label)))
        assert isinstance(reply, SessionReply)
        return reply.session

    async def session_attach(self, session: str) -> ImageSession:
        reply = await self.call(SessionAttach(session=session))
        assert isinstance(reply, SessionReply)
        return reply.session

    async def session_close(self, session: str) -> None:
        reply = await self.call(SessionClose(session=session))
        assert isinstance(reply, Closed)

    async def session_list(self, include_orphaned: bool = False) -> list[ImageSession]:
        reply = await self.call(SessionList(include_orphaned=include_orphaned))
        assert isinstance(reply, SessionListReply)
        return reply.sessions

    async def session_stats(self) -> SessionStatsReply:
        reply = await self.call(SessionStats())
        assert isinstance(reply, SessionStatsReply)
        return reply

    async def session_cleanup(
        self, scope: CleanupScope | str, hours: float | None = None
    ) -> Cleaned:
        """Clean up own sessions (``expired``: anyone's expired ones); see the spec."""
        scope = CleanupScope(scope)
        if (scope is CleanupScope.OLDER_THAN) != (hours is not None):
            raise ValueError("hours is required with scope older_than, and only with it")
        if hours is not None and hours < 0:
            raise ValueError(f"hours must not be negative, not {hours}")
        reply = await self.call(SessionCleanup(scope=scope, hours=_opt(hours)))
        assert isinstance(reply, Cleaned)
        return reply


def _offered(tag: str, capabilities: frozenset[str]) -> bool:
    return tag in capabilities


def _opt(value: Any) -> Any:
    """None as UNSET, so an optional request field is left out of the frame."""
    return msgspec.UNSET if value is None else value
