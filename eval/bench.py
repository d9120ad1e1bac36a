"""Benchmarks with side-by-side ratios: ingest throughput, retrieval latency by store size, re-ingest, answers.

Run with ``python -m eval.bench`` (or ``alliance-qa bench``). Every comparison is measured in the same run on the
same machine, so the ratios hold even when the absolute numbers are noisy. The report goes to
``<out>/bench-<YYYYmmdd-HHMMSS>/`` as ``bench.md``, ``bench.json`` and PNG charts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from eval.answer_bench import answer_md, bench_answers  # noqa: E402
from eval.processes import ROOT, free_port, stop_server  # noqa: E402

DATA_DIR = ROOT / "data"
PER_FILE = 500  # sentences per synthetic file
PER_PARAGRAPH = 5  # sentences per synthetic paragraph
BATCH = 64  # the ingest pipeline's embedding batch size

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

SUBJECTS = [
    "The city council", "The port authority", "A regional bank", "The transport ministry", "Local farmers",
    "A university team", "The national archive", "A group of engineers", "The health agency", "The fishing union",
    "A startup founder", "The energy regulator", "The museum board", "A coalition of teachers", "The water utility",
    "The central library", "A steel manufacturer", "The weather service", "The coast guard", "A rail operator",
    "The tourism office", "A hospital network", "The forestry department", "A shipping company", "The school board",
    "A research institute", "The parliament committee", "A logistics firm", "The farmers cooperative",
    "The space agency", "A software company", "The housing authority", "The chamber of commerce",
    "A wind power developer", "The police department", "The mayor's office", "A textile mill", "The airport operator",
]  # fmt: skip
VERBS = [
    "approved", "delayed", "expanded", "cancelled", "funded", "reviewed", "announced", "opened", "redesigned",
    "inspected", "criticised", "postponed", "launched", "audited", "relocated", "upgraded", "defended", "rejected",
    "completed", "proposed", "subsidised", "tested", "restored", "privatised", "shut down", "doubled",
]  # fmt: skip
OBJECTS = [
    "a new rail line", "the water treatment plan", "a flood barrier", "the harbour extension", "a solar farm",
    "the bus network", "a cancer screening programme", "the bridge repair", "a digital archive", "the rice subsidy",
    "a teacher training scheme", "the airport terminal", "a fibre network", "the recycling centre",
    "a wildlife corridor", "the school lunch programme", "a hydrogen pipeline", "the tax reform", "a warning system",
    "the hospital wing", "a desalination plant", "the cycling lanes", "a satellite launch", "the tunnel project",
    "a housing estate", "the fish market", "a vaccine depot", "the grain silo", "a data centre", "the ferry service",
]  # fmt: skip
PLACES = [
    "in Osaka", "near Sapporo", "in the northern valley", "along the eastern coast", "in Nagoya", "outside Fukuoka",
    "in the old river district", "on the southern islands", "in Sendai", "near the mountain pass", "in Kobe",
    "across the central plain", "in Hiroshima", "by the western harbour", "in Kyoto", "around the lake shore",
    "in Yokohama", "in the industrial zone", "near the border crossing", "in the capital",
]  # fmt: skip
CAUSES = [
    "rising costs", "heavy rainfall", "a labour shortage", "public protests", "new safety rules", "a budget surplus",
    "falling demand", "an election", "a court ruling", "supply chain delays", "strong exports", "an audit report",
]  # fmt: skip
GROUPS = ["residents", "voters", "shop owners", "commuters", "students", "nurses", "pensioners", "fishermen"]
TEMPLATES = [
    "{S} {v} {o} {p} in {y}.",
    "In {y}, {s} {v} {o} {p} at a cost of {n} million dollars.",
    "Because of {c}, {s} {v} {o} {p} during {y}.",
    "{S} reported that {n} percent of {g} supported {o} {p}.",
    "Critics argued that {o} {p} would need {n} more workers by {y}.",
    "{S} and {s2} jointly {v} {o} {p} after {n} months of talks.",
    "{S} expects {o} {p} to serve {n} thousand {g} by {y}.",
    "After {c} in {y}, {s} quietly {v} {o} {p}.",
    "Officials said {o} {p} was {v} by {s} with {n} votes in favour.",
    "{S} {v} {o} {p}, citing {c} and the concerns of {g}.",
]
QUERY_TEMPLATES = [
    "What happened to {o} {p}?",
    "Who {v} {o} in {y}?",
    "How many {g} supported {o}?",
    "Why did {s} change plans {p}?",
    "{S} {o} {p} {y}",
    "What did {s} do about {c}?",
]


def _fill(template: str, rng: random.Random) -> str:
    """One template filled from the vocabulary lists."""
    subject, other = rng.sample(SUBJECTS, 2)
    values = {
        "S": subject,
        "s": subject[0].lower() + subject[1:],
        "s2": other[0].lower() + other[1:],
        "v": rng.choice(VERBS),
        "o": rng.choice(OBJECTS),
        "p": rng.choice(PLACES),
        "y": rng.randint(1950, 2030),
        "n": rng.randint(2, 980),
        "c": rng.choice(CAUSES),
        "g": rng.choice(GROUPS),
    }
    return template.format(**values)


def synthetic_sentences(n: int, seed: int = 0) -> list[str]:
    """``n`` varied sentences from templates and vocabulary, the same for the same seed."""
    rng = random.Random(seed)
    return [_fill(rng.choice(TEMPLATES), rng) for _ in range(n)]


def synthetic_queries(n: int, seed: int = 1) -> list[str]:
    """``n`` questions and keyword queries over the synthetic vocabulary."""
    rng = random.Random(seed)
    return [_fill(rng.choice(QUERY_TEMPLATES), rng) for _ in range(n)]


def file_text(sentences: list[str]) -> str:
    """Sentences as paragraphs of PER_PARAGRAPH sentences separated by blank lines."""
    paragraphs = [" ".join(sentences[i : i + PER_PARAGRAPH]) for i in range(0, len(sentences), PER_PARAGRAPH)]
    return "\n\n".join(paragraphs) + "\n"


def sync_corpus(folder: Path, sentences: list[str], size: int) -> None:
    """Make ``folder`` hold exactly the first ``size`` sentences as PER_FILE-sentence .txt files."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {f"part-{a:07d}-{min(a + PER_FILE, size):07d}.txt": a for a in range(0, size, PER_FILE)}
    for path in folder.glob("*.txt"):
        if path.name not in wanted:
            path.unlink()
    for name, start in wanted.items():
        path = folder / name
        if not path.exists():
            path.write_text(file_text(sentences[start : min(start + PER_FILE, size)]), encoding="utf-8")


