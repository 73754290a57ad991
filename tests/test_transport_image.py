"""ImageClient against a real Squeak image running the STUI server."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from stui.launcher.runtime import RuntimeInfo
from stui.protocol import (
    Busy,
    EvalErrorKind,
    EvaluationFailed,
    NoSession,
    Unauthorized,
)
from stui.transport import ConnectionLost, ImageClient, State

pytestmark = pytest.mark.timeout(120)

CLIENT = "c-" + "7" * 32


def connection_to(image: RuntimeInfo, token: str | None = None) -> ImageClient:
    return ImageClient(image.address, token or image.token, CLIENT)


async def test_hello_reports_the_image(running_image: RuntimeInfo) -> None:
    async with connection_to(running_image) as connection:
        welcome = connection.welcome
        assert welcome is not None
        assert welcome.protocol.startswith("1.")
        assert welcome.image.image_id == running_image.image_id
        assert welcome.image.instance_id
        assert welcome.image.dialect == "squeak"
        assert "evaluate" in welcome.capabilities


async def test_wrong_token_is_unauthorized(running_image: RuntimeInfo) -> None:
    connection = connection_to(running_image, token="0" * 32)
    with pytest.raises(Unauthorized):
        await connection.connect()
    assert connection.state is State.CLOSED


async def test_evaluate_print_and_errors(running_image: RuntimeInfo) -> None:
    async with connection_to(running_image) as connection:
        result = await connection.evaluate("3 + 4")
        assert (result.value, result.class_, result.truncated) == ("7", "SmallInteger", False)
        text = await connection.evaluate("'a', (String with: Character cr), 'b'")
        assert text.value == "'a\nb'"
        with pytest.raises(EvaluationFailed) as caught:
            await connection.evaluate("3 +")
        assert caught.value.error.kind == EvalErrorKind.SYNTAX
        assert caught.value.error.position is not None
        with pytest.raises(EvaluationFailed) as caught:
            await connection.evaluate("nil foo")
        assert caught.value.error.kind == EvalErrorKind.RUNTIME
        assert "foo" in caught.value.error.message
        cut = await connection.evaluate("String new: 50 withAll: $x", max_print=10)
        assert cut.truncated
        assert len(cut.value or "") <= 10


async def test_sessions_keep_bindings_and_belong_to_their_client(
    running_image: RuntimeInfo,
) -> None:
    async with connection_to(running_image) as connection:
        session = await connection.session_create("ws")
        assert session.id.startswith("s-")
        assert session.client_id == CLIENT
        await connection.evaluate("x := 6 * 7", mode="do", session=session.id)
        assert (await connection.evaluate("x", session=session.id)).value == "42"
        assert session.id in [s.id for s in await connection.session_list()]
        stats = await connection.session_stats()
        assert stats.total >= 1
        assert (await connection.session_attach(session.id)).id == session.id
        other = ImageClient(running_image.address, running_image.token, "c-" + "8" * 32)
        async with other:
            with pytest.raises(NoSession):
                await other.evaluate("x", session=session.id)
        await connection.session_close(session.id)
        with pytest.raises(NoSession):
            await connection.evaluate("x", session=session.id)
        cleaned = await connection.session_cleanup("older_than", hours=0)
        assert cleaned.remaining >= 0


async def test_ping_and_interrupt_while_an_evaluation_loops(running_image: RuntimeInfo) -> None:
    async with connection_to(running_image) as connection:
        session = await connection.session_create()
        loop = asyncio.create_task(connection.evaluate("[true] whileTrue", session=session.id))
        await asyncio.sleep(0.3)
        ping = await connection.ping()
        assert ping.pong.busy
        assert ping.rtt < 1.0
        with pytest.raises(Busy):
            await connection.evaluate("1", session=session.id)
        interrupted = await connection.interrupt(session.id)
        assert interrupted.was_running
        with pytest.raises(EvaluationFailed) as caught:
            await asyncio.wait_for(loop, 5)
        assert caught.value.error.kind == EvalErrorKind.INTERRUPTED
        assert (await connection.evaluate("1 + 1", session=session.id)).value == "2"


async def test_many_concurrent_requests(running_image: RuntimeInfo) -> None:
    async with connection_to(running_image) as connection:
        pings = await asyncio.gather(*(connection.ping() for _ in range(200)))
        assert len(pings) == 200
        results = await asyncio.gather(*(connection.evaluate(f"{i} * 2") for i in range(50)))
        assert [r.value for r in results] == [str(i * 2) for i in range(50)]
        assert connection.channel.pending_count == 0


async def test_a_killed_image_fails_pending_requests_at_once(
    running_image: RuntimeInfo,
) -> None:
    async with connection_to(running_image) as connection:
        session = await connection.session_create()
        pending = asyncio.create_task(connection.evaluate("[true] whileTrue", session=session.id))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        os.kill(running_image.pid, signal.SIGKILL)
        with pytest.raises(ConnectionLost):
            await asyncio.wait_for(pending, 10)
        assert time.monotonic() - started < 3
        assert connection.state is State.CLOSED
