"""How the client scales to a fleet: shared sockets, limits, batched bookkeeping.

The endpoints are the simulated fleet of bench/simulated_fleet.py (a real libzmq
ROUTER per endpoint speaking the protocol), used here because what is checked is the
client's bookkeeping across many links. No assertion here is about speed.
"""

from __future__ import annotations

import asyncio
import random
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stui.identity import new_client_id
from stui.images.health import HealthPolicy
from stui.images.lag import LoopLag
from stui.images.latency import LatencyStats
from stui.sessions.store import SessionStore
from stui.status import ConnectionStatus
from stui.transport import ImageClient, State
from stui.transport.capacity import FleetFull, check_room, descriptors_for, ensure_descriptors
from stui.transport.hub import _HUBS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from simulated_fleet import SimulatedFleet
from stui.workbench import ImageChanged, Workbench, WorkbenchConfig
from stui.workbench.workbench import PUBLISH_TICK

CLIENT = new_client_id()


@pytest.fixture
def fleet() -> Iterator[SimulatedFleet]:
    with SimulatedFleet(4) as running:
        yield running


def hubs() -> list[object]:
    """The hubs of the running loop (a test elsewhere may leave a client of its own loop)."""
    loop = asyncio.get_running_loop()
    return [hub for (owner, _), group in _HUBS.items() if owner is loop for hub in group]


# -- one socket for many links ----------------------------------------------------------


async def test_the_links_of_a_loop_share_one_hub_that_closes_with_the_last(
    fleet: SimulatedFleet,
) -> None:
    clients = [ImageClient(s.address, s.token, CLIENT) for s in fleet.endpoints]
    for client in clients:
        await client.connect()
    assert len(hubs()) == 1
    assert len(hubs()[0]) == 4  # type: ignore[arg-type]
    assert [(await c.ping()).pong.sessions for c in clients] == [0, 0, 0, 0]
    for client in clients:
        await client.close()
    assert hubs() == []


async def test_a_second_link_to_one_address_takes_its_own_hub(fleet: SimulatedFleet) -> None:
    spec = fleet.endpoints[0]
    first = ImageClient(spec.address, spec.token, CLIENT)
    second = ImageClient(spec.address, spec.token, new_client_id())
    await first.connect()
    await second.connect()
    try:
        assert len(hubs()) == 2
        await first.ping()
        await second.ping()
        fleet.close(0)  # both links are told, each by its own hub's monitor
        for client in (first, second):
            await client.wait_closed()
            assert client.state is State.CLOSED
    finally:
        await first.close()
        await second.close()
    assert hubs() == []


async def test_a_closed_endpoint_loses_only_its_own_link(fleet: SimulatedFleet) -> None:
    clients = [ImageClient(s.address, s.token, CLIENT) for s in fleet.endpoints]
    for client in clients:
        await client.connect()
    try:
        fleet.close(2)
        await clients[2].wait_closed()
        for i in (0, 1, 3):
            assert (await clients[i].ping()).pong is not None
            assert clients[i].state is State.READY
    finally:
        for client in clients:
            await client.close()


# -- limits ------------------------------------------------------------------------------


def test_a_hub_left_open_by_a_closed_loop_is_never_lent_to_a_later_loop(
    fleet: SimulatedFleet,
) -> None:
    """One loop after another (as a test suite runs them) may put a new loop at the
    address of a closed one: a hub must belong to the loop that asks, or the replies
    it reads go to a loop that no longer runs."""
    spec = fleet.endpoints[0]
    leaked: list[ImageClient] = []

    async def leave_a_client_open() -> object:
        client = ImageClient(spec.address, spec.token, CLIENT)
        await client.connect()
        leaked.append(client)  # never closed
        return hubs()[0]

    async def ping_from_a_new_loop() -> tuple[int, list[object]]:
        client = ImageClient(spec.address, spec.token, new_client_id())
        await client.connect()
        try:
            return (await client.ping()).pong.sessions, hubs()
        finally:
            await client.close()

    stale = asyncio.run(leave_a_client_open())
    for _ in range(3):  # the new loop's address is often the closed one's
        sessions, fresh = asyncio.run(ping_from_a_new_loop())
        assert sessions == 0
        assert stale not in fresh
    assert stale._sock is None  # type: ignore[attr-defined]  # its sockets were closed