def pct(values: Iterable[float], q: float) -> float:
    """The q-th percentile, rounded to 0.1."""
    data = list(values)
    return round(float(np.percentile(data, q)), 1) if data else float("nan")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by ``fn()`` and its result."""
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


def say(message: str) -> None:
    """Progress line on stdout, flushed at once."""
    print(message, flush=True)


def bench_settings(state: Path, collection: str, **extra: Any) -> Any:
    """Settings with state in ``state`` and the essay folder as corpus."""
    from rag.settings import Settings

    return Settings(state_dir=state, data_dir=DATA_DIR, collection=collection, **extra)


def sentence_model(embeddings: Any) -> Any:
    """The SentenceTransformer inside the LangChain embeddings (loaded once), or a fresh one."""
    model = getattr(embeddings, "_client", None)
    if model is not None:
        return model
    from sentence_transformers import SentenceTransformer

    from rag.embeddings import minilm_path

    return SentenceTransformer(minilm_path(), device="cpu")


# 1. ingest throughput ------------------------------------------------------------------------------------------


def ingest_records(folder: Path) -> list[list[str]]:
    """The texts the ingest pipeline embeds, in its own batches of BATCH records per store write."""
    from ingest.chunks import chunks_of, file_sha, sentences_of
    from ingest.loaders import discover, read_text

    batches: list[list[str]] = []
    for source in discover([folder]):
        text = read_text(source.path)
        sha = file_sha(text)
        sentences = sentences_of(source.name, text, sha)
        records = [s.text for s in sentences] + [c.text for c in chunks_of(sentences, text, sha)]
        records.append(f"{source.name}\n{text[:300]}")
        batches += [records[i : i + BATCH] for i in range(0, len(records), BATCH)]
    return batches


def bench_throughput(embeddings: Any, n: int, tmp: Path) -> dict[str, Any]:
    """Ingest pipeline vs raw sentence-transformers encode of the same sentences (and of the same records)."""
    from ingest.sync import ingest
    from rag.service import open_store

    sentences = synthetic_sentences(n, seed=7)
    folder = tmp / "throughput-corpus"
    sync_corpus(folder, sentences, n)
    settings = bench_settings(tmp / "throughput-state", "bench-throughput")
    store = open_store(settings, embeddings)
    model = sentence_model(embeddings)
    model.encode(sentences[:BATCH], batch_size=BATCH, normalize_embeddings=True)  # warm-up for both sides
    raw_before, _ = timed(lambda: model.encode(sentences, batch_size=BATCH, normalize_embeddings=True))
    say(f"  raw encode: {n / raw_before:.0f} sentences/s")
    report = ingest([folder], store, settings.texts_dir, progress=False)
    say(f"  ingest pipeline: {report.sentences / report.seconds:.0f} sentences/s ({report.summary()})")
    batches = ingest_records(folder)
    raw_records, _ = timed(lambda: [model.encode(b, batch_size=BATCH, normalize_embeddings=True) for b in batches])
    raw_after, _ = timed(lambda: model.encode(sentences, batch_size=BATCH, normalize_embeddings=True))
    raw = (raw_before + raw_after) / 2
    records = sum(len(b) for b in batches)
    return {
        "sentences": report.sentences,
        "chunks": report.chunks,
        "records_embedded": records,
        "pipeline_seconds": round(report.seconds, 2),
        "pipeline_sentences_per_s": round(report.sentences / report.seconds, 1),
        "raw_seconds": round(raw, 2),
        "raw_seconds_runs": [round(raw_before, 2), round(raw_after, 2)],
        "raw_sentences_per_s": round(n / raw, 1),
        "raw_records_seconds": round(raw_records, 2),
        "raw_records_sentences_per_s": round(n / raw_records, 1),
        "overhead_ratio": round(report.seconds / raw, 2),
        "overhead_ratio_vs_same_records": round(report.seconds / raw_records, 2),
    }


# 2 + 3. retrieval latency by store size, re-ingest ---------------------------------------------------------------


def growth_steps(current: int, target: int) -> list[int]:
    """Corpus sizes from ``current`` up to ``target`` in PER_FILE-aligned steps of at least 5,000 sentences."""
    if target <= current:
        return []
    step = max(5000, target // 10) // PER_FILE * PER_FILE
    return [s for s in range(step, target, step) if s > current] + [target]


def time_queries(store: Any, queries: list[str], k: int, mode: str) -> list[float]:
    """Milliseconds per ``retrieve`` call, one per query."""
    from rag.retrieve import retrieve

    return [timed(lambda q=q: retrieve(store, q, k, mode=mode))[0] * 1000 for q in queries]


def measure_retrieval(store: Any, queries: list[str], k: int) -> dict[str, float]:
    """Hybrid p50/p95 plus dense-only, keyword-only and query-embedding-only p50, after a warm-up."""
    time_queries(store, queries[:3], k, "hybrid")
    hybrid = time_queries(store, queries, k, "hybrid")
    embed = [timed(lambda q=q: store.embeddings.embed_query(q))[0] * 1000 for q in queries]
    dense = time_queries(store, queries, k, "dense")
    keyword = time_queries(store, queries, k, "keyword")
    return {
        "p50_ms": pct(hybrid, 50),
        "p95_ms": pct(hybrid, 95),
        "dense_p50_ms": pct(dense, 50),
        "keyword_p50_ms": pct(keyword, 50),
        "embed_p50_ms": pct(embed, 50),
    }


def measure_reingest(store: Any, folder: Path, texts_dir: Path) -> dict[str, Any]:
    """Ingest the unchanged corpus again: time and writes (which should be none)."""
    from ingest.sync import ingest

    report = ingest([folder], store, texts_dir, progress=False)
    return {
        "sentences": report.sentences,
        "seconds": round(report.seconds, 2),
        "writes": report.added + report.removed,
        "added": report.added,
        "removed": report.removed,
        "unchanged": report.unchanged,
    }


def grow(store: Any, folder: Path, settings: Any, sentences: list[str], target: int, deadline: float) -> dict[str, Any]:
    """Ingest the corpus up to ``target`` sentences in steps, stopping early once ``deadline`` passes."""
    from ingest.sync import ingest

    began, size, chunks, added = time.perf_counter(), 0, 0, 0
    for size in growth_steps(store.count("sentence"), target):
        sync_corpus(folder, sentences, size)
        report = ingest([folder], store, settings.texts_dir, progress=False)
        chunks, added = report.chunks, added + report.added
        rate = report.added / report.seconds if report.seconds else 0.0
        say(f"    {size:>7,} sentences: +{report.added:,} records in {report.seconds:.0f} s ({rate:.0f} rec/s)")
        if time.monotonic() > deadline and size < target:
            say(f"    time budget spent: stopping at {size:,} of {target:,} sentences")
            break
    seconds = time.perf_counter() - began
    return {
        "sentences": store.count("sentence"),
        "chunks": chunks or store.count("chunk"),
        "records_added": added,
        "ingest_seconds": round(seconds, 1),
    }


def bench_retrieval(
    embeddings: Any, sizes: list[int], n_queries: int, tmp: Path, budget_s: float, hashed: bool
) -> dict[str, Any]:
    """Retrieval latency and re-ingest cost at each store size, growing one store incrementally.

    With ``hashed`` the synthetic store is embedded by the 384-dimension hashing embedder, so that 100k sentences
    build in minutes on 2 cores; the real model's query embedding is then timed on its own and reported beside.
    """
    from rag.embeddings import HashEmbeddings
    from rag.service import open_store

    settings = bench_settings(tmp / "retrieval-state", "bench-retrieval")
    store = open_store(settings, HashEmbeddings(384) if hashed else embeddings)
    folder = tmp / "retrieval-corpus"
    sentences = synthetic_sentences(max(sizes), seed=0)
    queries = synthetic_queries(n_queries)
    deadline = time.monotonic() + budget_s
    rows, reingest = [], []
    for target in sorted(set(sizes)):
        say(f"  store of {target:,} sentences:")
        built = grow(store, folder, settings, sentences, target, deadline)
        latency = measure_retrieval(store, queries, settings.candidates)
        rows.append({"target": target, **built, "partial": built["sentences"] < target, **latency})
        say(f"    retrieve p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms")
        reingest.append({"target": target, **measure_reingest(store, folder, settings.texts_dir)})
        say(f"    re-ingest: {reingest[-1]['seconds']} s, {reingest[-1]['writes']} writes")
        if rows[-1]["partial"]:
            break
    skipped = [s for s in sorted(set(sizes)) if s > rows[-1]["target"]]
    embeddings.embed_query(queries[0])
    minilm = [timed(lambda q=q: embeddings.embed_query(q))[0] * 1000 for q in queries]
    return {
        "store_embedder": "hashing (384 dims)" if hashed else "all-MiniLM-L6-v2",
        "minilm_query_embed_p50_ms": pct(minilm, 50),
        "rows": rows,
        "reingest": reingest,
        "queries": len(queries),
        "k": settings.candidates,
        "skipped_sizes": skipped,
    }


# 4. answer latency and server memory ---------------------------------------------------------------------------


def proc_memory_mb(pid: int, field: str) -> float | None:
    """A memory field (VmRSS, VmHWM) of a process from /proc, in MB; None where /proc is unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        return None
    return None


