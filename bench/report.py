"""How every benchmark reports: a printed table and ``bench/results/<name>.json``."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def print_table(title: str, rows: Sequence[dict[str, Any]], *, notes: str = "") -> None:
    """Print ``rows`` as a table under ``title``, then ``notes``."""
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    cells = [[_cell(row.get(col, "")) for col in columns] for row in rows]
    widths = [max(len(col), *(len(r[i]) for r in cells)) for i, col in enumerate(columns)]
    print(f"\n== {title} ==")
    print("  ".join(col.ljust(w) for col, w in zip(columns, widths, strict=True)))
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    if notes:
        print(notes)


def report(name: str, rows: Sequence[dict[str, Any]], *, notes: str = "") -> Path:
    """Print ``rows`` as a table and write them, with machine facts, to the results dir."""
    print_table(name, rows, notes=notes)
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {
        "benchmark": name,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
        "notes": notes,
        "rows": list(rows),
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def _cell(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _cpus() -> int:
    import os

    return os.cpu_count() or 0
