"""interrupt on a real image of each dialect: reply order, whose evaluations, recovery."""

from __future__ import annotations

import time
from collections.abc import Callable

from conformance.wire import Peer
from stui.launcher.runtime import RuntimeInfo


def evaluate(peer: Peer, code: str, **fields: object) -> dict:
    return peer.request("evaluate", code=code, **fields)


def test_ping_is_answered_while_user_code_loops_and_interrupt_recovers(client: Peer) -> None:
    loop_id = client.send("evaluate", code="[true] whileTrue")
    time.sleep(0.2)
    for _ in range(5):
        start = time.monotonic()
        pong = client.request("ping", timeout=2)
        assert pong["busy"] is True
        assert time.monotonic() - start < 0.5
    interrupt_id = client.send("interrupt")
    interrupted = client.recv()
    assert interrupted["id"] == loop_id
    assert interrupted["type"] == "eval_error" and interrupted["kind"] == "interrupted"
    answer = client.recv()
    assert answer == {"type": "interrupted", "id": interrupt_id, "was_running": True}
    assert client.request("ping")["busy"] is False
    assert evaluate(client, "3 + 4")["value"] == "7"


def test_interrupt_with_nothing_running(client: Peer) -> None:
    assert client.request("interrupt")["was_running"] is False


def test_interrupt_stops_a_long_wait(client: Peer) -> None:
    waiting = client.send("evaluate", code="(Delay forSeconds: 30) wait. 1")
    time.sleep(0.1)
    client.send("interrupt")
    assert client.recv(timeout=3)["id"] == waiting
    assert client.recv()["was_running"] is True


def test_another_clients_interrupt_leaves_my_evaluation_alone(
    running_image: RuntimeInfo, client: Peer, connect
) -> None:
    other = connect(running_image)
    other.hello(running_image.token)
    slow = client.send("evaluate", code="(Delay forMilliseconds: 300) wait. 5")
    time.sleep(0.05)
    assert other.request("interrupt")["was_running"] is False
    reply = client.recv()
    assert (reply["id"], reply["value"]) == (slow, "5")


def test_a_vanished_clients_sessionless_evaluation_is_stopped(
    running_image: RuntimeInfo, client: Peer, connect
) -> None:
    leaving = connect(running_image)
    leaving.hello(running_image.token)
    leaving.send("evaluate", code="[true] whileTrue")
    time.sleep(0.2)
    assert client.request("ping")["busy"] is True
    leaving.close()
    deadline = time.monotonic() + 5
    while client.request("ping")["busy"]:
        assert time.monotonic() < deadline, "the orphaned evaluation still runs"
        time.sleep(0.05)


def test_interrupt_inside_a_critical_section_releases_its_semaphore(client: Peer) -> None:
    """An interrupted evaluation releases what it held (Squeak 2.8 has no ensure:, so its
    server signals the semaphores the stopped process held)."""
    setup = "Smalltalk at: #StuiTestMutex put: Semaphore forMutualExclusion. #ready"
    assert evaluate(client, setup)["value"] == "#ready"
    loop = client.send(
        "evaluate", code="(Smalltalk at: #StuiTestMutex) critical: [[true] whileTrue]"
    )
    time.sleep(0.2)
    client.send("interrupt")
    assert client.recv()["id"] == loop
    assert client.recv()["was_running"] is True
    free = evaluate(client, "(Smalltalk at: #StuiTestMutex) critical: [#free]", timeout=5)
    assert free["value"] == "#free"
    nested = "| m | m := Smalltalk at: #StuiTestMutex. m critical: [Semaphore new wait]"
    waiting = client.send("evaluate", code=nested)
    time.sleep(0.2)
    client.send("interrupt")
    assert client.recv()["id"] == waiting
    client.recv()
    assert (
        evaluate(client, "(Smalltalk at: #StuiTestMutex) critical: [#again]")["value"] == "#again"
    )
    assert evaluate(client, "(Delay forMilliseconds: 1) wait. #delays")["value"] == "#delays"


def test_interrupt_stops_the_clients_sessionless_evaluations_on_every_connection(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    """Per client_id, not per connection: a second process of the same client (a CLI
    next to a TUI) can stop what the first started."""
    first, second = connect(running_image), connect(running_image)
    first.hello(running_image.token, client_id="c-same")
    second.hello(running_image.token, client_id="c-same")
    loop = first.send("evaluate", code="[true] whileTrue")
    time.sleep(0.2)
    answer = second.request("interrupt")
    assert (answer["type"], answer["was_running"]) == ("interrupted", True)
    stopped = first.recv()
    assert stopped == {
        "type": "eval_error", "id": loop, "kind": "interrupted", "message": stopped["message"],
        "position": None, "error_class": None, "receiver": None, "stack": [],
    }  # fmt: skip
    assert isinstance(stopped["message"], str)
