"""The tool panels of one image: Transcript, inspector, class browser, search results."""
