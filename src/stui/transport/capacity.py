"""How many connections this process can hold: its open-file limit, raised if it may be.

Through a hub (hub.py) a connection costs no ZeroMQ socket, so libzmq's cap of 1023
sockets per context no longer bounds a fleet; what does is one TCP descriptor per
connection against the process's open-file limit. A fleet larger than the soft limit
allows raises it, up to the hard limit (which an unprivileged process may do); past
that, `FleetFull` names the limit and how to raise it instead of libzmq's misleading
"Too many open files" at the connections that no longer fit.
"""

from __future__ import annotations

import resource
from typing import Final

from stui.errors import InvalidInput

FDS_PER_CONNECTION: Final = 1  # the TCP socket; the hub's own sockets are shared
FD_RESERVE: Final = 256  # the store, logs, discovery, the terminal, libzmq's own


class FleetFull(InvalidInput):
    """More images than the configured maximum, or than the open-file limit allows."""

    code = "fleet_full"


def descriptors_for(connections: int) -> int:
    return connections * FDS_PER_CONNECTION + FD_RESERVE


def ensure_descriptors(connections: int) -> int:
    """Raise the soft open-file limit so that `connections` fit, if the hard limit
    allows; answer how many connections fit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = descriptors_for(connections)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass  # keep the soft limit; the caller reports what fits
    if soft == resource.RLIM_INFINITY:
        return connections
    return max(0, (soft - FD_RESERVE) // FDS_PER_CONNECTION)


def check_room(watched: int, maximum: int, fit: int) -> None:
    """FleetFull if one more image than `watched` exceeds the configured `maximum` or
    the `fit` connections that the open-file limit allows (see ensure_descriptors)."""
    if watched >= maximum:
        raise FleetFull(
            f"STUI watches at most {maximum} images (the health policy's max_images); "
            f"raise max_images to watch more"
        )
    if watched >= fit:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        raise FleetFull(
            f"the open-file limit ({soft}, hard limit {hard}) allows {fit} images; "
            f"raise the hard limit (ulimit -Hn {descriptors_for(maximum)}) to watch more"
        )
