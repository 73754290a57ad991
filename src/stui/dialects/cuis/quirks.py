"""What a Cuis 5 image can hold: its strings are ISO 8859-15 (Latin-9), one byte a character.

Latin-9 is Latin-1 with eight code points replaced: the euro sign and seven letters
(Š š Ž ž Œ œ Ÿ) take the places of ¤ ¦ ¨ ´ ¸ ¼ ½ ¾. So '€' fits and '¤' does not.
"""

from __future__ import annotations

from stui.dialects.contract import Unrepresentable

CHARSET = "ISO 8859-15"


def check_text(text: str) -> Unrepresentable | None:
    """The first character the server would refuse with `encoding`."""
    for index, char in enumerate(text):
        try:
            char.encode("iso8859_15")
        except UnicodeEncodeError:
            return Unrepresentable(index, char, CHARSET)
    return None
