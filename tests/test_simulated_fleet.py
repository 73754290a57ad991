"""The simulated fleet (bench/simulated_fleet.py) and the client's scaling against it.

The fleet is a simulation of images, for measuring: it is used here to check that the
client reaches a thousand endpoints and notices one that goes away, which real VMs
cannot show on one machine. Functional behaviour is tested against real images
elsewhere. No assertion here is about speed (bench/fleet.py measures that).
"""

from __future__ import annotations

import asyncio
import resource
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import zmq

from stui.identity import new_client_id
from stui.images.health import HealthPolicy
from stui.protocol import EvaluationFailed, NoSession, Unauthorized
from stui.status import ConnectionStatus
from stui.transport import ImageClient, State
from stui.transport.errors import ConnectionLost, ConnectionTimeout
from stui.workbench import Workbench, WorkbenchConfig

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from simulated_fleet import (
    SIMULATED_DIALECT,
    EndpointSpec,
    Mode,
    SimulatedFleet,
    SimulatedFleetProcess,
    evaluate_arithmetic,
)

FLEET_SIZE = 1000
# Per connection, in this one process: the client's TCP socket; the fleet's accepted
# TCP socket, listener and ROUTER mailbox (the client's hub shares one socket).
FDS_PER_ENDPOINT = 4
CONNECT_TIMEOUT = 60.0  # generous: the test is about reaching them, not how fast
CLIENT = new_client_id()


@pytest.fixture
def fleet() -> Iterator[SimulatedFleet]:
    with SimulatedFleet(3) as running:
        yield running


@pytest.fixture
def client_context() -> Iterator[zmq.Context[Any]]:
    """A client context with libzmq's default cap of 1023 sockets: once, 3 per
    connection made that 341 images; the connections of a hub share one socket."""
    context: zmq.Context[Any] = zmq.Context()
    assert context.get(zmq.MAX_SOCKETS) == 1023
    yield context
    context.term()


