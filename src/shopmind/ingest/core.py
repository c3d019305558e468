"""Importers: CSV, Parquet and Excel files (and DataFrames) into the canonical store.

Each row is validated on its own with the same pydantic models the API uses. Good rows load; each
bad row goes to the rejects file with its file, row, column, value and reason. Rows are upserted by
their external ids, so importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import pandas as pd
import yaml
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from shopmind.engine import Engine
from shopmind.errors import InvalidParameterError, NotFoundError, ValidationError
from shopmind.schema.models import CREATE_MODELS
from shopmind.store import UpsertResult

CHUNK_ROWS = 5_000
_BOOL_WORDS = {"是": True, "否": False, "y": True, "n": False}
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Reject:
    """One problem with one row: where it is and why it was not loaded."""

    file: str
    row: int
    column: str
    value: str
    reason: str


@dataclass
class ImportReport:
    """What an import did. ``rows`` = ``loaded`` + ``rejected`` (rows, not problems)."""

    table: str
    source: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    duplicate_keys: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    rejects_file: str | None = None

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged + self.duplicate_keys

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "source": self.source,
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "duplicate_keys": self.duplicate_keys,
            "ignored_columns": self.ignored_columns,
            "rejects_file": self.rejects_file,
        }


@dataclass(frozen=True)
class ColumnMapping:
    """How a file's columns map to a canonical table.

    A mapping file (YAML or JSON) looks like::

        table: orders
        columns:            # canonical column: column in the file
          order_id: 订单号
          customer_id: 买家ID
          ordered_at: 下单时间
          total_amount: 实付金额
        timezone: Asia/Shanghai   # for timestamps written without one
        defaults:                 # values for columns the file lacks
          currency: CNY
        sheet: 订单               # Excel only: the sheet to read
    """

    table: str
    columns: dict[str, str] = field(default_factory=dict)
    timezone: str = "Asia/Shanghai"
    defaults: dict[str, Any] = field(default_factory=dict)
    sheet: str | int | None = None

    @classmethod
    def from_file(cls, path: str | Path) -> ColumnMapping:
        path = Path(path)
        if not path.exists():
            raise NotFoundError(f"Mapping file {path} does not exist. Check the path.")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))  # YAML is a superset of JSON
        except yaml.YAMLError as exc:
            raise InvalidParameterError(f"Mapping file {path} is not valid YAML or JSON: {exc}") from exc
        if not isinstance(raw, dict) or "table" not in raw:
            raise InvalidParameterError(
                f"Mapping file {path} must be a mapping with a 'table' key (and 'columns')."
            )
        unknown = set(raw) - {"table", "columns", "timezone", "defaults", "sheet"}
        if unknown:
            raise InvalidParameterError(
                f"Mapping file {path} has unknown keys: {', '.join(sorted(unknown))}."
            )
        return cls(
            table=str(raw["table"]),
            columns={str(k): str(v) for k, v in (raw.get("columns") or {}).items()},
            timezone=str(raw.get("timezone", "Asia/Shanghai")),
            defaults=dict(raw.get("defaults") or {}),
            sheet=raw.get("sheet"),
        )


def _field_kinds(model: type[BaseModel]) -> dict[str, str]:
    """Which fields need pre-parsing from text: timestamps, JSON values, booleans."""
    kinds = {}
    for name, info in model.model_fields.items():
        text = repr(info.annotation)
        if "datetime.datetime" in text or "AwareDatetime" in text:
            kinds[name] = "ts"
        elif "dict[" in text or "list[" in text:
            kinds[name] = "list" if "list[" in text and "dict[" not in text else "json"
        elif info.annotation is bool or bool in get_args(info.annotation):
            kinds[name] = "bool"
    return kinds


def _is_missing(v: Any) -> bool:
    return (
        v is None
        or (isinstance(v, float) and math.isnan(v))
        or v is pd.NaT
        or (isinstance(v, str) and v.strip() == "")
    )


def _prepare(value: Any, kind: str | None, tz: str) -> Any:
    """Turn a cell from a file into what the model validates; leave it alone when unsure so that
    the model's own message explains the problem."""
    if kind == "ts":
        if isinstance(value, (str, dt.datetime, pd.Timestamp)):
            try:
                ts = pd.Timestamp(value)
            except (ValueError, TypeError):
                return value
            if pd.isna(ts):
                return value
            return (ts.tz_localize(tz) if ts.tzinfo is None else ts).to_pydatetime()
        return value
    if isinstance(value, str):
        s = value.strip()
        if kind in ("json", "list") and s[:1] in "[{":
            try:
                return json.loads(s)
            except json.JSONDecodeError:
                return value
        if kind == "list":
            return [p.strip() for p in s.replace("|", ",").replace("，", ",").split(",") if p.strip()]
        if kind == "bool" and s.lower() in _BOOL_WORDS:
            return _BOOL_WORDS[s.lower()]
        return s
    if hasattr(value, "item") and not isinstance(value, (list, dict)):  # numpy scalar
        return value.item()
    return value


