"""STUI: a terminal IDE for live Smalltalk images."""
