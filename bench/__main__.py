"""``python -m bench [NAME...]`` (``make bench``): every benchmark module in this folder that
exposes ``main()`` (or only those named), one after another, each writing
``bench/results/<name>.json``."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"__init__", "__main__", "report"}


def main() -> None:
    names = sorted(path.stem for path in HERE.glob("*.py") if path.stem not in SKIP)
    unknown = sorted(set(sys.argv[1:]) - set(names))
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(names)}")
    names = sys.argv[1:] or names
    failed = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if not callable(getattr(module, "main", None)):
            continue
        print(f"\n### bench.{name}", flush=True)
        try:
            module.main()
        except Exception as exc:  # one broken benchmark does not hide the others
            print(f"bench.{name} failed: {exc!r}", file=sys.stderr)
            failed.append(name)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