def validate_records(
    table: str,
    records: list[dict[str, Any]],
    *,
    source: str,
    first_row: int,
    source_columns: Mapping[str, str] | None = None,
    timezone: str = "Asia/Shanghai",
) -> tuple[list[BaseModel], list[Reject], int]:
    """Validate records one by one. Returns (good models, rejects, number of bad rows).

    ``first_row`` is the row number of ``records[0]`` as the user sees it in the file.
    ``source_columns`` maps canonical names back to the file's, so rejects name the file's column.
    """
    model = CREATE_MODELS[table]
    kinds = _field_kinds(model)
    back = dict(source_columns or {})
    good: list[BaseModel] = []
    rejects: list[Reject] = []
    bad_rows = 0
    for i, raw in enumerate(records):
        row = {k: _prepare(v, kinds.get(k), timezone) for k, v in raw.items() if not _is_missing(v)}
        try:
            good.append(model.model_validate(row))
        except PydanticValidationError as exc:
            bad_rows += 1
            for err in exc.errors(include_url=False):
                col = str(err["loc"][0]) if err["loc"] else ""
                value = raw.get(col, "")
                rejects.append(
                    Reject(
                        file=source,
                        row=first_row + i,
                        column=back.get(col, col),
                        value="" if _is_missing(value) else str(value)[:200],
                        reason=err["msg"],
                    )
                )
    return good, rejects, bad_rows


def _rename(df: pd.DataFrame, mapping: ColumnMapping) -> tuple[pd.DataFrame, list[str]]:
    model = CREATE_MODELS[mapping.table]
    fields = set(model.model_fields)
    missing = [src for src in mapping.columns.values() if src not in df.columns]
    if missing:
        raise ValidationError(
            f"The file has no column(s) {', '.join(repr(m) for m in missing)} named in the mapping. "
            f"Its columns are: {', '.join(map(str, df.columns))}."
        )
    bad_targets = [c for c in mapping.columns if c not in fields]
    if bad_targets:
        raise ValidationError(
            f"The mapping names unknown {mapping.table} column(s) {', '.join(bad_targets)}. Use: {', '.join(sorted(fields))}."
        )
    renamed = df.rename(columns={src: dst for dst, src in mapping.columns.items()})
    mapped_sources = set(mapping.columns.values())
    ignored = [str(c) for c in df.columns if c not in mapped_sources and c not in fields]
    keep = [c for c in renamed.columns if c in fields]
    out = renamed[keep].copy()
    for col, value in mapping.defaults.items():
        if col not in out.columns:
            out[col] = value
    return out, ignored


def read_chunks(path: Path, mapping: ColumnMapping) -> Iterator[tuple[pd.DataFrame, int]]:
    """The file's rows in chunks, each with the file row number of its first row."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        sep = "\t" if suffix == ".tsv" else ","
        # Strings in, so ids like "00123" keep their zeros; the models convert types.
        reader = pd.read_csv(
            path, dtype=str, sep=sep, chunksize=CHUNK_ROWS, keep_default_na=False, encoding="utf-8-sig"
        )
        row = 2  # row 1 is the header, as a spreadsheet numbers them
        for chunk in reader:
            yield chunk, row
            row += len(chunk)
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        row = 1
        for batch in pq.ParquetFile(path).iter_batches(batch_size=CHUNK_ROWS):
            chunk = batch.to_pandas()
            yield chunk, row
            row += len(chunk)
    elif suffix in (".xlsx", ".xlsm", ".xls"):
        frame = pd.read_excel(path, sheet_name=mapping.sheet or 0, dtype=object)
        for start in range(0, len(frame), CHUNK_ROWS):
            yield frame.iloc[start : start + CHUNK_ROWS], start + 2
    else:
        raise InvalidParameterError(f"Cannot import {path.name}: use a .csv, .tsv, .parquet or .xlsx file.")


def count_rows(path: Path) -> int | None:
    """Rows in a file, cheaply, for a progress bar (None when it would cost a full read)."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        with open(path, "rb") as f:
            return max(sum(1 for _ in f) - 1, 0)
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    return None


