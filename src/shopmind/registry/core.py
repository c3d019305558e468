"""The model registry: versioned artifacts per shop and kind under ``<data_dir>/models``.

Layout::

    models/<shop>/<kind>/<version>/artifact.pkl   the fitted model (pickle)
    models/<shop>/<kind>/<version>/meta.json      created, data size, metrics, library versions
    models/<shop>/<kind>/PROMOTED                 the version the API serves

A version is written into a hidden temporary folder, every file fsynced, then renamed into place;
``PROMOTED`` is replaced with ``os.replace``. A writer killed at any moment leaves either no new
version or a complete one, and ``PROMOTED`` always names a complete version. Readers check the
pointer's contents on each call, so a newly promoted model is served without a restart.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import platform
import re
import shutil
import threading
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from shopmind.errors import InvalidParameterError, NotFoundError

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_LIBS = ("shopmind", "numpy", "pandas", "scikit-learn", "scipy", "implicit", "statsforecast", "lightgbm")


@dataclass(frozen=True)
class ModelVersion:
    """One stored version of a model: its id and metadata."""

    shop_id: str
    kind: str
    version: str
    path: Path
    meta: dict[str, Any] = field(default_factory=dict)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def library_versions() -> dict[str, str]:
    found = {}
    for name in _LIBS:
        try:
            found[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            continue
    found["python"] = platform.python_version()
    return found


class ModelRegistry:
    """Stores and serves model versions. Thread-safe; safe across processes for readers."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._cache: dict[tuple[str, str], tuple[str, Any]] = {}
        self._lock = threading.Lock()

    def _kind_dir(self, shop_id: str, kind: str) -> Path:
        for what, value in (("shop id", shop_id), ("model kind", kind)):
            if not _NAME.match(value):
                raise InvalidParameterError(
                    f"The {what} {value!r} is not valid: use lowercase letters, digits, '-' or '_'."
                )
        return self.root / shop_id / kind

    def save(
        self,
        shop_id: str,
        kind: str,
        model: Any,
        *,
        metrics: dict[str, Any] | None = None,
        data_size: dict[str, int] | None = None,
        params: dict[str, Any] | None = None,
        promote: bool = True,
    ) -> ModelVersion:
        """Write a new version atomically and (by default) promote it."""
        kind_dir = self._kind_dir(shop_id, kind)
        kind_dir.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.UTC)
        version = now.strftime("%Y%m%dT%H%M%S%fZ")
        meta = {
            "shop_id": shop_id,
            "kind": kind,
            "version": version,
            "created": now.isoformat(),
            "model_class": f"{type(model).__module__}.{type(model).__qualname__}",
            "data_size": data_size or {},
            "metrics": metrics or {},
            "params": params or {},
            "libraries": library_versions(),
        }
        tmp = kind_dir / f".tmp-{version}-{os.getpid()}"
        tmp.mkdir()
        try:
            _write_file(tmp / "artifact.pkl", pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
            _write_file(tmp / "meta.json", json.dumps(meta, indent=2, default=str).encode())
            _fsync_dir(tmp)
            final = kind_dir / version
            os.rename(tmp, final)
            _fsync_dir(kind_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        result = ModelVersion(shop_id, kind, version, final, meta)
        if promote:
            self.promote(shop_id, kind, version)
        return result

    def promote(self, shop_id: str, kind: str, version: str) -> None:
        """Make ``version`` the one served."""
        kind_dir = self._kind_dir(shop_id, kind)
        if not (kind_dir / version / "meta.json").exists():
            raise NotFoundError(
                f"Model {kind!r} of shop {shop_id!r} has no version {version!r}. See `shopmind status`."
            )
        tmp = kind_dir / f".PROMOTED-{os.getpid()}-{threading.get_ident()}"
        _write_file(tmp, version.encode())
        os.replace(tmp, kind_dir / "PROMOTED")
        _fsync_dir(kind_dir)

    def versions(self, shop_id: str, kind: str) -> list[ModelVersion]:
        """Complete versions, oldest first (temporary folders of interrupted writers are skipped)."""
        kind_dir = self._kind_dir(shop_id, kind)
        if not kind_dir.exists():
            return []
        found = []
        for d in sorted(kind_dir.iterdir()):
            if d.name.startswith(".") or not (d / "meta.json").exists():
                continue
            found.append(ModelVersion(shop_id, kind, d.name, d, json.loads((d / "meta.json").read_text())))
        return found

    def kinds(self, shop_id: str) -> list[str]:
        shop_dir = self.root / shop_id
        return sorted(d.name for d in shop_dir.iterdir() if d.is_dir()) if shop_dir.exists() else []

    def _promoted_version(self, shop_id: str, kind: str) -> str | None:
        try:
            return (self._kind_dir(shop_id, kind) / "PROMOTED").read_text().strip()
        except FileNotFoundError:
            return None

    def promoted(self, shop_id: str, kind: str) -> ModelVersion | None:
        kind_dir = self._kind_dir(shop_id, kind)
        version = self._promoted_version(shop_id, kind)
        if version is None:
            return None
        meta_path = kind_dir / version / "meta.json"
        return ModelVersion(shop_id, kind, version, kind_dir / version, json.loads(meta_path.read_text()))

    def load(self, shop_id: str, kind: str) -> Any:
        """The promoted model, loaded once per version and cached."""
        # Every request asks: only the one-line PROMOTED file is read unless the version changed.
        version = self._promoted_version(shop_id, kind)
        if version is None:
            raise NotFoundError(
                f"No trained {kind!r} model for shop {shop_id!r} yet. Train one with `shopmind train {kind} --shop {shop_id}`."
            )
        key = (shop_id, kind)
        with self._lock:
            cached = self._cache.get(key)
            if cached and cached[0] == version:
                return cached[1]
        model = pickle.loads((self._kind_dir(shop_id, kind) / version / "artifact.pkl").read_bytes())
        with self._lock:
            self._cache[key] = (version, model)
        return model

    def cleanup(self, shop_id: str, kind: str, keep: int = 5) -> int:
        """Delete leftovers of interrupted writers and all but the newest ``keep`` versions
        (never the promoted one). Returns how many folders were removed."""
        kind_dir = self._kind_dir(shop_id, kind)
        if not kind_dir.exists():
            return 0
        removed = 0
        for d in kind_dir.iterdir():
            if d.name.startswith(".tmp-"):
                shutil.rmtree(d, ignore_errors=True)
                removed += 1
        promoted = self.promoted(shop_id, kind)
        for mv in self.versions(shop_id, kind)[:-keep]:
            if promoted is None or mv.version != promoted.version:
                shutil.rmtree(mv.path, ignore_errors=True)
                removed += 1
        return removed