def http_json(url: str, body: dict[str, Any] | None = None, timeout: float = 120) -> tuple[int, Any]:
    """GET (or POST ``body`` as JSON) and return the status and decoded JSON."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read() or b"null")


def wait_healthy(proc: subprocess.Popen, url: str, log: Path, timeout: float = 300) -> float:
    """Seconds until GET /api/health answers 200; raises if the server exits or never gets there."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            if http_json(f"{url}/api/health", timeout=2)[0] == 200:
                return time.monotonic() - began
        except (urllib.error.URLError, OSError, ValueError):
            time.sleep(0.5)
    raise RuntimeError(f"server not healthy after {timeout:.0f} s:\n{log.read_text()[-2000:]}")


class RssSampler(threading.Thread):
    """Samples a process's VmRSS every ``interval`` seconds and keeps the largest value."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_mb = pid, interval, 0.0
        self.stopped = threading.Event()

    def run(self) -> None:
        """Sample until stopped."""
        while not self.stopped.wait(self.interval):
            self.peak_mb = max(self.peak_mb, proc_memory_mb(self.pid, "VmRSS") or 0.0)


def start_server(tmp: Path) -> tuple[subprocess.Popen, str, Path]:
    """``python -m rag.cli serve`` on a free port with its state in ``tmp``."""
    port = free_port()
    env = {
        **os.environ,
        "ALLIANCE_QA_STATE_DIR": str(tmp / "server-state"),
        "ALLIANCE_QA_DATA_DIR": str(DATA_DIR),
        "ALLIANCE_QA_LLM": "llamacpp",
        "HF_HUB_OFFLINE": "1",
    }
    log = tmp / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rag.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return proc, f"http://127.0.0.1:{port}", log


def bench_server(questions: list[str], tmp: Path) -> dict[str, Any]:
    """Peak memory (RSS) of the real server while it answers the questions over HTTP."""
    proc, url, log = start_server(tmp)
    try:
        startup = wait_healthy(proc, url, log)
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
    finally:
        stop_server(proc)
    return {
        "startup_s": round(startup, 1),
        "rss_ready_mb": ready_mb,
        "rss_peak_sampled_mb": sampler.peak_mb,
        "vmhwm_mb": hwm,
        "http_p50_ms": pct(latencies, 50),
        "http_p95_ms": pct(latencies, 95),
        "questions": len(questions),
    }


# report --------------------------------------------------------------------------------------------------------


def md_table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def throughput_md(t: dict[str, Any]) -> str:
    """Section 1 as Markdown."""
    rows = [
        ["ingest pipeline (sentences + chunks, Chroma, BM25)", t["pipeline_sentences_per_s"], t["pipeline_seconds"]],
        ["raw encode of the same sentences (batch 64)", t["raw_sentences_per_s"], t["raw_seconds"]],
        ["raw encode of the same records, same batches", t["raw_records_sentences_per_s"], t["raw_records_seconds"]],
    ]
    return (
        f"## 1. Ingest throughput ({t['sentences']:,} sentences, {t['chunks']:,} chunks, "
        f"{t['records_embedded']:,} records embedded)\n\n"
        + md_table(["run", "sentences/s", "seconds"], rows)
        + f"\n\nPipeline overhead: **{t['overhead_ratio']}x** the time of a raw encode of the sentences; "
        f"{t['overhead_ratio_vs_same_records']}x the time of a raw encode of every record it embeds.\n"
    )


def retrieval_md(r: dict[str, Any]) -> str:
    """Sections 2 and 3 as Markdown."""
    rows = [
        [
            f"{x['target']:,}" + (" (partial)" if x["partial"] else ""),
            f"{x['sentences']:,}",
            f"{x['chunks']:,}",
            x["p50_ms"],
            x["p95_ms"],
            x["dense_p50_ms"],
            x["keyword_p50_ms"],
            x["embed_p50_ms"],
            x["ingest_seconds"],
        ]
        for x in r["rows"]
    ]
    head = "size|sentences|chunks|hybrid p50 ms|hybrid p95 ms|dense p50 ms|keyword p50 ms|embed p50 ms|build s"
    again = [
        [f"{x['target']:,}", f"{x['sentences']:,}", x["seconds"], x["writes"], x["unchanged"]] for x in r["reingest"]
    ]
    skipped = (
        f"\n\nSkipped (time budget): {', '.join(f'{s:,}' for s in r['skipped_sizes'])}" if r["skipped_sizes"] else ""
    )
    return (
        f"## 2. Retrieval latency ({r['queries']} queries, k={r['k']})\n\n"
        + md_table(head.split("|"), rows)
        + skipped
        + "\n\nEvery mode embeds the query first (`retrieve` scores every hit by cosine); embed p50 is that step alone."
        + f"\n\nStores embedded by: {r.get('store_embedder', 'all-MiniLM-L6-v2')}. The real model's query embedding"
        + f" p50 is {r.get('minilm_query_embed_p50_ms')} ms; add it to the hashed rows for the full query cost."
        + "\n\n## 3. Re-ingest of the unchanged corpus\n\n"
        + md_table(["size", "sentences", "seconds", "writes (added + removed)", "unchanged records"], again)
        + "\n"
    )


SERVER_COLUMNS = ["startup_s", "rss_ready_mb", "rss_peak_sampled_mb", "vmhwm_mb", "http_p50_ms", "http_p95_ms"]


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


def machine() -> str:
    """One line describing where the benchmark ran."""
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def checkpoint(path: Path, results: dict[str, Any]) -> None:
    """Save the results so far, so that an interrupted run still leaves its finished sections."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2), encoding="utf-8")


def run(args: argparse.Namespace, tmp: Path, partial: Path) -> dict[str, Any]:
    """All benchmarks in order, checkpointed to ``partial`` after each; returns the results."""
    from rag.embeddings import load_embeddings

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


@contextlib.contextmanager
def exit_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit meanwhile, so a killed run still removes its temp state and stops the server."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
