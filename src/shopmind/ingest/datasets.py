"""Adapters that load the real datasets of DATA.md into a shop, through the same validation as
any file import (so the counts a test checks are the counts the importer really loaded)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from shopmind.engine import Engine
from shopmind.ingest.core import ImportReport, Progress, import_frame

#: Tables in the order they load (catalog and people before what refers to them).
_ORDER = (
    "locations",
    "products",
    "customers",
    "orders",
    "order_items",
    "events",
    "reviews",
    "inventory",
    "sales",
)


def _cdnow() -> dict[str, pd.DataFrame]:
    from shopmind.datasets.real import load_cdnow

    orders = load_cdnow()
    customers = pd.DataFrame({"customer_id": orders["customer_id"].drop_duplicates().to_numpy()})
    return {"customers": customers, "orders": orders}


def _movielens() -> dict[str, pd.DataFrame]:
    from shopmind.datasets.real import load_movielens

    return load_movielens()


def _amazon_fine_foods() -> dict[str, pd.DataFrame]:
    from shopmind.datasets.real import load_amazon_fine_foods

    return load_amazon_fine_foods()


def _orange_juice() -> dict[str, pd.DataFrame]:
    from shopmind.datasets.real import load_orange_juice

    return load_orange_juice()


#: name -> (loader, one-line description)
DATASETS: dict[str, tuple[Callable[[], dict[str, pd.DataFrame]], str]] = {
    "cdnow": (_cdnow, "CDNOW: 69,659 purchases by 23,570 customers, 1997-1998 (orders)"),
    "movielens": (_movielens, "MovieLens small: 100,004 ratings of 9,066 movies by 671 users (rate events)"),
    "amazon-fine-foods": (
        _amazon_fine_foods,
        "Amazon Fine Foods: 4,000 training reviews labelled great/other",
    ),
    "orange-juice": (
        _orange_juice,
        "Dominick's orange juice: 83 stores x 11 brands x 121 weeks (weekly sales, prices, deals)",
    ),
}


def dataset_frames(name: str) -> dict[str, pd.DataFrame]:
    from shopmind.errors import InvalidParameterError

    if name not in DATASETS:
        raise InvalidParameterError(f"Unknown dataset {name!r}. Use one of: {', '.join(DATASETS)}.")
    return DATASETS[name][0]()


def import_frames(
    engine: Engine,
    frames: dict[str, pd.DataFrame],
    *,
    source: str,
    progress: Progress | None = None,
    on_table: Callable[[str, int], None] | None = None,
) -> list[ImportReport]:
    """Import canonical frames table by table, in dependency order."""
    reports = []
    for table in sorted(frames, key=_ORDER.index):
        frame = frames[table]
        if on_table:
            on_table(table, len(frame))
        reports.append(import_frame(engine, table, frame, source=f"{source}:{table}", progress=progress))
    return reports


def import_dataset(
    engine: Engine,
    name: str,
    *,
    progress: Progress | None = None,
    on_table: Callable[[str, int], None] | None = None,
) -> list[ImportReport]:
    """Load the real dataset ``name`` into the engine's shop."""
    return import_frames(engine, dataset_frames(name), source=name, progress=progress, on_table=on_table)
