"""Hub: one ROUTER socket and one link monitor shared by the channels of an event loop.

A DEALER per image with a monitor of its own cost 3 ZeroMQ sockets per image (the
DEALER, the monitor's PAIR and libzmq's end of it), and libzmq caps a context at 1023
sockets: 341 images. A hub connects one ROUTER to every image instead, naming each
connection with ``ZMQ_CONNECT_ROUTING_ID`` so that a reply is routed back to its
channel by the first frame, and one monitor reports every link's events with the
address they concern. A connection then costs no socket, only its TCP descriptor, and
the event loop watches two descriptors for the whole fleet instead of two per image.

An image's server accepts a ROUTER peer as it accepts a DEALER (docs/protocol.md).
A hub holds one connection per address: a second channel to an address that is
already connected takes another hub, so that the monitor's events, which name only
the address, always concern one channel. A hub closes when its last channel leaves.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import zmq
from zmq.utils.monitor import recv_monitor_message

from stui.protocol import MAX_FRAME
from stui.transport.deadlines import Deadlines

if TYPE_CHECKING:
    from stui.transport.channel import Channel

log = logging.getLogger(__name__)

HWM: Final = 10_000  # per connection: libzmq keeps a queue per peer
RECONNECT_IVL_MS: Final = 100
HANDSHAKE_IVL_MS: Final = 5_000
DRAIN_BATCH: Final = 512

# Plain ints: pyzmq's flag enums cost microseconds per operation on the hot path.
_EVENTS: Final = int(zmq.EVENTS)
_POLLIN: Final = int(zmq.POLLIN)
_NOBLOCK: Final = int(zmq.NOBLOCK)
_SNDMORE_NOBLOCK: Final = int(zmq.NOBLOCK) | int(zmq.SNDMORE)

MONITORED: Final = (
    zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_DISCONNECTED
    | zmq.EVENT_CONNECT_RETRIED
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
)

# Keyed by the loop and the context themselves, never by their id(): a test suite (or
# any program) that runs one loop after another gets a new loop at the address of a
# closed one, and a hub of the closed loop must never be lent to it.
_HubKey = tuple[asyncio.AbstractEventLoop, "zmq.Context[Any]"]
_HUBS: dict[_HubKey, list[Hub]] = {}


def hub_for(address: str, context: zmq.Context[Any] | None) -> Hub:
    """A hub of the running loop and this context with no connection to `address`."""
    loop = asyncio.get_running_loop()
    _forget_closed_loops()
    key = (loop, context or zmq.Context.instance())
    hubs = _HUBS.setdefault(key, [])
    for hub in hubs:
        if not hub.serves(address):
            return hub
    hub = Hub(loop, key[1], lambda h: _retire(key, h))
    hubs.append(hub)
    return hub


def _retire(key: _HubKey, hub: Hub) -> None:
    hubs = _HUBS.get(key, [])
    if hub in hubs:
        hubs.remove(hub)
    if not hubs:
        _HUBS.pop(key, None)


def _forget_closed_loops() -> None:
    """Close the sockets of hubs whose loop was closed with channels still open."""
    for key in [key for key in _HUBS if key[0].is_closed()]:
        for hub in _HUBS.pop(key):
            hub.abandon()


class Hub:
    """One ROUTER, its monitor, and the channels connected through it."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        context: zmq.Context[Any],
        on_empty: Callable[[Hub], None],
    ) -> None:
        self._loop = loop
        self._on_empty = on_empty
        self._ids = itertools.count(1)
        self._by_id: dict[bytes, Channel] = {}
        self._by_address: dict[str, Channel] = {}
        self.deadlines: Deadlines[tuple[Channel, int]] = Deadlines(loop, _is_pending, _expire)
        self._drain_soon: asyncio.Handle | None = None
        sock = context.socket(zmq.ROUTER)
        # IMMEDIATE stays 0: with 1, libzmq discards replies that arrived just before
        # the peer closed (an image refusing a token answers, then closes). It also
        # attaches a connection's queue at once, so hello can be sent before the link.
        for option, value in (
            (zmq.LINGER, 0),
            (zmq.IMMEDIATE, 0),
            (zmq.ROUTER_MANDATORY, 1),  # a full queue says so instead of dropping
            (zmq.SNDHWM, HWM),
            (zmq.RCVHWM, HWM),
            (zmq.RECONNECT_IVL, RECONNECT_IVL_MS),
            (zmq.HANDSHAKE_IVL, HANDSHAKE_IVL_MS),
            (zmq.MAXMSGSIZE, MAX_FRAME),
        ):
            sock.setsockopt(option, value)
        self._sock: zmq.Socket[bytes] | None = sock
        self._monitor: zmq.Socket[bytes] | None = sock.get_monitor_socket(MONITORED)
        self._fds = (sock.FD, self._monitor.FD)
        loop.add_reader(self._fds[0], self.drain)
        loop.add_reader(self._fds[1], self._on_monitor)

    def __repr__(self) -> str:
        return f"<Hub {len(self._by_id)} connections>"

    def serves(self, address: str) -> bool:
        return address in self._by_address

    def __len__(self) -> int:
        return len(self._by_id)

    # -- connections ----------------------------------------------------------------

    def attach(self, channel: Channel) -> bytes:
        """Connect to the channel's address; answer the connection's routing id.

        Raises zmq.ZMQError if libzmq refuses the address.
        """
        sock = self._sock
        assert sock is not None
        rid = next(self._ids).to_bytes(4, "big")
        sock.setsockopt(zmq.CONNECT_ROUTING_ID, rid)
        try:
            sock.connect(channel.address)
        except zmq.ZMQError:
            if not self._by_id:
                self.close()
            raise
        self._by_id[rid] = channel
        self._by_address[channel.address] = channel
        self._loop.call_soon(self.drain)
        self._loop.call_soon(self._on_monitor)
        return rid

    def detach(self, rid: bytes, address: str) -> None:
        """Drop one connection; the hub closes with its last."""
        channel = self._by_id.pop(rid, None)
        if channel is None:
            return
        if self._by_address.get(address) is channel:
            del self._by_address[address]
        if self._sock is not None:
            try:
                self._sock.disconnect(address)
            except zmq.ZMQError as exc:
                log.debug("disconnecting %s: %s", address, exc)
        if not self._by_id:
            self.close()

    def send(self, rid: bytes, frame: bytes) -> None:
        """Queue one frame; zmq.Again when the connection's queue is full, and
        zmq.ZMQError (EHOSTUNREACH) when the connection is gone."""
        sock = self._sock
        assert sock is not None
        sock.send(rid, _SNDMORE_NOBLOCK)
        sock.send(frame, _NOBLOCK)
        # A send may take the descriptor's edge for a message that arrived: ask libzmq at
        # once (one call, cheaper than a turn of the loop) and drain on the next turn only
        # when a message is waiting, so that no reply is handled inside a sender's call.
        if self._drain_soon is None and sock.get(_EVENTS) & _POLLIN:
            self._drain_soon = self._loop.call_soon(self._drain_waiting)

    def _drain_waiting(self) -> None:
        self._drain_soon = None
        self.drain()

    def close(self) -> None:
        if self._sock is None:
            return
        self.deadlines.close()
        if self._drain_soon is not None:
            self._drain_soon.cancel()
            self._drain_soon = None
        for fd in self._fds:
            self._loop.remove_reader(fd)
        self._close_sockets()
        self._on_empty(self)

    def abandon(self) -> None:
        """Close the sockets of a hub whose loop is closed (its readers went with it)."""
        if self._sock is not None:
            self._close_sockets()

    def _close_sockets(self) -> None:
        assert self._sock is not None
        self._sock.disable_monitor()
        self._sock.close(linger=0)
        if self._monitor is not None:
            self._monitor.close(linger=0)
        self._sock = self._monitor = None

    # -- reading --------------------------------------------------------------------

    def drain(self) -> None:
        """Hand every frame that is ready to its channel (the descriptor is
        edge-triggered, so EVENTS is asked again after each message)."""
        sock = self._sock
        if sock is None:
            return
        by_id = self._by_id
        try:
            for _ in range(DRAIN_BATCH):
                frames = _recv_message(sock)
                channel = by_id.get(frames[0])
                if channel is not None:
                    channel.receive(frames[1:])
                if self._sock is None or not sock.get(_EVENTS) & _POLLIN:
                    break
            else:
                self._loop.call_soon(self.drain)
        except zmq.Again:
            pass  # drained: nothing more until the next wake-up
        except zmq.ZMQError as exc:
            log.warning("the client socket failed: %s", exc)

    def _on_monitor(self) -> None:
        monitor = self._monitor
        while monitor is not None and monitor.get(zmq.EVENTS) & zmq.POLLIN:
            try:
                event = recv_monitor_message(monitor, zmq.NOBLOCK)
            except zmq.ZMQError:
                return
            address = event["endpoint"].decode(errors="replace")
            channel = self._by_address.get(address)
            if channel is not None:
                channel.on_link_event(event["event"])
            monitor = self._monitor


def _recv_message(sock: zmq.Socket[bytes]) -> list[bytes]:
    """The frames of one message (recv_multipart asks RCVMORE through a getsockopt per
    frame, where a frame object knows it: a few microseconds a message)."""
    frame = sock.recv(_NOBLOCK, copy=False)
    frames = [frame.bytes]
    while frame.more:
        frame = sock.recv(_NOBLOCK, copy=False)
        frames.append(frame.bytes)
    return frames


def _is_pending(key: tuple[Channel, int]) -> bool:
    return key[0].is_pending(key[1])


def _expire(key: tuple[Channel, int], tag: str, delay: float) -> None:
    key[0].expire(key[1], tag, delay)
