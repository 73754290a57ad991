"""The app's images sidebar over a fleet: a thousand endpoints, watched by the app's own
workbench, are listed and counted by status, and one that closes is seen and found by
the status filter.

The endpoints are the simulated fleet of bench/simulated_fleet.py, served from another
process: a thousand real VMs do not fit on one machine. What is checked is the app's
path from the health monitor's changes to the sidebar; no assertion is about speed.
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.tui.conftest import SIZE, until

from stui.images.endpoints import EndpointBook
from stui.tui.app import StuiApp
from stui.tui.config import TuiConfig
from stui.tui.widgets.images_sidebar import ImageList, ImagesSidebar

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from simulated_fleet import SimulatedFleetProcess

N = 1000
FDS_PER_ENDPOINT = 2  # the client's TCP socket, and room for libzmq's own


@pytest.fixture
def enough_descriptors() -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = N * FDS_PER_ENDPOINT + 1024
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"the open-file limit is {hard}; {needed} are needed (ulimit -Hn)")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, needed), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def title(app: StuiApp) -> str:
    return str(app.query_one(ImagesSidebar).query_one("#title").render())


@pytest.mark.timeout(300)
async def test_a_thousand_endpoints_are_listed_counted_and_one_closed_is_found(
    stui_home: Path, enough_descriptors: None
) -> None:
    with SimulatedFleetProcess(N) as fleet:
        specs = fleet.endpoints
        EndpointBook().add_many([(s.name, s.address, s.token) for s in specs])
        app = StuiApp(TuiConfig(), live=False)
        async with app.run_test(size=SIZE) as pilot:
            await until(lambda: f"● {N}" in title(app), 120, f"{N} connected in the header")
            assert f"({N})" in title(app)
            victim = specs[N // 2].name
            fleet.command(f"close {N // 2}")
            await until(lambda: "○ 1" in title(app), 30, "one disconnected in the header")
            sidebar = app.query_one(ImagesSidebar)
            assert "disconnected" in sidebar.row_plain(victim)
            sidebar.action_filter()
            for key in "s:disc":
                await pilot.press(key)
            await pilot.pause()
            assert app.query_one(ImageList).shown == [victim]