def import_frame(
    engine: Engine,
    table: str,
    frame: pd.DataFrame,
    *,
    source: str = "dataframe",
    first_row: int = 1,
    mapping: ColumnMapping | None = None,
    progress: Progress | None = None,
    report: ImportReport | None = None,
) -> ImportReport:
    """Validate and upsert a DataFrame whose columns are canonical (or mapped by ``mapping``)."""
    if table not in CREATE_MODELS:
        raise InvalidParameterError(f"Unknown table {table!r}. Use one of: {', '.join(CREATE_MODELS)}.")
    mapping = mapping or ColumnMapping(table=table)
    report = report or ImportReport(table=table, source=source)
    frame, ignored = _rename(frame, mapping)
    report.ignored_columns = sorted(set(report.ignored_columns) | set(ignored))
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS]
        records = [{str(k): v for k, v in r.items()} for r in part.to_dict("records")]
        good, rejects, bad = validate_records(
            table,
            records,
            source=source,
            first_row=first_row + start,
            source_columns=mapping.columns,
            timezone=mapping.timezone,
        )
        keys = {_key_of(table, g) for g in good}
        report.duplicate_keys += len(good) - len(keys)
        if table == "events":
            # Events are facts: append the new ones, never rewrite a stored one.
            new = engine.add_events([g.model_dump(exclude_none=True) for g in good]) if good else 0
            result = UpsertResult(inserted=new, unchanged=len(keys) - new)
        else:
            result = engine.upsert(table, good) if good else UpsertResult()
        report.rows += len(records)
        report.inserted += result.inserted
        report.updated += result.updated
        report.unchanged += result.unchanged
        report.rejected += bad
        report.rejects.extend(rejects)
        if progress:
            progress(len(records))
    return report


def _key_of(table: str, record: BaseModel) -> tuple[Any, ...]:
    from shopmind.schema.tables import DATA_TABLES

    return tuple(getattr(record, c, "") for c in DATA_TABLES[table])


def import_file(
    engine: Engine,
    path: str | Path,
    *,
    table: str | None = None,
    mapping: ColumnMapping | None = None,
    rejects_path: str | Path | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a CSV, Parquet or Excel file into ``table`` (or the mapping's table).

    Bad rows are written to ``rejects_path`` (default: ``<data_dir>/rejects/<file>.rejects.csv``)
    with columns file, row, column, value, reason.
    """
    path = Path(path)
    if not path.exists():
        raise NotFoundError(f"File {path} does not exist. Check the path.")
    if mapping is None:
        if table is None:
            raise InvalidParameterError(
                "Say which table the file holds (--table orders) or give a mapping file (--mapping)."
            )
        mapping = ColumnMapping(table=table)
    elif table is not None and table != mapping.table:
        raise InvalidParameterError(
            f"--table {table} differs from the mapping's table {mapping.table}. Drop one."
        )
    report = ImportReport(table=mapping.table, source=path.name)
    for chunk, first_row in read_chunks(path, mapping):
        import_frame(
            engine,
            mapping.table,
            chunk,
            source=path.name,
            first_row=first_row,
            mapping=mapping,
            progress=progress,
            report=report,
        )
    if report.rejects:
        target = (
            Path(rejects_path)
            if rejects_path
            else engine.app.settings.data_dir / "rejects" / f"{path.name}.rejects.csv"
        )
        write_rejects(report.rejects, target)
        report.rejects_file = str(target)
    return report


def write_rejects(rejects: list[Reject], target: Path) -> None:
    """Write the rejects CSV atomically (temporary file, fsync, rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".rejects-", suffix=".csv")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["file", "row", "column", "value", "reason"])
            for r in rejects:
                writer.writerow([r.file, r.row, r.column, r.value, r.reason])
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
