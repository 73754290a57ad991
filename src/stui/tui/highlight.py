"""Smalltalk highlighting with Pygments' SmalltalkLexer, in the shape TextArea draws.

TextArea keeps, per line, (start byte, end byte, highlight name) triples and styles them
from its theme's `syntax_styles`; tree-sitter is only one way to fill them. The lexer is
pure Python, understands Squeak's `_` assignment and bare do-its, and maps onto the names
Textual's themes already style. docs/tui.md records why this beat a tree-sitter grammar.
"""

from __future__ import annotations

from collections import defaultdict

from pygments.lexers import SmalltalkLexer
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, _TokenType

Highlight = tuple[int, int | None, str]

PSEUDO_VARIABLES = {"self", "super", "thisContext"}
CONSTANTS = {"true", "false", "nil"}

_LEXER = SmalltalkLexer(stripnl=False, ensurenl=False)

# Most specific first: the first token type that contains the token wins.
_NAMES: tuple[tuple[_TokenType, str], ...] = (
    (Comment, "comment"),
    (String.Symbol, "constant.builtin"),
    (String, "string"),
    (Number, "number"),
    (Name.Builtin.Pseudo, "keyword"),
    (Name.Class, "type.class"),
    (Name.Function, "method.call"),
    (Name.Variable, "variable"),
    (Keyword, "keyword"),
    (Operator, "keyword.operator"),
    (Punctuation, "punctuation.delimiter"),
)


def highlight_name(token: _TokenType, value: str) -> str | None:
    """The theme's name for a token, or None to leave it plain."""
    word = value.strip()
    if word in PSEUDO_VARIABLES:
        return "keyword"
    if word in CONSTANTS:
        return "constant.builtin"
    for kind, name in _NAMES:
        if token in kind:
            return name
    return None


def highlights(text: str) -> dict[int, list[Highlight]]:
    """Per line index, the highlighted ranges in UTF-8 byte columns (as TextArea wants)."""
    result: dict[int, list[Highlight]] = defaultdict(list)
    row, column = 0, 0  # column in bytes
    for token, value in _LEXER.get_tokens(text):
        name = highlight_name(token, value)
        parts = value.split("\n")
        for index, part in enumerate(parts):
            if index:
                row, column = row + 1, 0
            width = len(part.encode("utf-8"))
            if name and part.strip():
                result[row].append((column, column + width, name))
            column += width
    return result
