"""Answer latency of each LLM backend and store mode, side by side: ``python -m eval.backends [--questions N]``.

Every mode answers the same answerable gold questions through ``Pipeline.answer`` after one warm-up question:

- ``llamacpp`` in process (the default) over the embedded Chroma store;
- ``openai:`` against llama-cpp-python's own OpenAI-compatible server serving the same GGUF on a free port;
- ``ollama:`` against an Ollama server, when one answers at ``--ollama-url`` (none can be installed offline here, so
  the report then says it was not measured rather than leaving it out);
- ``none`` (extractive only) over the embedded store;
- ``llamacpp`` and ``none`` over a Chroma server (``chroma run`` on a free port).

Writes ``eval/reports/backends-<time>/report.{json,md}``. Run it on a quiet machine: llama.cpp's two threads slow
down badly when other work shares the cores.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from eval.gold import load_gold
from eval.processes import DATA_DIR, ROOT, chroma_server_command, free_port, llama_server_command, reachable, running
from eval.report import machine, md_table, say
from eval.stats import percentile
from ingest.sync import ingest_default
from rag.llm.weights import smollm2_path
from rag.service import load_pipeline, open_store
from rag.settings import OLLAMA_URL, Settings
from rag.store.embeddings import load_embeddings


def started(command: list[str], ready_url: str, log: Path, timeout: float = 300) -> Any:
    """``running`` with readiness meaning ``ready_url`` answers 200."""
    return running(command, lambda: reachable(ready_url), log, timeout)


def measure(name: str, settings: Settings, questions: list[str], embeddings: Embeddings) -> dict[str, Any]:
    """Ingest the corpus into the mode's store, warm up, then time ``Pipeline.answer`` on every question."""
    store = open_store(settings, embeddings)
    ingest_default(settings, store, progress=False)
    pipeline = load_pipeline(settings, store)
    pipeline.answer(questions[0])
    totals, modes = [], []
    for question in questions:
        answer = pipeline.answer(question)
        totals.append(answer.timings_ms["total"])
        modes.append(answer.mode)
    say(f"{name}: p50 {percentile(totals, 50):.0f} ms")
    return {
        "mode": name,
        "measured": True,
        "questions": len(totals),
        "p50_ms": round(percentile(totals, 50), 1),
        "p95_ms": round(percentile(totals, 95), 1),
        "answers": {m: modes.count(m) for m in sorted(set(modes))},
    }


def run(args: argparse.Namespace, tmp: Path) -> list[dict[str, Any]]:
    """Every mode, in order; servers are started for the modes that need them and always stopped."""
    questions = [i.question for i in load_gold() if i.answerable and not i.history][: args.questions]
    base = Settings(data_dir=DATA_DIR, state_dir=tmp / "state", llm_timeout=180)
    embeddings = load_embeddings(base.embedding_model, base.embedding_threads)  # once, for every mode
    results = [
        measure("llamacpp, embedded store", base, questions, embeddings),
        measure("none (extractive), embedded store", base.model_copy(update={"llm": "none"}), questions, embeddings),
    ]
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    with started(llama_server_command(smollm2_path(), port), f"{url}/models", tmp / "llama-server.log"):
        served = base.model_copy(update={"llm": "openai:smollm2", "llm_base_url": url})
        results.append(measure("openai:smollm2 (llama_cpp.server), embedded store", served, questions, embeddings))
    if reachable(f"{args.ollama_url}/api/tags"):
        ollama = base.model_copy(update={"llm": f"ollama:{args.ollama_model}", "llm_base_url": args.ollama_url})
        results.append(measure(f"ollama:{args.ollama_model}, embedded store", ollama, questions, embeddings))
    else:
        say(f"no Ollama server at {args.ollama_url}: the ollama backend is not measured")
        results.append(
            {"mode": f"ollama:{args.ollama_model}", "measured": False, "why": f"no Ollama server at {args.ollama_url}"}
        )
    port = free_port()
    command = chroma_server_command(tmp / "chroma-server", port)
    with started(command, f"http://127.0.0.1:{port}/api/v2/heartbeat", tmp / "chroma-server.log", timeout=60):
        remote = base.model_copy(
            update={"chroma_host": "127.0.0.1", "chroma_port": port, "state_dir": tmp / "state-remote"}
        )
        results.append(measure("llamacpp, Chroma server", remote, questions, embeddings))
        results.append(
            measure(
                "none (extractive), Chroma server", remote.model_copy(update={"llm": "none"}), questions, embeddings
            )
        )
    return results


def report_md(results: list[dict[str, Any]], questions: int) -> str:
    rows = [
        [r["mode"], r["p50_ms"], r["p95_ms"], ", ".join(f"{k} {v}" for k, v in r["answers"].items())]
        if r["measured"]
        else [r["mode"], "not measured", "–", r["why"]]
        for r in results
    ]
    return (
        f"# Backends and stores, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n{machine()}. "
        f"{questions} answerable gold questions per mode, after one warm-up; `Pipeline.answer` in process.\n\n"
        + md_table(["backend, store", "p50 ms", "p95 ms", "answers"], rows)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.backends", description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=20, help="answerable gold questions per mode")
    parser.add_argument("--ollama-url", default=OLLAMA_URL)
    parser.add_argument("--ollama-model", default="smollm2:135m")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "reports")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory(prefix="alliance-backends-") as tmp:
        results = run(args, Path(tmp))
    out = args.out / f"backends-{datetime.now(UTC):%Y%m%d-%H%M%SZ}"
    out.mkdir(parents=True, exist_ok=True)
    text = report_md(results, args.questions)
    (out / "report.md").write_text(text + "\n", encoding="utf-8")
    (out / "report.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(text)
    print(f"report: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