@pytest.fixture
def enough_descriptors() -> Iterator[None]:
    """Raise this process's open-file limit for a thousand connections on both ends."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = FLEET_SIZE * FDS_PER_ENDPOINT + 1024
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"the open-file limit is {hard}; {needed} are needed (ulimit -Hn)")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, needed), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture
async def conn(fleet: SimulatedFleet) -> AsyncIterator[ImageClient]:
    spec = fleet.endpoints[0]
    connection = ImageClient(spec.address, spec.token, CLIENT)
    await connection.connect()
    yield connection
    await connection.close()


# -- the simulation speaks the protocol ------------------------------------------------


def test_every_endpoint_has_its_own_identity_and_port(fleet: SimulatedFleet) -> None:
    specs = fleet.endpoints
    assert len({s.image_id for s in specs}) == len({s.address for s in specs}) == 3
    assert all(s.address.startswith("tcp://127.0.0.1:") for s in specs)


async def test_hello_ping_and_a_trivial_evaluate(conn: ImageClient) -> None:
    welcome = conn.welcome
    assert welcome is not None
    assert welcome.image.dialect == SIMULATED_DIALECT
    assert "simulated" in (welcome.image.version or "")
    assert (await conn.ping()).pong.sessions == 0
    assert (await conn.evaluate("3 + 4 * 2")).value == "14"  # left to right
    assert (await conn.evaluate("3 + 4", mode="do")).value is None
    with pytest.raises(EvaluationFailed, match="integer arithmetic only"):
        await conn.evaluate("Smalltalk version")


async def test_sessions_belong_to_their_client(fleet: SimulatedFleet, conn: ImageClient) -> None:
    session = await conn.session_create("ws")
    assert session.label == "ws" and session.id.startswith("s-")
    assert [s.id for s in await conn.session_list()] == [session.id]
    assert (await conn.session_attach(session.id)).id == session.id
    assert (await conn.evaluate("1 + 1", session=session.id)).value == "2"
    assert (await conn.ping()).pong.sessions == 1
    spec = fleet.endpoints[0]
    other = ImageClient(spec.address, spec.token, new_client_id())
    await other.connect()
    try:
        with pytest.raises(NoSession):
            await other.session_attach(session.id)
        assert await other.session_list() == []
    finally:
        await other.close()
    await conn.session_close(session.id)
    with pytest.raises(NoSession):
        await conn.session_close(session.id)


async def test_a_wrong_token_is_refused(fleet: SimulatedFleet) -> None:
    spec = fleet.endpoints[1]
    connection = ImageClient(spec.address, "wrong", CLIENT)
    with pytest.raises(Unauthorized):
        await connection.connect()


async def test_hang_delay_resume(fleet: SimulatedFleet, conn: ImageClient) -> None:
    fleet.hang(0)
    assert fleet.mode(0) is Mode.HUNG
    with pytest.raises(ConnectionTimeout):
        await conn.ping(timeout=0.3)
    fleet.resume(0)
    fleet.delay(0, 0.3)
    assert (await conn.ping(timeout=5)).rtt >= 0.3
    fleet.resume(0)
    assert conn.state is State.READY


async def test_a_closed_endpoint_is_lost_and_a_restart_is_a_new_instance(
    fleet: SimulatedFleet, conn: ImageClient
) -> None:
    before = conn.welcome
    assert before is not None
    fleet.close(0)
    await asyncio.wait_for(conn.wait_closed(), 10)
    with pytest.raises(ConnectionLost):
        await conn.ping()
    with pytest.raises(ValueError, match="closed"):
        fleet.hang(0)
    fleet.restart(0)
    spec = fleet.endpoints[0]
    again = ImageClient(spec.address, spec.token, CLIENT)
    after = await again.connect()
    await again.close()
    assert after.image.image_id == before.image.image_id
    assert after.image.instance_id != before.image.instance_id


def test_the_fleet_runs_in_its_own_process_on_command() -> None:
    with SimulatedFleetProcess(2) as proc:
        assert len(proc.endpoints) == 2
        assert all(isinstance(e, EndpointSpec) for e in proc.endpoints)
        proc.command("delay 0 0.1")
        proc.command("hang 1")
        proc.command("close 1")
        with pytest.raises(RuntimeError, match="unknown command"):
            proc.command("explode 0")
    assert proc.proc.returncode == 0


@pytest.mark.parametrize(
    ("code", "value"), [("7", 7), ("3 + 4 * 2", 14), ("-3 * -2", 6), ("2 - 5", -3)]
)
def test_arithmetic_is_left_to_right(code: str, value: int) -> None:
    assert evaluate_arithmetic(code) == value


@pytest.mark.parametrize("code", ["", "3 +", "3 / 4", "x := 3", "3 + 4\nfoo"])
def test_anything_else_is_not_evaluated(code: str) -> None:
    assert evaluate_arithmetic(code) is None


# -- the client against a thousand endpoints ------------------------------------------


@pytest.mark.timeout(600)
async def test_a_thousand_endpoints_answer_and_one_closed_is_lost(
    client_context: zmq.Context[Any], enough_descriptors: None
) -> None:
    with SimulatedFleet(FLEET_SIZE) as fleet:
        specs = fleet.endpoints
        conns = [ImageClient(s.address, s.token, CLIENT, context=client_context) for s in specs]
        try:
            welcomes = await asyncio.gather(*(c.connect(CONNECT_TIMEOUT) for c in conns))
            assert [w.image.image_id for w in welcomes] == [s.image_id for s in specs]
            assert len({w.image.instance_id for w in welcomes}) == FLEET_SIZE
            pings = await asyncio.gather(*(c.ping(CONNECT_TIMEOUT) for c in conns))
            assert len(pings) == FLEET_SIZE

            victim = FLEET_SIZE // 2
            fleet.close(victim)
            await asyncio.wait_for(conns[victim].wait_closed(), 30)
            with pytest.raises(ConnectionLost):
                await conns[victim].ping()
            others = [c for i, c in enumerate(conns) if i != victim]
            await asyncio.gather(*(c.ping(CONNECT_TIMEOUT) for c in others))
            assert all(c.state is State.READY for c in others)
        finally:
            await asyncio.gather(*(c.close() for c in conns))


async def test_the_health_monitor_sees_a_closed_and_a_hung_endpoint(
    stui_home: Path, fleet: SimulatedFleet
) -> None:
    policy = HealthPolicy(interval=0.2, late_after=0.5, miss_limit=2, connect_timeout=2.0)
    specs = fleet.endpoints
    async with Workbench(WorkbenchConfig(health=policy, client_id=CLIENT)) as wb:
        for spec in specs:
            wb.add_image(spec.name, spec.address, spec.token)
        for spec in specs:
            await wb.wait_for(spec.name, ConnectionStatus.CONNECTED, timeout=10)
        fleet.close(0)
        fleet.hang(1)
        await wb.wait_for(specs[0].name, ConnectionStatus.DISCONNECTED, timeout=10)
        await wb.wait_for(specs[1].name, ConnectionStatus.DISCONNECTED, timeout=10)
        assert wb.image(specs[2].name).status is ConnectionStatus.CONNECTED


async def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.1)


@pytest.mark.timeout(600)
async def test_a_workbench_watches_a_thousand_and_sees_one_closed(
    stui_home: Path, enough_descriptors: None
) -> None:
    """The whole stack (discovery, health monitor, hub, store) over a thousand endpoints,
    served from another process as the benchmark does."""
    with SimulatedFleetProcess(FLEET_SIZE) as fleet:
        specs = fleet.endpoints
        names = {s.name for s in specs}
        async with Workbench(WorkbenchConfig(client_id=CLIENT)) as wb:
            wb.add_images([(s.name, s.address, s.token) for s in specs])

            def statuses() -> dict[str, ConnectionStatus]:
                return {v.name: v.status for v in wb.images() if v.name in names}

            def all_connected() -> bool:
                return all(s is ConnectionStatus.CONNECTED for s in statuses().values())

            await wait_until(all_connected, CONNECT_TIMEOUT, "not all endpoints connected")
            assert len(statuses()) == FLEET_SIZE
            victim = specs[FLEET_SIZE // 3].name
            fleet.command(f"close {FLEET_SIZE // 3}")
            await wb.wait_for(victim, ConnectionStatus.DISCONNECTED, timeout=30)
            others = {n: s for n, s in statuses().items() if n != victim}
            assert ConnectionStatus.DISCONNECTED not in others.values()
