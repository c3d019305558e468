"""Importers: files (CSV, Parquet, Excel) and the real datasets, validated row by row."""

from shopmind.ingest.core import ColumnMapping, ImportReport, Reject, import_file, import_frame

__all__ = ["ColumnMapping", "ImportReport", "Reject", "import_file", "import_frame"]
