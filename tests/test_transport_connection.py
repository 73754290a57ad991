"""ImageClient against a real pyzmq ROUTER: the reference ZeroMQ peer.

The peer answers like an image would; each test scripts what it does differently
(out of order, late, never, malformed, closing), which a real image will not do on
demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import zmq
import zmq.asyncio

from stui.protocol import (
    Busy,
    Cleaned,
    CleanupScope,
    Closed,
    ErrorReply,
    EvalError,
    EvalErrorKind,
    Evaluate,
    EvaluationFailed,
    Hello,
    ImageInfo,
    ImageSession,
    Incoming,
    Interrupt,
    Interrupted,
    NoSession,
    Ping,
    Pong,
    ProtocolError,
    RemoteError,
    Request,
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
    Transcript,
    Unauthorized,
    Unknown,
    VersionMismatch,
    Welcome,
    decode_request,
    encode,
)
from stui.transport import (
    OPERATIONS,
    ConnectionClosed,
    ConnectionLost,
    ConnectionTimeout,
    ImageClient,
    ImageUnreachable,
    InvalidAddress,
    Operation,
    State,
    TransportError,
)

pytestmark = pytest.mark.timeout(60)

TOKEN = "secret-token"
CLIENT = "c-" + "0" * 32
SESSION = ImageSession(
    id="s-" + "1" * 32,
    client_id=CLIENT,
    status="active",
    created_at="2026-01-01T00:00:00Z",
    last_activity="2026-01-01T00:00:00Z",
    bindings=0,
    label="ws",
)

Reply = Incoming | bytes | None
Handler = Callable[[Request], Awaitable[list[Reply]]]

# The peer offers every request the client knows.
ALL_REQUESTS = [
    "evaluate",
    "interrupt",
    "session.create",
    "session.attach",
    "session.close",
    "session.list",
    "session.stats",
    "session.cleanup",
]


def answer(request: Request) -> Reply:
    """What a well-behaved image answers."""
    match request:
        case Hello(token=token) if token != TOKEN:
            return ErrorReply(id=request.id, code="unauthorized", message="wrong token")
        case Hello():
            image = ImageInfo(image_id="img-1", instance_id="inst-1", name="peer")
            return Welcome(id=request.id, protocol="1.0", image=image, capabilities=ALL_REQUESTS)
        case Ping():
            return Pong(id=request.id, uptime_ms=1, busy=False, sessions=0)
        case Evaluate(code="nil foo"):
            return EvalError(id=request.id, kind=EvalErrorKind.RUNTIME, message="dnu #foo")
        case Evaluate():
            return Result(
                id=request.id, value=request.code, class_="String", truncated=False, elapsed_ms=0
            )
        case Interrupt():
            return Interrupted(id=request.id, was_running=False)
        case SessionCreate() | SessionAttach():
            return SessionReply(id=request.id, session=SESSION)
        case SessionClose(session=sid):
            return Closed(id=request.id, session=sid)
        case SessionList():
            return SessionListReply(id=request.id, sessions=[SESSION])
        case SessionStats():
            return SessionStatsReply(id=request.id, total=1, active=1, orphaned=0, context_size=0)
        case SessionCleanup():
            return Cleaned(id=request.id, cleaned=0, remaining=1)
    raise AssertionError(f"unexpected request {request}")


async def well_behaved(request: Request) -> list[Reply]:
    return [answer(request)]


class RouterPeer:
    """A pyzmq ROUTER on a free port that answers with a scripted handler."""

    def __init__(self, handler: Handler = well_behaved) -> None:
        self.handler = handler
        self.context = zmq.asyncio.Context()
        self.sock = self.context.socket(zmq.ROUTER)
        self.sock.linger = 0
        self.sock.router_mandatory = 1  # never drop a reply silently
        port = self.sock.bind_to_random_port("tcp://127.0.0.1")
        self.address = f"tcp://127.0.0.1:{port}"
        self.requests: list[Request] = []
        self.frames: list[list[bytes]] = []
        self.peer: bytes | None = None
        self.delimiter = False
        self._task: asyncio.Task[None] | None = None

    async def serve(self) -> None:
        while True:
            frames = await self.sock.recv_multipart()
            self.frames.append(frames)
            self.peer = frames[0]
            request = decode_request(frames[-1])
            assert not isinstance(request, Unknown)
            self.requests.append(request)
            for reply in await self.handler(request):
                await self.send(reply)

    async def send(self, reply: Reply) -> None:
        if reply is None:
            return
        frame = reply if isinstance(reply, bytes) else encode(reply)
        assert self.peer is not None
        head = [self.peer, b""] if self.delimiter else [self.peer]
        await self.sock.send_multipart([*head, frame])

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.serve())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.sock.close(linger=0)
        self.context.term()


@contextlib.asynccontextmanager
async def peer_and_connection(
    handler: Handler = well_behaved,
) -> AsyncIterator[tuple[RouterPeer, ImageClient]]:
    peer = RouterPeer(handler)
    peer.start()
    connection = ImageClient(peer.address, TOKEN, CLIENT)
    try:
        await connection.connect()
        yield peer, connection
    finally:
        await connection.close()
        await peer.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- handshake


async def test_connect_says_hello_and_returns_the_welcome() -> None:
    async with peer_and_connection() as (peer, connection):
        assert connection.state is State.READY
        assert connection.welcome is not None
        assert connection.welcome.image.image_id == "img-1"
        hello = peer.requests[0]
        assert hello == Hello(id=hello.id, client_id=CLIENT, protocol="1.0", token=TOKEN)
        assert len(peer.frames[0]) == 2  # routing id + one frame, no delimiter


async def test_wrong_token_is_unauthorized_and_closes() -> None:
    peer = RouterPeer()
    peer.start()
    connection = ImageClient(peer.address, "wrong", CLIENT)
    try:
        with pytest.raises(Unauthorized, match="wrong token"):
            await connection.connect()
        assert connection.state is State.CLOSED
        with pytest.raises(ConnectionClosed):
            await connection.ping()
    finally:
        await peer.stop()


async def test_other_protocol_major_is_a_version_mismatch() -> None:
    async def newer(request: Request) -> list[Reply]:
        image = ImageInfo(image_id="a", instance_id="b")
        return [Welcome(id=request.id, protocol="2.0", image=image)]

    peer = RouterPeer(newer)
    peer.start()
    connection = ImageClient(peer.address, TOKEN, CLIENT)
    try:
        with pytest.raises(VersionMismatch, match=r"2\.0"):
            await connection.connect()
        assert connection.state is State.CLOSED
    finally:
        await peer.stop()


async def test_nothing_listening_is_unreachable_at_once() -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    connection = ImageClient(address, TOKEN, CLIENT)
    started = time.monotonic()
    with pytest.raises(ImageUnreachable) as caught:
        await connection.connect()
    assert time.monotonic() - started < 2.0
    assert address in str(caught.value)
    assert "stui image list" in str(caught.value)
    assert connection.state is State.CLOSED


async def test_unanswered_hello_is_unreachable_after_the_deadline() -> None:
    async def silent(request: Request) -> list[Reply]:
        return []

    peer = RouterPeer(silent)
    peer.start()
    connection = ImageClient(peer.address, TOKEN, CLIENT)
    try:
        started = time.monotonic()
        with pytest.raises(ImageUnreachable, match="no answer to hello"):
            await connection.connect(timeout=0.3)
        assert 0.25 < time.monotonic() - started < 2.0
    finally:
        await peer.stop()


async def test_a_peer_that_is_not_zeromq_is_unreachable() -> None:
    """A plain TCP server that closes at once (say, the wrong port)."""

    async def close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"not a greeting\n")
        writer.close()

    server = await asyncio.start_server(close_at_once, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        connection = ImageClient(f"tcp://127.0.0.1:{port}", TOKEN, CLIENT)
        with pytest.raises(ImageUnreachable):
            await connection.connect(timeout=3)
    finally:
        server.close()
        await server.wait_closed()


def test_bad_addresses_are_refused_up_front() -> None:
    with pytest.raises(InvalidAddress, match="tcp://HOST:PORT"):
        ImageClient("127.0.0.1:4000", TOKEN, CLIENT)


async def test_unusable_address_is_unreachable() -> None:
    connection = ImageClient("tcp://127.0.0.1:notaport", TOKEN, CLIENT)
    with pytest.raises(ImageUnreachable, match="not usable"):
        await connection.connect()


async def test_requests_before_connect_and_second_connect_are_refused() -> None:
    connection = ImageClient("tcp://127.0.0.1:1", TOKEN, CLIENT)
    with pytest.raises(ConnectionClosed, match="connect"):
        await connection.ping()
    async with peer_and_connection() as (_, connection):
        with pytest.raises(TransportError, match="already"):
            await connection.connect()
        again = await connection.hello()  # saying hello again is allowed
        assert again.image.instance_id == "inst-1"
    closed = ImageClient("tcp://127.0.0.1:1", TOKEN, CLIENT)
    await closed.close()
    with pytest.raises(ConnectionClosed, match="closed"):
        await closed.connect()


# --------------------------------------------------------------------------- correlation


async def test_typed_methods_return_their_replies() -> None:
    async with peer_and_connection() as (peer, connection):
        result = await connection.evaluate("3 + 4", mode="do", session="s-x", max_print=5)
        assert result.value == "3 + 4"
        sent = peer.requests[-1]
        assert isinstance(sent, Evaluate)
        assert (sent.mode, sent.session, sent.max_print) == ("do", "s-x", 5)
        ping = await connection.ping()
        assert ping.pong.uptime_ms == 1
        assert 0 < ping.rtt < 1
        assert (await connection.interrupt()).was_running is False
        assert await connection.session_create("ws") == SESSION
        assert await connection.session_attach(SESSION.id) == SESSION
        assert await connection.session_close(SESSION.id) is None
        assert await connection.session_list(include_orphaned=True) == [SESSION]
        assert (await connection.session_stats()).total == 1
        cleaned = await connection.session_cleanup("older_than", hours=24)
        assert cleaned.remaining == 1
        assert peer.requests[-1] == SessionCleanup(
            id=peer.requests[-1].id, scope=CleanupScope.OLDER_THAN, hours=24
        )


async def test_session_cleanup_checks_its_arguments() -> None:
    async with peer_and_connection() as (_, connection):
        with pytest.raises(ValueError, match="hours"):
            await connection.session_cleanup("older_than")
        with pytest.raises(ValueError, match="hours"):
            await connection.session_cleanup("orphaned", hours=3)
        with pytest.raises(ValueError):
            await connection.session_cleanup("everything")


async def test_eval_error_raises_evaluation_failed() -> None:
    async with peer_and_connection() as (_, connection):
        with pytest.raises(EvaluationFailed) as caught:
            await connection.evaluate("nil foo")
        assert caught.value.error.kind == EvalErrorKind.RUNTIME


@pytest.mark.parametrize(
    ("code", "cls"), [("busy", Busy), ("no_session", NoSession), ("internal", RemoteError)]
)
async def test_error_replies_raise_their_exception(code: str, cls: type[RemoteError]) -> None:
    async def refuse(request: Request) -> list[Reply]:
        if isinstance(request, Hello):
            return [answer(request)]
        return [ErrorReply(id=request.id, code=code, message="no")]

    async with peer_and_connection(refuse) as (_, connection):
        with pytest.raises(cls) as caught:
            await connection.evaluate("1")
        assert type(caught.value) is cls
        assert caught.value.code == code
        assert connection.channel.pending_count == 0


async def test_out_of_order_replies_reach_their_requests() -> None:
    held: list[Request] = []

    async def reverse(request: Request) -> list[Reply]:
        if isinstance(request, Hello):
            return [answer(request)]
        held.append(request)
        if len(held) < 5:
            return []
        return [answer(r) for r in reversed(held)]

    async with peer_and_connection(reverse) as (_, connection):
        codes = [f"'{i}'" for i in range(5)]
        results = await asyncio.gather(*(connection.evaluate(code) for code in codes))
        assert [r.value for r in results] == codes
        assert connection.channel.pending_count == 0


async def test_a_thousand_concurrent_requests() -> None:
    async with peer_and_connection() as (peer, connection):
        codes = [str(i) for i in range(1000)]
        results = await asyncio.wait_for(
            asyncio.gather(*(connection.evaluate(code) for code in codes)), 20
        )
        assert [r.value for r in results] == codes
        ids = [r.id for r in peer.requests[1:]]
        assert len(set(ids)) == 1000
        assert connection.channel.pending_count == 0


async def test_a_delimiter_frame_from_the_peer_is_tolerated() -> None:
    async with peer_and_connection() as (peer, connection):
        peer.delimiter = True
        assert (await connection.evaluate("'x'")).value == "'x'"


# --------------------------------------------------------------------------- deadlines


async def test_deadline_passes_then_the_late_reply_is_dropped() -> None:
    async def slow_first(request: Request) -> list[Reply]:
        if isinstance(request, Evaluate) and request.code == "slow":
            await asyncio.sleep(0.3)
        return [answer(request)]

    async with peer_and_connection(slow_first) as (_, connection):
        started = time.monotonic()
        with pytest.raises(ConnectionTimeout, match=r"evaluate .* 0\.1 s"):
            await connection.evaluate("slow", timeout=0.1)
        assert time.monotonic() - started < 0.3
        assert connection.channel.pending_count == 0
        # the peer now answers "slow" late, then the next request: each to its own
        assert (await connection.evaluate("next")).value == "next"
        assert connection.channel.dropped_replies == 1


async def test_a_short_deadline_behind_a_long_one_fires_on_time() -> None:
    async def never(request: Request) -> list[Reply]:
        return [answer(request)] if isinstance(request, Hello) else []

    async with peer_and_connection(never) as (_, connection):
        long = asyncio.create_task(connection.evaluate("long", timeout=30))
        await asyncio.sleep(0.01)
        started = time.monotonic()
        with pytest.raises(ConnectionTimeout):
            await connection.evaluate("short", timeout=0.2)
        assert 0.15 < time.monotonic() - started < 1.0
        assert not long.done()
        long.cancel()
        with pytest.raises(asyncio.CancelledError):
            await long
        assert connection.channel.pending_count == 0


async def test_deadline_bookkeeping_stays_empty_between_requests() -> None:
    async with peer_and_connection() as (_, connection):
        for i in range(200):
            await connection.evaluate(str(i))
        await asyncio.gather(*(connection.ping() for _ in range(100)))
        assert len(connection.channel._deadlines or ()) == 0


async def test_ping_uses_its_own_short_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    async def ignore_pings(request: Request) -> list[Reply]:
        return [] if isinstance(request, Ping) else [answer(request)]

    monkeypatch.setitem(OPERATIONS, Ping, Operation((Pong,), 0.2, always_offered=True))
    async with peer_and_connection(ignore_pings) as (_, connection):
        started = time.monotonic()
        with pytest.raises(ConnectionTimeout):
            await connection.ping()
        assert 0.15 < time.monotonic() - started < 1.5


async def test_cancelled_request_leaves_nothing_pending() -> None:
    async def never(request: Request) -> list[Reply]:
        return [answer(request)] if isinstance(request, Hello) else []

    async with peer_and_connection(never) as (_, connection):
        task = asyncio.create_task(connection.evaluate("forever"))
        await asyncio.sleep(0.05)
        assert connection.channel.pending_count == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert connection.channel.pending_count == 0


async def test_non_positive_timeout_is_refused() -> None:
    async with peer_and_connection() as (_, connection):
        with pytest.raises(ValueError, match="positive"):
            await connection.ping(timeout=0)


# --------------------------------------------------------------------------- faults


async def test_malformed_reply_fails_its_request_at_once() -> None:
    async def garble(request: Request) -> list[Reply]:
        if isinstance(request, Hello):
            return [answer(request)]
        return [b"not json", b'{"type":"result","id":%d,"value":3}' % request.id]

    async with peer_and_connection(garble) as (_, connection):
        started = time.monotonic()
        with pytest.raises(ProtocolError, match="malformed 'result'"):
            await connection.evaluate("1")
        assert time.monotonic() - started < 1


async def test_unknown_reply_type_fails_its_request() -> None:
    async def newer(request: Request) -> list[Reply]:
        if isinstance(request, Hello):
            return [answer(request)]
        return [b'{"type":"result_v2","id":%d}' % request.id]

    async with peer_and_connection(newer) as (_, connection):
        with pytest.raises(ProtocolError, match="result_v2"):
            await connection.evaluate("1")


async def test_wrong_reply_variant_is_a_protocol_error() -> None:
    async def confused(request: Request) -> list[Reply]:
        if isinstance(request, Ping):
            return [Interrupted(id=request.id, was_running=False)]
        return [answer(request)]

    async with peer_and_connection(confused) as (_, connection):
        with pytest.raises(ProtocolError, match="answered ping with 'interrupted'"):
            await connection.ping()


async def test_peer_going_away_fails_pending_requests_at_once() -> None:
    async def never(request: Request) -> list[Reply]:
        return [answer(request)] if isinstance(request, Hello) else []

    peer = RouterPeer(never)
    peer.start()
    connection = ImageClient(peer.address, TOKEN, CLIENT)
    await connection.connect()
    try:
        pending = asyncio.gather(
            *(connection.evaluate("x") for _ in range(3)), return_exceptions=True
        )
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await peer.stop()
        results = await pending
        assert time.monotonic() - started < 2
        assert all(isinstance(r, ConnectionLost) for r in results)
        assert connection.state is State.CLOSED
        with pytest.raises(ConnectionClosed, match="lost"):
            await connection.ping()
    finally:
        await connection.close()


async def test_an_error_just_before_the_peer_closes_still_arrives() -> None:
    """Like an image refusing a token: the error reply, then the close, at once."""

    async def refuse_and_close(sock: zmq.asyncio.Socket) -> None:
        ident, frame = await sock.recv_multipart()
        request = decode_request(frame)
        reply = ErrorReply(id=request.id, code="unauthorized", message="bad")
        await sock.send_multipart([ident, encode(reply)])
        sock.close(linger=1000)

    for _ in range(20):
        peer = RouterPeer()
        task = asyncio.create_task(refuse_and_close(peer.sock))
        connection = ImageClient(peer.address, TOKEN, CLIENT)
        with pytest.raises(Unauthorized):
            await connection.connect()
        await task
        peer.context.term()


async def test_oversized_frame_drops_the_connection() -> None:
    async def flood(request: Request) -> list[Reply]:
        if isinstance(request, Hello):
            return [answer(request)]
        return [b'{"type":"transcript","text":"' + b"x" * (17 * 1024 * 1024) + b'"}']

    async with peer_and_connection(flood) as (_, connection):
        with pytest.raises(ConnectionLost):
            await connection.evaluate("1", timeout=10)


# --------------------------------------------------------------------------- events and close


async def test_events_are_delivered_in_order() -> None:
    async with peer_and_connection() as (peer, connection):
        await connection.ping()
        await peer.send(Transcript(text="one\n"))
        await peer.send(b'{"type":"session_changed","session":"s-1"}')
        await peer.send(Transcript(text="two\n"))
        stream = connection.events()
        got = [await asyncio.wait_for(anext(stream), 2) for _ in range(3)]
        assert got[0] == Transcript(text="one\n")
        assert isinstance(got[1], Unknown)
        assert got[1].type == "session_changed"
        assert got[2] == Transcript(text="two\n")


async def test_event_queue_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    async with peer_and_connection() as (peer, connection):
        await connection.ping()
        queue = connection.channel._events
        for i in range(queue.maxsize + 5):
            connection.channel._push_event(Transcript(text=str(i)))
        assert connection.channel.dropped_events == 5
        assert (await anext(connection.events())).text == "5"
        del peer


async def test_close_fails_pending_requests_and_ends_events() -> None:
    async def never(request: Request) -> list[Reply]:
        return [answer(request)] if isinstance(request, Hello) else []

    async with peer_and_connection(never) as (_, connection):
        pending = [asyncio.create_task(connection.evaluate(str(i))) for i in range(5)]
        reader = asyncio.create_task(anext(connection.events(), None))
        await asyncio.sleep(0.05)
        await connection.close()
        results = await asyncio.gather(*pending, return_exceptions=True)
        assert all(type(r) is ConnectionClosed for r in results)
        assert await asyncio.wait_for(reader, 1) is None
        assert connection.channel.pending_count == 0
        with pytest.raises(ConnectionClosed, match="closed"):
            await connection.evaluate("1")
        await connection.close()  # idempotent
