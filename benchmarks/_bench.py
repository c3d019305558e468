"""What every benchmark records about where it ran: the machine and the commit measured.

Benchmarks run as scripts (``python benchmarks/x.py``), so this module is imported as ``_bench``
from their own folder.
"""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _memory_gb() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        line = Path("/proc/meminfo").read_text().splitlines()[0]
        return f"{int(line.split()[1]) / 2**20:.0f}"
    return "?"


def machine(*, memory: bool = False, load: bool = False) -> str:
    """Platform, CPU model, CPU count (with *memory*: RAM) and Python version; with *load*, the
    1-minute load average at the start (a busy machine slows timings)."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = f"{_memory_gb()} GB RAM; " if memory else ""
    tail = ""
    if load:
        with contextlib.suppress(OSError):
            tail = f"; load average at start {os.getloadavg()[0]:.1f}"
    return (
        f"{platform.platform()}; {cpu}; {os.cpu_count()} CPUs; {ram}Python {platform.python_version()}{tail}"
    )


def git_state(path: str = "src") -> tuple[str, bool] | None:
    """The short commit and whether *path* has uncommitted changes, or None outside git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", path],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head, bool(dirty)


def shopmind_commit() -> str | None:
    """The commit measured (with ``+dirty`` when src/ has uncommitted changes), or None outside git."""
    state = git_state()
    if state is None:
        return None
    head, dirty = state
    return f"{head}+dirty" if dirty else head
