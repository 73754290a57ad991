"""Deadlines: FIFO queues per timeout behind one loop timer."""

from __future__ import annotations

import asyncio

from stui.transport.deadlines import Deadlines


class Book:
    """The pending set and what expired, as ImageClient keeps them."""

    def __init__(self) -> None:
        self.pending: set[int] = set()
        self.expired: list[tuple[int, str, float]] = []
        self.deadlines = Deadlines(
            asyncio.get_running_loop(), self.pending.__contains__, self.expire
        )

    def add(self, rid: int, delay: float) -> None:
        self.pending.add(rid)
        self.deadlines.add(rid, f"t{rid}", delay)

    def answer(self, rid: int, delay: float) -> None:
        self.pending.discard(rid)
        self.deadlines.settle(delay)

    def expire(self, rid: int, tag: str, delay: float) -> None:
        self.expired.append((rid, tag, delay))


async def test_expiry_in_deadline_order_across_timeouts() -> None:
    book = Book()
    book.add(1, 0.3)
    book.add(2, 0.1)  # shorter, added later: must still fire first
    book.add(3, 0.3)
    book.add(4, 0.2)
    await asyncio.sleep(0.15)
    assert [e[0] for e in book.expired] == [2]
    await asyncio.sleep(0.25)
    assert [e[0] for e in book.expired] == [2, 4, 1, 3]
    assert book.expired[0] == (2, "t2", 0.1)
    assert len(book.deadlines) == 0


async def test_answered_requests_never_expire_and_are_forgotten() -> None:
    book = Book()
    for rid in range(100):
        book.add(rid, 0.05)
        book.answer(rid, 0.05)
    assert len(book.deadlines) == 0
    book.add(100, 0.05)
    book.add(101, 0.05)
    book.answer(101, 0.05)  # out of order: stays behind 100 until 100 settles
    assert len(book.deadlines) == 2
    await asyncio.sleep(0.1)
    assert [e[0] for e in book.expired] == [100]
    assert len(book.deadlines) == 0


async def test_close_cancels_everything() -> None:
    book = Book()
    book.add(1, 0.05)
    book.deadlines.close()
    await asyncio.sleep(0.1)
    assert book.expired == []
