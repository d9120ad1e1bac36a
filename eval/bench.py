"""Benchmarks with side-by-side ratios: ingest throughput, retrieval latency by store size, re-ingest, answers.

Run with ``python -m eval.bench`` (or ``alliance-qa bench``). Every comparison is measured in the same run on the
same machine, so the ratios hold even when the absolute numbers are noisy. The report goes to
``<out>/bench-<YYYYmmdd-HHMMSS>/`` as ``bench.md``, ``bench.json`` and PNG charts.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from eval.answer_bench import answer_md, bench_answers  # noqa: E402
from eval.processes import (  # noqa: E402
    DATA_DIR,
    RssSampler,
    alliance_server,
    exit_on_sigterm,
    http_json,
    proc_memory_mb,
)
from eval.report import machine, md_table, say, timed  # noqa: E402
from eval.stats import percentile  # noqa: E402
from eval.store_bench import bench_retrieval, bench_throughput, retrieval_md, throughput_md  # noqa: E402

QUESTIONS = [
    "Why does the Japan-US alliance persist?",
    "What role has the Japan-US relationship played in East Asia?",
    "What mainly holds the Japan-US alliance together?",
    "Why is the Taiwan Strait a concern for Japan and the United States?",
    "How has the alliance evolved since World War II?",
    "In which new domains are Japan and the US collaborating?",
    "What hurdles does the alliance face?",
    "Why do Japan and the US work with ASEAN countries?",
    "What do joint military exercises show about the alliance?",
    "To what is the resilience of the relationship attributed?",
]


# 1. ingest throughput ------------------------------------------------------------------------------------------


# 2 + 3. retrieval latency by store size, re-ingest ---------------------------------------------------------------


# 4. answer latency and server memory ---------------------------------------------------------------------------


def bench_server(questions: list[str], tmp: Path) -> dict[str, Any]:
    """Peak memory (RSS) of the real server and of its model worker while the server answers over HTTP."""
    began = time.monotonic()
    with alliance_server(tmp / "server-state") as (url, proc):
        startup = time.monotonic() - began
        worker = http_json(f"{url}/api/health")[1].get("model", {}).get("pid")
        ready_mb = proc_memory_mb(proc.pid, "VmRSS")
        sampler = RssSampler(proc.pid)
        sampler.start()
        latencies = []
        for question in questions:
            seconds, (status, _) = timed(lambda q=question: http_json(f"{url}/api/answer", {"question": q}))
            latencies.append(seconds * 1000)
            if status != 200:
                raise RuntimeError(f"/api/answer answered {status} to {question!r}")
        sampler.stopped.set()
        sampler.join()
        hwm = proc_memory_mb(proc.pid, "VmHWM")
        worker_hwm = proc_memory_mb(worker, "VmHWM") if worker else None
    return {
        "startup_s": round(startup, 1),
        "rss_ready_mb": ready_mb,
        "rss_peak_sampled_mb": sampler.peak_mb,
        "vmhwm_mb": hwm,
        "worker_vmhwm_mb": worker_hwm,
        "http_p50_ms": percentile(latencies, 50),
        "http_p95_ms": percentile(latencies, 95),
        "questions": len(questions),
    }


# report --------------------------------------------------------------------------------------------------------


SERVER_COLUMNS = ["startup_s", "rss_ready_mb", "rss_peak_sampled_mb", "vmhwm_mb", "worker_vmhwm_mb", "http_p50_ms",
                  "http_p95_ms"]  # fmt: skip


def server_md(server: dict[str, Any] | None) -> str:
    """The server memory table as Markdown ("" when it was not measured)."""
    if not server:
        return ""
    return (
        "\n### Server memory\n\n"
        + md_table([c.replace("_", " ") for c in SERVER_COLUMNS], [[server[c] for c in SERVER_COLUMNS]])
        + "\n"
    )


def report_md(results: dict[str, Any]) -> str:
    """The whole report as Markdown."""
    meta = results["meta"]
    head = (
        f"# Benchmarks {meta['started']}\n\n{meta['machine']}; total run time {meta['run_seconds']} s. "
        "Ratios are measured side by side in this one run.\n\n"
    )
    return "\n".join(
        [
            head + throughput_md(results["throughput"]),
            retrieval_md(results["retrieval"]),
            answer_md(results["answer"]) + server_md(results["server"]),
        ]
    )


def bar_chart(path: Path, title: str, ylabel: str, labels: list[str], series: dict[str, list[float]]) -> None:
    """Grouped bars: one group per label, one bar per series."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        bars = ax.bar([x + i * width for x in range(len(labels))], values, width, label=name)
        ax.bar_label(bars, fmt="%.0f", fontsize=8)
    ax.set_xticks([x + width * (len(series) - 1) / 2 for x in range(len(labels))], labels)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    if len(series) > 1:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def charts(out: Path, results: dict[str, Any]) -> list[str]:
    """The three PNG charts; returns their file names."""
    rows, t, a = results["retrieval"]["rows"], results["throughput"], results["answer"]
    bar_chart(
        out / "retrieval.png",
        "Retrieval latency (hybrid) by store size",
        "ms",
        [f"{r['sentences']:,}" for r in rows],
        {"p50": [r["p50_ms"] for r in rows], "p95": [r["p95_ms"] for r in rows]},
    )
    bar_chart(
        out / "throughput.png",
        "Ingest throughput",
        "sentences/s",
        ["ingest pipeline", "raw encode (sentences)", "raw encode (same records)"],
        {"sentences/s": [t["pipeline_sentences_per_s"], t["raw_sentences_per_s"], t["raw_records_sentences_per_s"]]},
    )
    bar_chart(
        out / "answer.png",
        "Answer latency p50",
        "ms",
        ["raw llama.cpp (draft)", "raw llama.cpp (all calls)", "pipeline, in process", "pipeline, worker"],
        {"p50": [a["raw_draft_p50_ms"] or 0, a["raw_p50_ms"] or 0, a["inproc_p50_ms"] or 0, a["worker_p50_ms"] or 0]},
    )
    return ["retrieval.png", "throughput.png", "answer.png"]


