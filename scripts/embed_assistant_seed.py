"""Embed the assistant's shipped seed set once (multilingual-e5-small, query prefix) and store the
vectors beside it, so that training the intent model does not spend a minute embedding 1,300
examples. Re-run after editing src/shopmind/assistant/data/seed.tsv:

    .venv/bin/python scripts/embed_assistant_seed.py
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from shopmind.assistant.intents import QueryEmbedder, load_seed
from shopmind.search.semantic import EmbeddingCache


def main() -> None:
    path = Path(str(resources.files("shopmind.assistant") / "data" / "seed-vectors.npz"))
    path.unlink(missing_ok=True)  # only the current seed's vectors
    cache = EmbeddingCache(path, QueryEmbedder())
    texts = [text for _, _, text in load_seed()]
    cache.embed(texts, progress=lambda done, total: print(f"\r{done}/{total}", end="", flush=True))
    print(f"\nwrote {path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
