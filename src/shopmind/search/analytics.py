"""Search analytics for the merchant: top queries, queries that find nothing, click-through.

Read from the shop's events: a ``search`` event carries the query text (and, when it came through
``/v1/search``, ``properties.results``: how many products it found); a ``click``, ``view``,
``add_to_cart`` or ``purchase`` in the same session within 30 minutes of a search counts as that
search being clicked through (a click that says ``properties.search_id`` is credited exactly).
For searches without a recorded result count (imported history), the current index answers
whether the query would find anything now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from shopmind.search.text import fold

__all__ = ["search_analytics"]

CLICK_MINUTES = 30
_ACTIONS = ("click", "view", "add_to_cart", "purchase")


def _results_of(props: Any) -> float:
    if isinstance(props, dict) and isinstance(props.get("results"), int | float):
        return float(props["results"])
    return float("nan")


def search_analytics(
    events: pd.DataFrame,
    count_results: Callable[[str], int] | None = None,
    top: int = 20,
    days: int | None = None,
) -> dict[str, Any]:
    """Top queries, zero-result queries and click-through by query.

    Parameters
    ----------
    events : DataFrame
        Canonical events (``event_type, query, session_id, sku, ts`` and optionally ``properties``).
    count_results : callable, optional
        ``query -> number of results now``, for searches stored without a result count.
    top : int
        Rows per list.
    days : int, optional
        Only the last *days* days before the latest event.
    """
    cols = ["event_type", "query", "session_id", "sku", "ts"]
    ev = events[[c for c in [*cols, "properties"] if c in events.columns]].copy()
    ev["ts"] = pd.to_datetime(ev["ts"], utc=True)
    if days is not None and len(ev):
        ev = ev[ev["ts"] >= ev["ts"].max() - pd.Timedelta(days=days)]
    searches = ev[(ev["event_type"] == "search") & ev["query"].notna()].copy()
    empty = {"searches": 0, "distinct_queries": 0, "zero_result_rate": 0.0, "click_through_rate": 0.0,
             "top_queries": [], "zero_result_queries": [], "low_click_queries": []}  # fmt: skip
    if searches.empty:
        return empty
    searches["q"] = searches["query"].astype(str).map(fold)
    props = searches["properties"] if "properties" in searches else pd.Series(None, index=searches.index)
    searches["results"] = [_results_of(p) for p in props]
    missing = searches["results"].isna()
    if missing.any() and count_results is not None:
        # one lookup per distinct query (capped: a long tail of one-off queries is not worth it)
        distinct = searches.loc[missing, "q"].value_counts().index[:2000]
        now = {q: float(count_results(q)) for q in distinct}
        searches.loc[missing, "results"] = searches.loc[missing, "q"].map(now)

    # click-through: the next action in the same session within CLICK_MINUTES of the search
    acts = ev[ev["event_type"].isin(_ACTIONS) & ev["sku"].notna() & ev["session_id"].notna()]
    searches["clicked"] = False
    with_session = searches[searches["session_id"].notna()]
    if len(acts) and len(with_session):
        s = with_session[["session_id", "ts"]].reset_index().sort_values("ts")
        a = acts[["session_id", "ts"]].rename(columns={"ts": "act_ts"}).sort_values("act_ts")
        joined = pd.merge_asof(
            s, a, left_on="ts", right_on="act_ts", by="session_id", direction="forward",
            tolerance=pd.Timedelta(minutes=CLICK_MINUTES), allow_exact_matches=False,
        )  # fmt: skip
        clicked_idx = joined.loc[joined["act_ts"].notna(), "index"]
        searches.loc[clicked_idx, "clicked"] = True

    by_q = searches.groupby("q").agg(
        searches=("q", "size"),
        sessions=("session_id", "nunique"),
        results=("results", "median"),
        clicked=("clicked", "mean"),
    )
    by_q = by_q.sort_values(["searches", "clicked"], ascending=[False, False])

    def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
        return [
            {
                "query": str(q),
                "searches": int(r.searches),
                "sessions": int(r.sessions),
                "results": None if np.isnan(r.results) else int(r.results),
                "click_through_rate": round(float(r.clicked), 4),
            }
            for q, r in frame.iterrows()
        ]

    zero = by_q[by_q["results"] == 0]
    known = searches["results"].notna()
    low = by_q[(by_q["searches"] >= 3) & (by_q["results"] != 0)].sort_values(
        ["clicked", "searches"], ascending=[True, False]
    )
    return {
        "searches": len(searches),
        "distinct_queries": len(by_q),
        "zero_result_rate": round(
            float((searches.loc[known, "results"] == 0).mean()) if known.any() else 0.0, 4
        ),
        "click_through_rate": round(float(searches["clicked"].mean()), 4),
        "top_queries": rows(by_q.head(top)),
        "zero_result_queries": rows(zero.head(top)),
        "low_click_queries": rows(low.head(top)),
    }
