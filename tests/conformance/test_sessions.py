"""Image-side sessions on a real image of each dialect: isolation, ownership, orphans,
expiry, cleanup."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from conformance.wire import Peer, wait_for
from stui.launcher.runtime import RuntimeInfo

SESSION_ID = re.compile(r"^s-[0-9a-f]{32}$")


def hello(connect: Callable[[RuntimeInfo], Peer], info: RuntimeInfo, client_id: str) -> Peer:
    peer = connect(info)
    assert peer.hello(info.token, client_id=client_id)["type"] == "welcome"
    return peer


def create(peer: Peer, label: str | None = None) -> str:
    reply = peer.request("session.create", **({"label": label} if label else {}))
    assert reply["type"] == "session", reply
    return reply["session"]["id"]


def value(peer: Peer, code: str, session: str) -> str:
    reply = peer.request("evaluate", code=code, session=session)
    assert reply["type"] == "result", reply
    return reply["value"]


def test_create_describes_the_session(client: Peer) -> None:
    reply = client.request("session.create", label="workspace 1")
    session = reply["session"]
    assert SESSION_ID.match(session["id"])
    assert session["label"] == "workspace 1"
    assert session["status"] == "active"
    assert session["bindings"] == 0
    created = datetime.fromisoformat(session["created_at"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - created).total_seconds()) < 60
    assert session["last_activity"] == session["created_at"]


def test_variables_live_in_their_session_only(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    alice = hello(connect, running_image, "c-alice")
    bob = hello(connect, running_image, "c-bob")
    a, b = create(alice), create(bob)
    a2 = create(alice)
    assert value(alice, "x := 42", a) == "42"
    assert value(alice, "x + 1", a) == "43"
    assert value(bob, "x", b) == "nil"
    assert value(alice, "x", a2) == "nil"
    assert value(bob, "x := 'bob'. y := 7. x", b) == "'bob'"
    assert value(alice, "x", a) == "42"
    assert value(alice, "Undeclared includesKey: #x", a) == "false"
    assert value(alice, "[:k | x := x + k] value: 8. x", a) == "50"
    assert alice.request("session.attach", session=a)["session"]["bindings"] == 1
    assert bob.request("session.attach", session=b)["session"]["bindings"] == 2


def test_a_syntax_error_adds_no_binding(client: Peer) -> None:
    s = create(client)
    reply = client.request("evaluate", code="fresh := 3 +", session=s)
    assert reply["kind"] == "syntax"
    assert client.request("session.attach", session=s)["session"]["bindings"] == 0


def test_another_clients_session_is_no_session(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    alice = hello(connect, running_image, "c-alice")
    mallory = hello(connect, running_image, "c-mallory")
    a = create(alice)
    value(alice, "secret := 'alice'", a)
    for request, fields in [
        ("evaluate", {"code": "secret", "session": a}),
        ("session.attach", {"session": a}),
        ("session.close", {"session": a}),
        ("interrupt", {"session": a}),
    ]:
        reply = mallory.request(request, **fields)
        assert reply["type"] == "error" and reply["code"] == "no_session", (request, reply)
    assert mallory.request("session.list", include_orphaned=True)["sessions"] == []
    assert value(alice, "secret", a) == "'alice'"


@pytest.mark.parametrize("bad", ["s-nope", "", "s-" + "0" * 32, "S-" + "a" * 32, "x" * 1000])
def test_unknown_session_ids_are_no_session(client: Peer, bad: str) -> None:
    assert client.request("evaluate", code="1", session=bad)["code"] == "no_session"


def test_one_evaluation_at_a_time_per_session(client: Peer) -> None:
    s, other = create(client), create(client)
    slow = client.send("evaluate", code="(Delay forMilliseconds: 400) wait. 1", session=s)
    time.sleep(0.05)
    busy = client.request("evaluate", code="2", session=s)
    assert busy["type"] == "error" and busy["code"] == "busy"
    assert value(client, "3", other) == "3"
    assert client.recv()["id"] == slow
    assert value(client, "4", s) == "4"


def test_interrupt_a_session_keeps_its_bindings(client: Peer) -> None:
    s = create(client)
    value(client, "n := 0", s)
    loop = client.send("evaluate", code="[true] whileTrue: [n := n + 1]", session=s)
    time.sleep(0.2)
    stop = client.send("interrupt", session=s)
    interrupted = client.recv()
    assert (interrupted["id"], interrupted["kind"]) == (loop, "interrupted")
    assert client.recv() == {"type": "interrupted", "id": stop, "was_running": True}
    assert int(value(client, "n", s)) > 0


def test_close_removes_the_session_and_stops_its_evaluation(client: Peer) -> None:
    s = create(client)
    loop = client.send("evaluate", code="[true] whileTrue", session=s)
    time.sleep(0.1)
    close = client.send("session.close", session=s)
    interrupted = client.recv()
    assert (interrupted["id"], interrupted["kind"]) == (loop, "interrupted")
    assert client.recv() == {"type": "closed", "id": close, "session": s}
    assert client.request("evaluate", code="1", session=s)["code"] == "no_session"
    assert client.request("ping")["busy"] is False


def test_a_closed_connection_orphans_its_sessions_until_attached(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    first = hello(connect, running_image, "c-same")
    s = create(first, "kept")
    value(first, "kept := #yes", s)
    first.close()
    second = hello(connect, running_image, "c-same")

    def orphaned() -> bool:
        listed = second.request("session.list", include_orphaned=True)["sessions"]
        return [x["status"] for x in listed] == ["orphaned"]

    wait_for(orphaned)
    assert second.request("session.list")["sessions"] == []
    stats = second.request("session.stats")
    assert (stats["total"], stats["active"], stats["orphaned"]) == (1, 0, 1)
    assert stats["context_size"] == 1
    attached = second.request("session.attach", session=s)["session"]
    assert (attached["status"], attached["label"], attached["bindings"]) == ("active", "kept", 1)
    assert value(second, "kept", s) == "#yes"
    assert [x["id"] for x in second.request("session.list")["sessions"]] == [s]


def test_cleanup_orphaned_and_older_than(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    gone = hello(connect, running_image, "c-me")
    orphan = create(gone)
    gone.close()
    me = hello(connect, running_image, "c-me")
    mine = create(me)
    other = hello(connect, running_image, "c-other")
    theirs = create(other)
    wait_for(lambda: me.request("session.stats")["orphaned"] == 1)
    reply = me.request("session.cleanup", scope="orphaned")
    assert (reply["type"], reply["cleaned"], reply["remaining"]) == ("cleaned", 1, 1)
    assert me.request("session.attach", session=orphan)["code"] == "no_session"
    assert me.request("session.cleanup", scope="older_than", hours=1)["cleaned"] == 0
    time.sleep(1.1)
    reply = me.request("session.cleanup", scope="older_than", hours=0)
    assert (reply["cleaned"], reply["remaining"]) == (1, 0)
    assert me.request("evaluate", code="1", session=mine)["code"] == "no_session"
    assert value(other, "1", theirs) == "1"


@pytest.mark.parametrize(
    "fields",
    [{}, {"scope": "everything"}, {"scope": "older_than"}, {"scope": "older_than", "hours": "x"}],
)
def test_cleanup_checks_its_fields(client: Peer, fields: dict) -> None:
    assert client.request("session.cleanup", **fields)["code"] == "bad_request"


def test_bad_session_fields(client: Peer) -> None:
    assert client.request("session.create", label=3)["code"] == "bad_request"
    assert client.request("session.attach")["code"] == "bad_request"
    assert client.request("session.list", include_orphaned="yes")["code"] == "bad_request"


def test_orphaned_sessions_expire_after_the_ttl(
    start_images: Callable[..., list[RuntimeInfo]], connect: Callable[[RuntimeInfo], Peer]
) -> None:
    (info,) = start_images(1, session_ttl=1)
    client_id = f"c-{uuid.uuid4()}"
    leaving = hello(connect, info, client_id)
    doomed = create(leaving)
    staying = hello(connect, info, client_id)
    alive = create(staying)
    leaving.close()
    wait_for(lambda: staying.request("session.stats")["orphaned"] == 1)
    wait_for(lambda: staying.request("session.stats")["total"] == 1, timeout=5)
    assert [
        s["id"] for s in staying.request("session.list", include_orphaned=True)["sessions"]
    ] == [alive]
    assert staying.request("session.attach", session=doomed)["code"] == "no_session"
    assert staying.request("ping")["sessions"] == 1


def test_cleanup_expired_removes_every_clients_expired_sessions(
    start_images: Callable[..., list[RuntimeInfo]], connect: Callable[[RuntimeInfo], Peer]
) -> None:
    (info,) = start_images(1, session_ttl=1)
    other = hello(connect, info, "c-other")
    create(other)
    other.close()
    me = hello(connect, info, "c-me")
    mine = create(me)
    time.sleep(1.2)
    reply = me.request("session.cleanup", scope="expired")
    assert reply["type"] == "cleaned"
    assert me.request("ping")["sessions"] == 1
    assert value(me, "1", mine) == "1"


def test_a_busy_session_does_not_starve_another(client: Peer) -> None:
    busy, other = create(client), create(client)
    loop = client.send("evaluate", code="[true] whileTrue", session=busy)
    time.sleep(0.1)
    for n in range(5):
        start = time.monotonic()
        assert value(client, f"{n} + 1", other) == str(n + 1)
        assert time.monotonic() - start < 1.0
    client.send("interrupt", session=busy)
    assert client.recv()["id"] == loop
    assert client.recv()["was_running"] is True


def test_older_than_keeps_busy_sessions_and_takes_fractional_hours(client: Peer) -> None:
    busy, idle = create(client), create(client)
    loop = client.send("evaluate", code="[true] whileTrue", session=busy)
    time.sleep(1.1)
    assert client.request("session.cleanup", scope="older_than", hours=0.5)["cleaned"] == 0
    reply = client.request("session.cleanup", scope="older_than", hours=0)
    assert (reply["cleaned"], reply["remaining"]) == (1, 1)
    assert client.request("session.attach", session=idle)["code"] == "no_session"
    client.send("interrupt", session=busy)
    assert client.recv()["id"] == loop
    assert client.recv()["was_running"] is True


def test_pong_counts_every_clients_sessions_and_remaining_only_mine(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    alice = hello(connect, running_image, "c-alice")
    bob = hello(connect, running_image, "c-bob")
    create(alice)
    create(bob), create(bob)
    assert alice.request("ping")["sessions"] == 3
    assert alice.request("session.stats")["total"] == 1
    reply = alice.request("session.cleanup", scope="orphaned")
    assert (reply["cleaned"], reply["remaining"]) == (0, 1)


def test_using_an_orphaned_session_restarts_its_expiry_clock(
    start_images: Callable[..., list[RuntimeInfo]], connect: Callable[[RuntimeInfo], Peer]
) -> None:
    """It stays orphaned (its own connection is gone) but does not expire under use."""
    (info,) = start_images(1, session_ttl=3)
    leaving = hello(connect, info, "c-user")
    s = create(leaving)
    staying = hello(connect, info, "c-user")
    leaving.close()
    wait_for(lambda: staying.request("session.stats")["orphaned"] == 1)
    time.sleep(2)
    assert value(staying, "#used", s) == "#used"
    time.sleep(2)  # 4 s after orphaning, 2 s after use
    (listed,) = staying.request("session.list", include_orphaned=True)["sessions"]
    assert (listed["id"], listed["status"]) == (s, "orphaned")
    wait_for(lambda: staying.request("session.stats")["total"] == 0, timeout=6)
