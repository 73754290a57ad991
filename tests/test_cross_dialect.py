"""A Squeak and a Cuis image side by side: Cuis offers every request Squeak does, and
`stui diff` compares them (both hash with the same algorithm, so a method with the same
source, whatever line ends each image keeps, is no difference; a changed one is found and
shown from each image's own source)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from stui.cli.main import cli
from stui.launcher.runtime import RuntimeInfo
from stui.transport import ImageClient

pytestmark = pytest.mark.timeout(240)

SAME = 'stuiCrossDialect: n\n\t"the same text in both images"\n\t^ n * 2 + 1'
CHANGED = "stuiCrossChanged\n\t^ '{}'"
CLIENT = "c-" + "f" * 32


def stui(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def compile_in(image: str, source: str) -> None:
    done = stui("compile", "-i", image, "Object", "--category", "stui-cross", "-", stdin=source)
    assert done.exit_code == 0, done.output


def test_the_same_source_is_no_difference_across_dialects(
    start_images: Callable[..., list[RuntimeInfo]],
    start_cuis_images: Callable[..., list[RuntimeInfo]],
) -> None:
    (squeak,) = start_images(1, prefix="sq")
    (cuis,) = start_cuis_images(1, prefix="cu")
    for image, word in ((squeak.name, "squeak"), (cuis.name, "cuis")):
        compile_in(image, SAME)
        compile_in(image, CHANGED.format(word))
    same = stui("diff", squeak.name, cuis.name, "Object>>stuiCrossDialect:", "--json")
    assert same.exit_code == 0, same.output
    assert json.loads(same.stdout)["differences"] == []
    changed = stui("diff", squeak.name, cuis.name, "Object>>stuiCrossChanged", "--json")
    (difference,) = json.loads(changed.stdout)["differences"]
    assert difference["kind"] == "method_changed"
    assert (difference["before"], difference["after"]) == (
        CHANGED.format("squeak"),
        CHANGED.format("cuis"),
    )


async def test_cuis_offers_every_request_squeak_offers(
    start_images: Callable[..., list[RuntimeInfo]],
    start_cuis_images: Callable[..., list[RuntimeInfo]],
) -> None:
    """Issue 12's bar: the Cuis server covers every operation of the Squeak one."""
    offered = []
    for info in (*start_images(1, prefix="sq"), *start_cuis_images(1, prefix="cu")):
        async with ImageClient(info.address, info.token, CLIENT) as client:
            offered.append(client.capabilities)
    squeak, cuis = offered
    assert "debug.step_into" in squeak and "code.digest" in squeak
    assert squeak <= cuis, sorted(squeak - cuis)