def write_report(out: Path, results: dict[str, Any]) -> None:
    """Write bench.md, bench.json and the charts into ``out``, replacing the partial checkpoint."""
    out.mkdir(parents=True, exist_ok=True)
    results["meta"]["charts"] = charts(out, results)
    (out / "bench.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    (out / "bench.md").write_text(report_md(results), encoding="utf-8")
    (out / "bench.partial.json").unlink(missing_ok=True)


# entry point ---------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The benchmark's options."""
    parser = argparse.ArgumentParser(prog="alliance-qa bench", description="Benchmarks with side-by-side ratios.")
    parser.add_argument("--sizes", default="1000,10000,100000", help="store sizes in sentences, comma separated")
    parser.add_argument("--out", type=Path, default=Path("eval/reports"), help="folder for bench-<time>/ reports")
    parser.add_argument("--questions", type=int, default=10, help=f"essay questions to answer (1..{len(QUESTIONS)})")
    parser.add_argument("--queries", type=int, default=50, help="retrieval queries timed at each size")
    parser.add_argument("--throughput-sentences", type=int, default=2000, help="corpus size of the throughput run")
    parser.add_argument(
        "--store-embedder", choices=["hash", "minilm"], default="hash",
        help="embedder of the synthetic retrieval stores (hash: fast enough for 100k on 2 cores)",
    )  # fmt: skip
    parser.add_argument("--budget-min", type=float, default=15.0, help="time allowed for building retrieval stores")
    parser.add_argument("--max-tokens", type=int, help="longest answer in tokens (default: the setting)")
    parser.add_argument("--llm-threads", type=int, help="llama.cpp threads (default: the setting, 2)")
    parser.add_argument("--no-server", action="store_true", help="skip the server memory measurement")
    args = parser.parse_args(argv)
    args.size_list = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    if not args.size_list or min(args.size_list) < 1 or not 1 <= args.questions <= len(QUESTIONS):
        parser.error(f"--sizes needs positive integers and --questions 1..{len(QUESTIONS)}")
    return args


def checkpoint(path: Path, results: dict[str, Any]) -> None:
    """Save the results so far, so that an interrupted run still leaves its finished sections."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2), encoding="utf-8")


def run(args: argparse.Namespace, tmp: Path, partial: Path) -> dict[str, Any]:
    """All benchmarks in order, checkpointed to ``partial`` after each; returns the results."""
    from rag.store.embeddings import load_embeddings

    embeddings = load_embeddings(threads=1)
    questions = QUESTIONS[: args.questions]
    results: dict[str, Any] = {"server": None}
    say(f"1. ingest throughput ({args.throughput_sentences:,} sentences)")
    results["throughput"] = bench_throughput(embeddings, args.throughput_sentences, tmp)
    checkpoint(partial, results)
    say(f"2-3. retrieval latency and re-ingest at sizes {args.size_list}")
    results["retrieval"] = bench_retrieval(
        embeddings, args.size_list, args.queries, tmp, args.budget_min * 60, args.store_embedder == "hash"
    )
    results["reingest"] = results["retrieval"]["reingest"]
    checkpoint(partial, results)
    say(f"4. answer latency ({len(questions)} questions)")
    results["answer"] = bench_answers(
        embeddings, questions, tmp / "answer-state", DATA_DIR, llm_max_tokens=args.max_tokens,
        llm_threads=args.llm_threads,
    )  # fmt: skip
    checkpoint(partial, results)
    if not args.no_server:
        say("4b. server memory")
        results["server"] = bench_server(questions, tmp)
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print the tables and write the report."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for noisy in ("httpx", "chromadb", "sentence_transformers", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = parse_args(argv)
    started = datetime.now()
    began = time.perf_counter()
    out = args.out / f"bench-{started.strftime('%Y%m%d-%H%M%S')}"
    with exit_on_sigterm(), tempfile.TemporaryDirectory(prefix="alliance-bench-") as tmp:
        results = run(args, Path(tmp), out / "bench.partial.json")
    results["meta"] = {
        "started": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "run_seconds": round(time.perf_counter() - began, 1),
        "args": {
            "sizes": args.size_list,
            "questions": args.questions,
            "queries": args.queries,
            "throughput_sentences": args.throughput_sentences,
            "max_tokens": args.max_tokens,
            "llm_threads": args.llm_threads,
            "budget_min": args.budget_min,
            "server": not args.no_server,
        },
    }
    write_report(out, results)
    print("\n" + (out / "bench.md").read_text(encoding="utf-8"))
    say(f"report: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
