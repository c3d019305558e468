"""The REST API (FastAPI, /v1): thin adapters over the Engine."""
