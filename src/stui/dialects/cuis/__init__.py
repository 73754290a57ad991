"""Cuis: a Cuis 5 image and a 32-bit Spur VM that the user names."""

from __future__ import annotations

from stui.dialects.contract import Dialect
from stui.dialects.cuis.launcher import CuisLauncher
from stui.dialects.cuis.quirks import check_text

DIALECT = Dialect(name="cuis", launcher=CuisLauncher, check_text=check_text)
