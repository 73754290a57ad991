"""Transcript output pushed as events by a real image, in order, coalesced under a flood."""

from __future__ import annotations

import asyncio
import time

import pytest

from conformance.expected import Expectations
from stui.launcher.runtime import RuntimeInfo
from stui.protocol.messages import (
    Evaluate,
    Result,
    Subscribed,
    Transcript,
    TranscriptSubscribe,
    TranscriptUnsubscribe,
)
from stui.transport import ImageClient

pytestmark = pytest.mark.timeout(180)

CLIENT = "c-" + "d" * 32
LINES = 100_000


def connection_to(image: RuntimeInfo) -> ImageClient:
    return ImageClient(image.address, image.token, CLIENT)


async def transcript_text(conn: ImageClient, until: str, timeout: float = 30) -> tuple[str, int]:
    """Transcript text received until it ends with ``until``, and how many events carried it."""
    events = conn.events()
    text, count = "", 0
    deadline = time.monotonic() + timeout
    while not text.endswith(until):
        event = await asyncio.wait_for(anext(events), deadline - time.monotonic())
        if isinstance(event, Transcript):
            text += event.text
            count += 1
            assert event.dropped == 0
    return text, count


async def no_event(conn: ImageClient) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(conn.events()), 0.5)


async def test_subscribers_get_transcript_text_in_order(
    running_image: RuntimeInfo, expect: Expectations
) -> None:
    cr = expect.ide["transcript_newline"]
    async with connection_to(running_image) as conn, connection_to(running_image) as quiet:
        reply = await conn.call(TranscriptSubscribe())
        assert isinstance(reply, Subscribed) and reply.subscribed is True
        await conn.evaluate(f"Transcript show: 'one'; {cr}; show: 'two'; tab; print: 3; {cr}")
        await conn.evaluate(f"Transcript nextPutAll: 'été'; nextPut: $!; {cr}")
        text, _ = await transcript_text(conn, "été!\n")
        assert text == "one\ntwo\t3\nété!\n"
        await no_event(quiet)  # not subscribed: nothing
        off = await conn.call(TranscriptUnsubscribe())
        assert isinstance(off, Subscribed) and off.subscribed is False
        await conn.evaluate(f"Transcript show: 'unheard'; {cr}")
        await no_event(conn)


async def test_a_flood_is_coalesced_and_pings_are_answered(
    running_image: RuntimeInfo, expect: Expectations
) -> None:
    cr = expect.ide["transcript_newline"]
    async with connection_to(running_image) as conn:
        await conn.call(TranscriptSubscribe())
        code = f"1 to: {LINES} do: [:i | Transcript show: 'line ', i printString; {cr}]. #done"
        flood = asyncio.create_task(conn.call(Evaluate(code=code)))
        reader = asyncio.create_task(transcript_text(conn, f"line {LINES}\n", timeout=120))
        pongs_during_flood = 0
        while not flood.done():
            ping = await conn.ping()
            if not flood.done():
                pongs_during_flood += 1
                assert ping.rtt < 2.0
            await asyncio.sleep(0.02)
        result = await flood
        assert isinstance(result, Result) and result.value == "#done"
        text, events = await reader
        lines = text.splitlines()
        assert lines == [f"line {i}" for i in range(1, LINES + 1)]
        assert events < LINES / 100  # coalesced: never one event per line, let alone per character
        assert pongs_during_flood >= 1
