"""The per-image connection state machine: one vocabulary for the registry, the
health monitor, the session store and its SQL check.

    unknown (stored, never reached in this run) → connecting → connected ⇄ degraded → disconnected → orphaned,  and removed

`degraded`: the image answers late or missed a ping. `disconnected`: it missed
`miss_limit` pings in a row or its connection dropped; reconnecting goes on with back-off.
`orphaned`: it stayed away longer than `orphan_after`; its sessions are orphaned too.
`removed`: the user removed it from the registry.
"""

from __future__ import annotations

from enum import StrEnum


class ConnectionStatus(StrEnum):
    UNKNOWN = "unknown"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DEGRADED = "degraded"
    DISCONNECTED = "disconnected"
    ORPHANED = "orphaned"
    REMOVED = "removed"

    @property
    def is_up(self) -> bool:
        return self in (ConnectionStatus.CONNECTED, ConnectionStatus.DEGRADED)