def test_the_configured_maximum_is_named_with_how_to_raise_it() -> None:
    check_room(9, 10, 1000)
    with pytest.raises(FleetFull, match=r"at most 10 images .*max_images"):
        check_room(10, 10, 1000)


def test_the_open_file_limit_is_named_with_how_to_raise_it() -> None:
    with pytest.raises(FleetFull, match=r"open-file limit .* allows 5 images.*ulimit -Hn"):
        check_room(5, 100, 5)


def test_the_soft_open_file_limit_is_raised_to_fit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        wanted = 1000 if hard == resource.RLIM_INFINITY else min(1000, hard - descriptors_for(0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (descriptors_for(0), hard))
        assert ensure_descriptors(wanted) >= wanted
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= descriptors_for(wanted)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# -- bookkeeping: batched, coalesced, sorted ---------------------------------------------


def test_a_batch_of_status_changes_is_recorded_in_order(tmp_path: Path) -> None:
    with SessionStore(tmp_path / "s.db") as store:
        with store.write() as tx:
            tx.record_statuses(
                [
                    ("img-a", "2026-01-01T00:00:00.000000Z", "connecting", "connecting", None),
                    ("img-a", "2026-01-01T00:00:01.000000Z", "degraded", "late pong", "inst-1"),
                    ("img-b", "2026-01-01T00:00:01.000000Z", "connecting", None, None),
                ]
            )
        with store.read() as tx:
            a, b = tx.image("img-a"), tx.image("img-b")
            assert a is not None and b is not None
            assert (a.status, b.status) == ("degraded", "connecting")
            assert a.last_seen_at is not None and b.last_seen_at is None
            assert [e.event for e in tx.events("img-a", 10)] == ["degraded", "connecting"]
            assert tx.events("img-a", 1)[0].instance_id == "inst-1"


async def test_subscribers_get_one_change_per_image_per_tick(stui_home: Path) -> None:
    async with Workbench(WorkbenchConfig(watch=False, client_id=CLIENT)) as wb:
        wb.add_image("one", "tcp://127.0.0.1:9", "t")
        wb.add_image("two", "tcp://127.0.0.1:10", "t")
        await asyncio.sleep(PUBLISH_TICK * 3)
        seen: list[ImageChanged] = []
        wb.subscribe(lambda e: seen.append(e) if isinstance(e, ImageChanged) else None)
        one, two = wb.registry.get("one"), wb.registry.get("two")
        for status in (ConnectionStatus.CONNECTED, ConnectionStatus.DEGRADED) * 3:
            wb.registry.set_status(one, status, "flapping")
        wb.registry.set_status(two, ConnectionStatus.CONNECTED, "up")
        assert seen == []  # nothing before the tick
        await asyncio.sleep(PUBLISH_TICK * 3)
        assert [(e.name, e.view.status) for e in seen] == [
            ("one", ConnectionStatus.DEGRADED),
            ("two", ConnectionStatus.CONNECTED),
        ]


def test_latency_percentiles_match_a_sort_of_the_window() -> None:
    rng = random.Random(14)
    stats = LatencyStats(window=50)
    window: list[float] = []
    for _ in range(400):
        value = rng.choice([rng.random(), 0.5])  # repeats, too
        stats.add(value)
        window = [*window, value][-50:]
        ordered = sorted(window)
        for q in (0, 50, 99, 100):
            rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
            assert stats.percentile(q) == ordered[rank]


# -- no thundering herd, and no blame for our own stalls ----------------------------------


async def test_a_stall_of_the_loop_is_measured() -> None:
    lag = LoopLag()
    probe = asyncio.create_task(lag.run())
    try:
        await asyncio.sleep(0.12)
        began = lag.now()
        assert lag.since(began) == 0.0
        time.sleep(0.3)
        assert lag.since(began) >= 0.25  # seen while it is still going on
        await asyncio.sleep(0.12)
        assert lag.since(began) >= 0.25  # and once the probe woke
    finally:
        probe.cancel()


async def test_a_pong_late_only_because_our_loop_stalled_is_not_degraded(
    stui_home: Path, fleet: SimulatedFleet
) -> None:
    policy = HealthPolicy(interval=0.2, late_after=0.1, miss_limit=2, connect_timeout=2.0)
    spec, slow = fleet.endpoints[0], fleet.endpoints[1]
    async with Workbench(WorkbenchConfig(health=policy, client_id=CLIENT)) as wb:
        for s in (spec, slow):
            wb.add_image(s.name, s.address, s.token)
            await wb.wait_for(s.name, ConnectionStatus.CONNECTED, timeout=10)
        fleet.delay(0, 0.06)  # in time, but in flight when the next stall begins
        for _ in range(8):  # stalls longer than late_after, 10 ms apart
            time.sleep(0.3)
            await asyncio.sleep(0.01)
        assert wb.image(spec.name).latency.p99 > policy.late_after  # late, as measured
        history = wb.image(spec.name).history
        assert ConnectionStatus.DEGRADED not in [c.status for c in history]
        fleet.delay(1, 0.3)  # the image itself is late: that is still seen
        await wb.wait_for(slow.name, ConnectionStatus.DEGRADED, timeout=10)


async def test_many_short_stalls_add_up_but_the_longest_is_one_of_them() -> None:
    lag = LoopLag()
    probe = asyncio.create_task(lag.run())
    try:
        await asyncio.sleep(0.12)
        began = lag.now()
        for _ in range(12):  # a loaded loop: short stalls, each followed by a turn
            time.sleep(0.06)
            await asyncio.sleep(0.06)
        assert lag.since(began) >= 0.15
        assert lag.longest(began) < 0.1
        time.sleep(0.3)
        assert lag.longest(began) >= 0.25  # one going on counts too
    finally:
        probe.cancel()


async def test_a_hung_endpoint_is_lost_while_our_loop_stalls_in_short_bursts(
    stui_home: Path, fleet: SimulatedFleet
) -> None:
    policy = HealthPolicy(interval=0.6, late_after=0.3, miss_limit=2, connect_timeout=2.0)
    spec = fleet.endpoints[0]
    async with Workbench(WorkbenchConfig(health=policy, client_id=CLIENT)) as wb:
        wb.add_image(spec.name, spec.address, spec.token)
        await wb.wait_for(spec.name, ConnectionStatus.CONNECTED, timeout=10)
        fleet.hang(0)
        for _ in range(200):  # stalls that sum to over half a ping's deadline, each short
            if wb.image(spec.name).status is ConnectionStatus.DISCONNECTED:
                break
            time.sleep(0.15)
            await asyncio.sleep(0.01)
        assert wb.image(spec.name).status is ConnectionStatus.DISCONNECTED


async def test_a_batch_that_does_not_fit_is_refused_before_it_is_saved(stui_home: Path) -> None:
    policy = HealthPolicy(max_images=3)
    async with Workbench(WorkbenchConfig(health=policy, client_id=CLIENT)) as wb:
        batch = [(f"e{i}", f"tcp://127.0.0.1:{9000 + i}", "t") for i in range(4)]
        with pytest.raises(FleetFull, match="at most 3 images"):
            wb.add_images(batch)
        assert wb.images() == []
        assert [v.name for v in wb.add_images(batch[:3])] == ["e0", "e1", "e2"]


async def test_a_listing_past_the_maximum_names_the_limit_for_the_rest(
    stui_home: Path, fleet: SimulatedFleet
) -> None:
    """One-shot mode (`stui images`) reaches every image at once: those that do not fit
    say why, instead of failing to connect for a reason that is not theirs."""
    config = WorkbenchConfig(health=HealthPolicy(max_images=3), client_id=CLIENT, watch=False)
    async with Workbench(config) as wb:
        wb.add_images([(s.name, s.address, s.token) for s in fleet.endpoints])
        views = await wb.probe()
    statuses = [v.status for v in views]
    assert statuses.count(ConnectionStatus.CONNECTED) == 3
    (left,) = [v for v in views if v.status is ConnectionStatus.DISCONNECTED]
    assert left.last_error is not None and "at most 3 images" in left.last_error
