"""Following an image's Transcript (docs/protocol.md, "IDE operations").

A watching workbench (the TUI) already reads every client's events and publishes them
as `ImagePushed`: there, call `subscribe` and listen to the workbench. `follow` reads
the client's events itself, for a workbench that does not watch (the CLI); two readers
of one client would split its events between them.
"""

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


async def subscribe(client: ImageClient) -> None:
    """Ask the image to push its Transcript output to this client."""
    expect(await client.call(m.TranscriptSubscribe()), m.Subscribed)


async def stop_following(client: ImageClient) -> None:
    expect(await client.call(m.TranscriptUnsubscribe()), m.Subscribed)
