"""The benchmark at tiny sizes: it runs end to end and writes a complete report (no timing assertions)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from eval import bench, corpus, store_bench, warm_bench
from eval.processes import proc_memory_mb
from rag.text.sentences import split_sentences


def test_synthetic_files_split_into_exactly_their_sentences(tmp_path: Path) -> None:
    sentences = corpus.synthetic_sentences(1200)
    assert len(set(sentences)) > 1100  # varied, not a handful of repeats
    corpus.sync_corpus(tmp_path, sentences, 1200)
    files = sorted(tmp_path.glob("*.txt"))
    assert len(files) == 3
    text = files[0].read_text(encoding="utf-8")
    assert [text[s:e] for s, e in split_sentences(text)] == sentences[: corpus.PER_FILE]
    corpus.sync_corpus(tmp_path, sentences, 600)  # shrinking removes the files beyond the new size
    assert [f.name for f in sorted(tmp_path.glob("*.txt"))] == ["part-0000000-0000500.txt", "part-0000500-0000600.txt"]


def test_growth_steps_end_at_the_target() -> None:
    assert store_bench.growth_steps(0, 200) == [200]
    assert store_bench.growth_steps(10_000, 100_000)[-1] == 100_000
    assert store_bench.growth_steps(1_000, 1_000) == []


def test_proc_memory_reads_this_process() -> None:
    if not Path("/proc/self/status").exists():
        pytest.skip("no /proc on this system")
    assert (proc_memory_mb(os.getpid(), "VmHWM") or 0) > 1


@pytest.mark.slow
def test_bench_writes_a_complete_report(tmp_path: Path) -> None:
    argv = ["--sizes", "100", "--questions", "2", "--queries", "3", "--throughput-sentences", "60",
            "--max-tokens", "8", "--llm-threads", "1", "--no-server", "--out", str(tmp_path)]  # fmt: skip
    assert bench.main(argv) == 0

    (out,) = tmp_path.glob("bench-*")
    for name in ("bench.md", "bench.json", "retrieval.png", "throughput.png", "answer.png"):
        assert (out / name).stat().st_size > 0, name
    results = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    assert {"meta", "throughput", "retrieval", "reingest", "answer", "server"} <= set(results)
    assert results["server"] is None
    assert {"pipeline_sentences_per_s", "raw_sentences_per_s", "overhead_ratio"} <= set(results["throughput"])
    (row,) = results["retrieval"]["rows"]
    assert row["sentences"] == 100 and not row["partial"]
    assert {"p50_ms", "p95_ms"} <= set(row)
    assert [r["writes"] for r in results["reingest"]] == [0]
    assert {"worker_p50_ms", "inproc_p50_ms", "raw_p50_ms", "process_boundary_pct"} <= set(results["answer"])
    assert results["answer"]["questions"] == 2
    assert "Re-ingest" in (out / "bench.md").read_text(encoding="utf-8")


def test_the_start_report_gives_each_start_and_the_restarts_median(tmp_path: Path) -> None:
    def started(warm: str, seconds: float) -> dict[str, object]:
        return {"health_s": 5.0, "warm": warm, "warm_s": seconds, "answer_s": seconds + 1}

    results = {
        "first": started("computed in 11.0 s", 30.0),
        "restarts": [started("loaded in 0.1 s", s) for s in (7.0, 9.0, 8.0)],
        "question": "What is it?",
        "machine": "test machine",
    }
    folder = warm_bench.report(results, tmp_path)
    assert json.loads((folder / "warm.json").read_text(encoding="utf-8")) == results
    lines = (folder / "warm.md").read_text(encoding="utf-8").splitlines()
    rows = [line for line in lines if line.startswith("| ") and "---" not in line]
    assert rows[1].startswith("| first start | computed in 11.0 s | 5.0 | 30.0 | 31.0 |")
    assert rows[-1] == "| restarts, median |  | 5.0 | 8.0 | 9.0 | 1000 |"
