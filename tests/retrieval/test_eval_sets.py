"""The bench's evaluation sets stay apart: what tunes never holds what reports."""

import json
from pathlib import Path

import pytest

from bench import retrieval as bench
from bench.data import dev, paraphrase

DATA = Path(bench.__file__).resolve().parent / "data"


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line]


def test_the_committed_dev_set_does_not_repeat_the_held_out_set():
    bench.check_separation(_rows("dev.jsonl"), _rows("paraphrase.jsonl"))


def test_a_dev_request_copied_from_the_held_out_set_is_refused():
    held_out = _rows("paraphrase.jsonl")
    copied = held_out[3] | {"query": held_out[3]["query"].upper() + " please"}
    with pytest.raises(ValueError, match="repeats a held-out request"):
        bench.check_separation([*_rows("dev.jsonl"), copied], held_out)


def test_calibration_refuses_held_out_requests():
    with pytest.raises(ValueError, match="held-out"):
        bench.calibrate(_rows("queries.jsonl")[:3] + _rows("paraphrase.jsonl")[:1])


@pytest.mark.parametrize(("module", "name"), [(dev, "dev.jsonl"), (paraphrase, "paraphrase.jsonl")])
def test_the_committed_files_are_what_their_scripts_write(module, name):
    rows = paraphrase.build(
        module.ENGLISH, module.RUSSIAN_REQUESTS, module.UNRELATED, module.RUSSIAN_UNRELATED
    )
    assert rows == _rows(name)
    assert all(row["language"] in ("en", "ru") for row in rows)
