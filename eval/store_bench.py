"""Benchmarks 1-3: ingest throughput beside a raw encode, retrieval latency as the store grows, re-ingest."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from eval.corpus import PER_FILE, sync_corpus, synthetic_queries, synthetic_sentences
from eval.processes import DATA_DIR
from eval.report import md_table, say, timed
from eval.stats import percentile

BATCH = 64  # the ingest pipeline's embedding batch size


def sentence_model(embeddings: Any) -> Any:
    """The SentenceTransformer inside the LangChain embeddings (loaded once), or a fresh one."""
    model = getattr(embeddings, "_client", None)
    if model is not None:
        return model
    from sentence_transformers import SentenceTransformer

    from rag.store.embeddings import minilm_path

    return SentenceTransformer(minilm_path(), device="cpu")


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


def growth_steps(current: int, target: int) -> list[int]:
    """Corpus sizes from ``current`` up to ``target`` in PER_FILE-aligned steps of at least 5,000 sentences."""
    if target <= current:
        return []
    step = max(5000, target // 10) // PER_FILE * PER_FILE
    return [s for s in range(step, target, step) if s > current] + [target]


def time_queries(store: Any, queries: list[str], k: int, mode: str) -> list[float]:
    """Milliseconds per ``retrieve`` call, one per query."""
    from rag.retrieval.retrieve import retrieve

    return [timed(lambda q=q: retrieve(store, q, k, mode=mode))[0] * 1000 for q in queries]


def measure_retrieval(store: Any, queries: list[str], k: int) -> dict[str, float]:
    """Hybrid p50/p95 plus dense-only, keyword-only and query-embedding-only p50, after a warm-up."""
    time_queries(store, queries[:3], k, "hybrid")
    hybrid = time_queries(store, queries, k, "hybrid")
    embed = [timed(lambda q=q: store.embeddings.embed_query(q))[0] * 1000 for q in queries]
    dense = time_queries(store, queries, k, "dense")
    keyword = time_queries(store, queries, k, "keyword")
    return {
        "p50_ms": percentile(hybrid, 50),
        "p95_ms": percentile(hybrid, 95),
        "dense_p50_ms": percentile(dense, 50),
        "keyword_p50_ms": percentile(keyword, 50),
        "embed_p50_ms": percentile(embed, 50),
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
    from rag.service import open_store
    from rag.store.embeddings import HashEmbeddings

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
        "minilm_query_embed_p50_ms": percentile(minilm, 50),
        "rows": rows,
        "reingest": reingest,
        "queries": len(queries),
        "k": settings.candidates,
        "skipped_sizes": skipped,
    }


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


def bench_settings(state: Path, collection: str, **extra: Any) -> Any:
    """Settings with state in ``state`` and the essay folder as corpus."""
    from rag.settings import Settings

    return Settings(state_dir=state, data_dir=DATA_DIR, collection=collection, **extra)
