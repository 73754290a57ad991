"""Channel: one ZeroMQ DEALER to one image: the socket, request ids, deadlines, events.

The channel knows frames and correlation, not operations: which reply a request expects,
its deadline and whether the image offers it are the client's (client.py, operations.py).

The socket is not the channel's own: the channels of one event loop share a hub
(hub.py), one ROUTER and one link monitor for them all, so that a fleet of images
costs no ZeroMQ socket per image. The hot path is kept lean on purpose: the hub's
descriptor is watched with ``loop.add_reader``; one callback drains every frame that
is ready and hands it to its channel, which resolves the waiting request's future
directly. There is no task, extra future or timer per request (deadlines live in FIFO
queues, see deadlines.py). Measured on an echo round trip, this about halves what
asyncio adds over a blocking socket, compared with zmq.asyncio and a receive task.

The hub's monitor watches the link. Before the handshake, a refused or failed connection
fails ``connect()`` at once instead of at the hello deadline. After it, losing the link
fails every pending request with ConnectionLost and closes the connection: a new TCP
connection would need a new hello, so reconnecting is the caller's job (open another channel).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from enum import StrEnum
from typing import Any, Final

import msgspec
import zmq

from stui.protocol import (
    PROTOCOL_VERSION,
    ErrorReply,
    Event,
    Hello,
    Message,
    ProtocolError,
    RemoteError,
    Request,
    Response,
    Transcript,
    Unknown,
    Welcome,
    check_compatible,
    decode,
    encode,
    type_tag,
)
from stui.protocol.messages import BrowseRequest, InspectRequest
from stui.transport.deadlines import Deadlines
from stui.transport.errors import (
    ConnectionClosed,
    ConnectionLost,
    ConnectionTimeout,
    ImageUnreachable,
    InvalidAddress,
    TransportError,
)
from stui.transport.hub import Hub, hub_for
from stui.transport.operations import deadline_for

log = logging.getLogger(__name__)

EVENT_QUEUE_SIZE: Final = 10_000
FLUSH_RETRY_S: Final = 0.005
ADDRESS_SCHEMES: Final = ("tcp://", "ipc://", "inproc://")


class State(StrEnum):
    NEW = "new"
    CONNECTING = "connecting"
    READY = "ready"
    CLOSED = "closed"


class _End:
    """Marks the end of the event stream."""


_END: Final = _End()

TransportErrorFactory = Callable[[], TransportError]


class Channel:
    """One authenticated link to one image.

    ``await connect()`` opens the socket and says hello; ``request()`` and the typed
    methods may run concurrently; ``events()`` yields what the image pushes. After
    ``close()``, or once the link is lost, every call raises ConnectionClosed.
    """

    def __init__(
        self,
        address: str,
        token: str,
        client_id: str,
        *,
        context: zmq.Context[Any] | None = None,
    ) -> None:
        if not address.startswith(ADDRESS_SCHEMES):
            raise InvalidAddress(f"not an image address: {address!r} (expected tcp://HOST:PORT)")
        self.address = address
        self.client_id = client_id
        self._token = token
        self._context = context
        self.welcome: Welcome | None = None
        self.state = State.NEW
        self.dropped_replies = 0
        self.dropped_events = 0
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Response]] = {}
        self._outbox: deque[tuple[int, bytes]] = deque()
        self._events: asyncio.Queue[Event | Unknown | _End] = asyncio.Queue(EVENT_QUEUE_SIZE)
        self._closed_error: TransportErrorFactory = self._not_connected
        self._loop: asyncio.AbstractEventLoop | None = None
        self._hub: Hub | None = None
        self._rid = b""
        self._flush_timer: asyncio.TimerHandle | None = None
        self._deadlines: Deadlines[tuple[Channel, int]] | None = None
        self._linked = False
        self._closed = asyncio.Event()
        self._close_callbacks: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        return f"<Channel {self.address} {self.state}>"

    # ------------------------------------------------------------------ lifecycle

    async def connect(self, timeout: float | None = None) -> Welcome:
        """Open the socket and say hello; ImageUnreachable if no image answers."""
        if self.state is State.CLOSED:
            raise self._closed_error()
        if self.state is not State.NEW:
            raise TransportError(f"connect() was already called on {self!r}")
        self._open()
        try:
            return await self.hello(timeout)
        except ConnectionTimeout as exc:
            self._shutdown(self._closed_by_failure)
            raise ImageUnreachable(self.address, f"no answer to hello ({exc})") from None
        except BaseException:
            self._shutdown(self._closed_by_failure)
            raise

    async def close(self) -> None:
        """Close the socket; pending requests fail with ConnectionClosed. Idempotent."""
        self._shutdown(lambda: ConnectionClosed(f"the connection to {self.address} was closed"))

    async def __aenter__(self) -> Channel:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def wait_closed(self) -> None:
        """Return once the connection is closed, by close() or because the link was lost."""
        await self._closed.wait()

    def on_close(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` once when the connection closes (at once if it is closed);
        answer a function that cancels it. Cheaper than a task awaiting wait_closed()
        for a watcher that naps between pings."""
        if self.state is State.CLOSED:
            callback()
            return _nothing
        self._close_callbacks.append(callback)
        return lambda: (
            self._close_callbacks.remove(callback) if callback in self._close_callbacks else None
        )

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    async def events(self) -> AsyncIterator[Event | Unknown]:
        """What the image pushes, in order; ends when the connection closes.

        At most EVENT_QUEUE_SIZE events wait to be read; beyond that the oldest are
        dropped (counted in ``dropped_events``), so a reader that falls behind cannot
        exhaust memory.
        """
        while True:
            item = await self._events.get()
            if isinstance(item, _End):
                self._push_event(item)  # let any other reader end too
                return
            yield item

    # ------------------------------------------------------------------ requests

    async def request(self, message: Request, timeout: float | None = None) -> Response:
        """Send one request and await its response.

        The request gets a fresh id. It fails with the RemoteError subclass of an
        ``error`` reply, ConnectionTimeout after its deadline (``timeout`` seconds, or
        the protocol's deadline for its type), and ConnectionClosed when the
        connection closes first.
        """
        state = self.state
        if state is not State.READY and not (state is State.CONNECTING and type(message) is Hello):
            raise self._closed_error()
        loop, deadlines = self._loop, self._deadlines
        assert loop is not None and deadlines is not None
        rid = next(self._ids)
        message = msgspec.structs.replace(message, id=rid)
        frame = encode(message)
        tag = type_tag(message)
        delay = deadline_for(message) if timeout is None else timeout
        if delay <= 0:
            raise ValueError(f"timeout must be positive, not {delay}")
        future: asyncio.Future[Response] = loop.create_future()
        self._pending[rid] = future
        deadlines.add((self, rid), tag, delay)
        try:
            self._send(rid, frame)
            return await future
        finally:
            del self._pending[rid]
            deadlines.settle(delay)

    async def hello(self, timeout: float | None = None) -> Welcome:
        """Authenticate; checks the image's protocol major. Sets ``welcome``."""
        reply = await self.request(
            Hello(client_id=self.client_id, protocol=PROTOCOL_VERSION, token=self._token),
            timeout,
        )
        match reply:
            case Welcome():
                check_compatible(reply.protocol)
                self.welcome = reply
                if self.state is State.CONNECTING:
                    self.state = State.READY
                return reply
            case _:
                raise _unexpected("hello", reply)

    # ------------------------------------------------------------------ socket

    def _open(self) -> None:
        loop = asyncio.get_running_loop()
        hub = hub_for(self.address, self._context)
        try:
            self._rid = hub.attach(self)
        except zmq.ZMQError as exc:
            raise ImageUnreachable(self.address, f"the address is not usable ({exc})") from None
        self._loop, self._hub = loop, hub
        self._deadlines = hub.deadlines
        self.state = State.CONNECTING
        self._closed_error = self._not_ready

    def _send(self, rid: int, frame: bytes) -> None:
        if self._outbox:
            self._outbox.append((rid, frame))
            return
        hub = self._hub
        assert hub is not None
        try:
            hub.send(self._rid, frame)
        except zmq.Again:
            self._outbox.append((rid, frame))
            self._arm_flush()
        except zmq.ZMQError as exc:
            self._lost(f"the connection to {self.address} is gone ({exc})")

    def _arm_flush(self) -> None:
        if self._flush_timer is None and self._loop is not None:
            self._flush_timer = self._loop.call_later(FLUSH_RETRY_S, self._flush)

    def _flush(self) -> None:
        """Send what waited for room (a full queue)."""
        self._flush_timer = None
        hub = self._hub
        if hub is None:
            return
        outbox = self._outbox
        while outbox:
            rid, frame = outbox[0]
            if rid in self._pending:
                try:
                    hub.send(self._rid, frame)
                except zmq.Again:
                    self._arm_flush()
                    break
                except zmq.ZMQError as exc:
                    self._lost(f"the connection to {self.address} is gone ({exc})")
                    return
            outbox.popleft()

    def receive(self, frames: list[bytes]) -> None:
        """One message from the image (the hub strips the routing id)."""
        if frames:
            self._dispatch(frames)
        if self._outbox and self._flush_timer is None:
            self._flush()

    def _dispatch(self, frames: list[bytes]) -> None:
        frame = frames[0]
        if not frame and len(frames) > 1:
            frame = frames[1]  # an empty delimiter frame is tolerated
        try:
            message = decode(frame)
        except ProtocolError as exc:
            if not self._fail(exc.request_id, exc):
                log.warning("dropped a malformed frame from %s: %s", self.address, exc)
            return
        match message:
            case Transcript() | InspectRequest() | BrowseRequest():
                self._push_event(message)
            case ErrorReply(id=None):
                log.warning("%s refused a request it could not read: %s", self.address, message)
            case ErrorReply(id=rid):
                if not self._fail(rid, RemoteError.from_reply(message)):
                    self.dropped_replies += 1
            case Unknown(id=rid) if rid in self._pending:
                error = ProtocolError(f"unknown reply type {message.type!r}", request_id=rid)
                self._fail(rid, error)
            case Unknown():
                self._push_event(message)
            case _:
                future = self._pending.get(message.id)
                if future is None or future.done():
                    self.dropped_replies += 1
                else:
                    future.set_result(message)

    def _fail(self, rid: int | None, error: BaseException) -> bool:
        future = self._pending.get(rid) if rid is not None else None
        if future is None or future.done():
            return False
        future.set_exception(error)
        return True

    def is_pending(self, rid: int) -> bool:
        return rid in self._pending

    def expire(self, rid: int, tag: str, delay: float) -> None:
        """A request's deadline passed (called by the hub's deadlines)."""
        self._fail(rid, ConnectionTimeout(f"no reply to {tag} from {self.address} in {delay:g} s"))

    def _push_event(self, item: Event | Unknown | _End) -> None:
        if self._events.full():
            self._events.get_nowait()
            self.dropped_events += 1
        self._events.put_nowait(item)

    # ------------------------------------------------------------------ link

    def on_link_event(self, event: int) -> None:
        """What the hub's monitor reported about this channel's link."""
        if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            self._linked = True
        elif self._linked and event in (zmq.EVENT_DISCONNECTED, zmq.EVENT_CONNECT_RETRIED):
            if self._hub is not None:
                self._hub.drain()  # a reply that arrived before the close still counts
            self._lost(f"the connection to {self.address} was lost")
        elif not self._linked and self.state is State.CONNECTING:
            reason = _REASONS.get(event)
            if reason is not None:
                self._fail_all(lambda: ImageUnreachable(self.address, reason))

    def _lost(self, reason: str) -> None:
        log.debug("%s", reason)
        self._shutdown(lambda: ConnectionLost(reason))

    def _fail_all(self, make_error: TransportErrorFactory) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(make_error())

    def _shutdown(self, make_error: TransportErrorFactory) -> None:
        if self.state is State.CLOSED:
            return
        self.state = State.CLOSED
        self._closed_error = make_error
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        if self._hub is not None:
            self._hub.detach(self._rid, self.address)
        self._hub = None
        self._outbox.clear()
        self._fail_all(make_error)
        self._push_event(_END)
        self._closed.set()
        callbacks, self._close_callbacks = self._close_callbacks, []
        for callback in callbacks:
            callback()

    def _not_connected(self) -> TransportError:
        return ConnectionClosed(f"not connected to {self.address}: await connect() first")

    def _not_ready(self) -> TransportError:
        return ConnectionClosed(f"the connection to {self.address} has not said hello yet")

    def _closed_by_failure(self) -> TransportError:
        return ConnectionClosed(f"connecting to {self.address} failed; open a new connection")


_REASONS: Final = {
    zmq.EVENT_CONNECT_RETRIED: "the connection was refused",
    zmq.EVENT_DISCONNECTED: "the peer closed the connection during the handshake",
    zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL: "the ZeroMQ handshake failed",
    zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL: "the peer does not speak ZMTP 3",
    zmq.EVENT_HANDSHAKE_FAILED_AUTH: "the peer refused the ZeroMQ security handshake",
}


def _nothing() -> None:
    """Unsubscribing from a channel that had closed already: nothing to undo."""


def _unexpected(request: str, reply: Message) -> ProtocolError:
    return ProtocolError(
        f"the image answered {request} with {type_tag(reply)!r}",
        request_id=getattr(reply, "id", None),
    )
