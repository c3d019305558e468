"""Model registry: versions, promotion, pick-up without restart, and crash safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from shopmind.errors import InvalidParameterError, NotFoundError
from shopmind.registry import ModelRegistry


def test_save_promote_load(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path)
    v1 = reg.save("shop", "popularity", {"top": ["a"]}, metrics={"hit@10": 0.3}, data_size={"purchases": 10})
    assert reg.load("shop", "popularity") == {"top": ["a"]}
    assert v1.meta["metrics"] == {"hit@10": 0.3}
    assert v1.meta["data_size"] == {"purchases": 10}
    assert "numpy" in v1.meta["libraries"]
    assert "python" in v1.meta["libraries"]
    v2 = reg.save("shop", "popularity", {"top": ["b"]}, promote=False)
    assert reg.load("shop", "popularity") == {"top": ["a"]}
    reg.promote("shop", "popularity", v2.version)
    assert reg.load("shop", "popularity") == {"top": ["b"]}
    assert [v.version for v in reg.versions("shop", "popularity")] == [v1.version, v2.version]


def test_a_second_registry_sees_a_new_promotion_without_restart(tmp_path: Path) -> None:
    server, trainer = ModelRegistry(tmp_path), ModelRegistry(tmp_path)
    trainer.save("shop", "k", "old")
    assert server.load("shop", "k") == "old"
    trainer.save("shop", "k", "new")
    assert server.load("shop", "k") == "new"


def test_errors(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path)
    with pytest.raises(NotFoundError, match="shopmind train k"):
        reg.load("shop", "k")
    with pytest.raises(NotFoundError):
        reg.promote("shop", "k", "nope")
    with pytest.raises(InvalidParameterError, match="not valid"):
        reg.save("../etc", "k", 1)


def test_cleanup_keeps_newest_and_promoted(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path)
    first = reg.save("s", "k", 0)
    for i in range(1, 7):
        reg.save("s", "k", i, promote=False)
    (tmp_path / "s" / "k" / ".tmp-leftover").mkdir()
    removed = reg.cleanup("s", "k", keep=3)
    assert removed == 4  # the leftover and 3 old versions; the promoted first one stays
    versions = [v.version for v in reg.versions("s", "k")]
    assert first.version in versions
    assert len(versions) == 4


WRITER = textwrap.dedent(
    """
    import sys
    from shopmind.registry import ModelRegistry

    class Slow:
        # Pickling this takes a while and writes a large artifact: time to kill the writer.
        def __reduce__(self):
            import time
            print("writing", flush=True)
            time.sleep(30)
            return (list, ())

    ModelRegistry(sys.argv[1]).save("shop", "k", [bytes(50_000_000), Slow()])
    """
)


def test_a_killed_writer_never_leaves_a_half_written_version_in_use(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path)
    good = reg.save("shop", "k", "good model")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "writing"  # the writer is inside save()
    time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    kind_dir = tmp_path / "shop" / "k"
    leftovers = [p.name for p in kind_dir.iterdir() if p.name.startswith(".tmp-")]
    assert leftovers, "the writer should have died mid-write"
    # Readers only ever see the complete, promoted version.
    assert reg.load("shop", "k") == "good model"
    assert reg.promoted("shop", "k").version == good.version  # type: ignore[union-attr]
    assert [v.version for v in reg.versions("shop", "k")] == [good.version]
    assert reg.cleanup("shop", "k") == len(leftovers)


def test_a_writer_killed_while_promoting_leaves_a_valid_pointer(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path)
    versions = [reg.save("shop", "k", i, promote=False).version for i in range(3)]
    reg.promote("shop", "k", versions[0])
    script = textwrap.dedent(
        f"""
        import sys
        from shopmind.registry import ModelRegistry
        reg = ModelRegistry(sys.argv[1])
        print("ready", flush=True)
        while True:
            for v in {versions!r}:
                reg.promote("shop", "k", v)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()
    seen = set()
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        seen.add(reg.load("shop", "k"))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert seen <= {0, 1, 2}
    assert len(seen) > 1  # the reader really raced the writer
    assert reg.load("shop", "k") in {0, 1, 2}
