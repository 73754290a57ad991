"""The server conformance suite (docs/conformance.md)."""
