"""Answer latency beside raw llama.cpp: the same prompts through ``pipeline.answer`` with the model in its worker
process (the default), in the server's process, and straight into an in-process llama.cpp engine.

Every run starts from the same warm prompt prefix (the collection's KV cache), as answers do in service. The raw
run replays the exact calls the pipeline made to the model (the draft, then the yes/no judgement), so the ratios
isolate what the pipeline adds: retrieval, grounding, and for the worker the process boundary.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eval.stats import percentile


class Recorder:
    """Wraps an engine's ``stream`` and ``choice`` to keep the calls the pipeline made for the last answer."""

    def __init__(self, engine: Any) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        for method in ("stream", "choice"):
            plain = getattr(engine, method)
            setattr(engine, method, self._recording(method, plain))

    def _recording(self, method: str, plain: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            self.calls.append((method, args))
            return plain(*args)

        return call


def replay(engine: Any, calls: list[tuple[str, tuple[Any, ...]]]) -> tuple[float, str]:
    """Milliseconds for the same model calls on a raw engine, and the draft it wrote."""
    began = time.perf_counter()
    draft = ""
    for method, args in calls:
        if method == "stream":
            draft = "".join(engine.stream(*args))
        else:
            engine.choice(*args)
    return (time.perf_counter() - began) * 1000, draft


def bench_answers(embeddings: Any, questions: list[str], state: Path, data_dir: Path, **llm: Any) -> dict[str, Any]:
    """p50/p95 of answer time per question for the worker pipeline, the in-process pipeline and raw llama.cpp."""
    from ingest.sync import ingest_default
    from rag.llm.engine import LlamaEngine
    from rag.service import load_pipeline, open_store
    from rag.settings import Settings

    overrides = {k: v for k, v in llm.items() if v}
    settings = Settings(state_dir=state, data_dir=data_dir, collection="bench-answer", llm="llamacpp", **overrides)
    store = open_store(settings, embeddings)
    ingest_default(settings, store, progress=False)
    inproc = load_pipeline(settings.model_copy(update={"llm_worker": False}), store)
    worker = load_pipeline(settings.model_copy(update={"llm_worker": True}), store)
    engine = inproc.chat_model.engine
    raw = LlamaEngine(engine.model_path, engine.model_id, engine.n_ctx, engine.n_threads, settings.llm_states_dir)
    recorder = Recorder(engine)
    for pipeline in (inproc, worker):
        pipeline.warm()
    rows = []
    for question in questions:
        recorder.calls.clear()
        answer = inproc.answer(question)
        calls = list(recorder.calls)
        if calls:
            raw.warm(calls[0][1][0])
        raw_ms, raw_draft = replay(raw, calls)
        raw_draft_ms, _ = replay(raw, [c for c in calls if c[0] == "stream"])
        worker_answer = worker.answer(question)
        rows.append(
            {
                "question": question,
                "mode": answer.mode,
                "inproc_ms": answer.timings_ms["total"],
                "worker_ms": worker_answer.timings_ms["total"],
                "raw_ms": round(raw_ms, 1) if calls else None,
                "raw_draft_ms": round(raw_draft_ms, 1) if calls else None,
                "same_answer": worker_answer.answer == answer.answer,
            }
        )
    worker.chat_model.engine.close()
    return {"items": rows, **summary(rows)}


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """p50s and the ratios over the questions the model answered."""
    called = [r for r in rows if r["raw_ms"] is not None]
    out: dict[str, Any] = {"questions": len(rows), "model_called": len(called)}
    for key in ("worker_ms", "inproc_ms", "raw_ms", "raw_draft_ms"):
        values = [r[key] for r in called]
        out[f"{key[:-3]}_p50_ms"], out[f"{key[:-3]}_p95_ms"] = percentile(values, 50), percentile(values, 95)
    if called:
        out["worker_over_raw"] = round(out["worker_p50_ms"] / out["raw_p50_ms"], 3)
        out["worker_over_raw_draft"] = round(out["worker_p50_ms"] / out["raw_draft_p50_ms"], 3)
        out["process_boundary_pct"] = round((out["worker_p50_ms"] / out["inproc_p50_ms"] - 1) * 100, 1)
        per_question = [r["worker_ms"] / r["inproc_ms"] - 1 for r in called]
        out["process_boundary_median_pct"] = round(statistics.median(per_question) * 100, 1)
    out["same_answer"] = sum(r["same_answer"] for r in rows)
    return out


def answer_md(a: dict[str, Any]) -> str:
    """The section as Markdown."""
    rows = [
        ("raw llama.cpp, the draft only", a["raw_draft_p50_ms"], a["raw_draft_p95_ms"]),
        ("raw llama.cpp, every call the pipeline made (draft and judgement)", a["raw_p50_ms"], a["raw_p95_ms"]),
        ("pipeline.answer, model in this process", a["inproc_p50_ms"], a["inproc_p95_ms"]),
        ("pipeline.answer, model in its worker process (default)", a["worker_p50_ms"], a["worker_p95_ms"]),
    ]
    table = "\n".join(f"| {name} | {p50} | {p95} |" for name, p50, p95 in rows)
    return (
        f"## 4. Answer latency ({a['model_called']} of {a['questions']} questions reached the model)\n\n"
        "| run | p50 ms | p95 ms |\n| --- | ---: | ---: |\n"
        + table
        + f"\n\nWorker pipeline over raw llama.cpp on the same calls: **{a.get('worker_over_raw')}x** "
        f"(over the draft alone: {a.get('worker_over_raw_draft')}x). The process boundary adds "
        f"**{a.get('process_boundary_pct')}%** to the p50 (median per question: "
        f"{a.get('process_boundary_median_pct')}%). The worker and in-process pipelines gave the same answer for "
        f"{a['same_answer']} of {a['questions']} questions. All runs start from the warm prompt prefix.\n"
    )
