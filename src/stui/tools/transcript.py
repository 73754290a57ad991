"""Following an image's Transcript (docs/protocol.md, "IDE operations")."""

from __future__ import annotations

from collections.abc import AsyncIterator

from stui.protocol import messages as m
from stui.tools.replies import expect
from stui.transport import ImageClient


async def follow(client: ImageClient) -> AsyncIterator[m.Transcript]:
    """Subscribe, then yield Transcript events in order until the link closes."""
    events = client.events()  # read from here on, so nothing after the reply is missed
    reply = await client.call(m.TranscriptSubscribe())
    expect(reply, m.Subscribed)
    async for event in events:
        if isinstance(event, m.Transcript):
            yield event


async def stop_following(client: ImageClient) -> None:
    expect(await client.call(m.TranscriptUnsubscribe()), m.Subscribed)
