"""The request -> reply table: every request has a row, deadlines, capability checks."""

from __future__ import annotations

import typing

import msgspec
import pytest

from stui.launcher import RuntimeInfo
from stui.protocol import Evaluate, Hello, Ping, Request, SessionList
from stui.transport import OPERATIONS, ImageClient, NotOffered, deadline_for


def test_every_request_variant_has_a_row() -> None:
    assert set(typing.get_args(Request)) <= set(OPERATIONS)


def test_deadlines_per_request_type() -> None:
    assert deadline_for(Hello(client_id="c", protocol="1.0", token="t")) == 5.0
    assert deadline_for(Ping()) == 2.0
    assert deadline_for(Evaluate(code="3")) == 60.0
    assert deadline_for(SessionList()) == 10.0


async def test_a_request_the_image_does_not_offer_is_refused_before_sending(
    running_image: RuntimeInfo,
) -> None:
    info = running_image
    async with ImageClient(info.address, info.token, "c-test") as client:
        assert client.offers(Ping())
        assert client.offers(Evaluate(code="3"))
        welcome = client.channel.welcome
        assert welcome is not None
        # As if the image offered evaluate only (an older or smaller server).
        client.channel.welcome = msgspec.structs.replace(welcome, capabilities=["evaluate"])
        assert not client.offers(SessionList())
        with pytest.raises(NotOffered, match=r"does not offer 'session\.list'"):
            await client.session_list()
        assert client.channel.pending_count == 0
