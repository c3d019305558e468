"""One module per capability; each exposes ``router``."""
