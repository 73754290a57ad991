"""Saving an image and recovering the changes a crash lost (docs/protocol.md, "IDE
operations": save, changes.list, changes.replay)."""

from __future__ import annotations

from stui.protocol import messages as m
from stui.tools.replies import expect
from stui.transport import ImageClient


async def save(client: ImageClient) -> m.Saved:
    """Snapshot the image; it keeps running."""
    return expect(await client.call(m.Save()), m.Saved)


async def has_unsaved_changes(client: ImageClient) -> bool:
    """Whether code changed since the image started or was saved (False if not told)."""
    return (await client.ping()).pong.unsaved is True


async def save_if_unsaved(client: ImageClient) -> m.Saved | None:
    """Save only when there is something to save; answer the save, or None."""
    return await save(client) if await has_unsaved_changes(client) else None


async def list_changes(client: ImageClient, with_source: bool = True) -> m.Changes:
    """The changes after the last save, each marked applied or superseded."""
    return expect(await client.call(m.ChangesList(source=with_source)), m.Changes)


async def replay(client: ImageClient) -> m.Replayed:
    """Apply what the image does not hold yet; a second replay applies nothing."""
    return expect(await client.call(m.ChangesReplay()), m.Replayed)


def pending(changes: m.Changes) -> list[m.Change]:
    """The changes a replay would apply."""
    return [
        c
        for c in changes.changes
        if not c.applied and not c.superseded and c.kind is not m.ChangeKind.DOIT
    ]
