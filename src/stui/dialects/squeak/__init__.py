"""Squeak: Debian's squeak-vm running the Squeak 2.8-era image of Debian's scratch package."""

from __future__ import annotations

from stui.dialects.contract import Dialect
from stui.dialects.squeak.launcher import SqueakLauncher
from stui.dialects.squeak.quirks import check_text

DIALECT = Dialect(name="squeak", launcher=SqueakLauncher, check_text=check_text)
