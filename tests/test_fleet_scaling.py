"""How the client scales to a fleet: shared sockets, limits, batched bookkeeping.

The endpoints are the simulated fleet of bench/simulated_fleet.py (a real libzmq
ROUTER per endpoint speaking the protocol), used here because what is checked is the
client's bookkeeping across many links. No assertion here is about speed.
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from stui.identity import new_client_id
from stui.transport import ImageClient, State
from stui.transport.capacity import FleetFull, check_room, descriptors_for, ensure_descriptors
from stui.transport.hub import _HUBS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from simulated_fleet import SimulatedFleet

CLIENT = new_client_id()


@pytest.fixture
def fleet() -> Iterator[SimulatedFleet]:
    with SimulatedFleet(4) as running:
        yield running


def hubs() -> list[object]:
    return [hub for group in _HUBS.values() for hub in group]


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
