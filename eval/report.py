"""Eval reports: a terminal table, report.md, report.json and matplotlib charts."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from eval.metrics import ItemResult  # noqa: E402

QUALITY = ["recall@4", "mrr", "evidence_hit", "citation_precision", "citation_recall", "multi_citation_recall",
           "refusal_accuracy"]  # fmt: skip
LOWER_IS_BETTER = ["false_refusal", "unsupported"]
LATENCY = ["latency_p50_ms", "latency_p95_ms", "ttft_p50_ms", "retrieve_p50_ms", "generate_p50_ms", "ground_p50_ms"]
ROWS = ["recall@1", "recall@4", "recall@12", "mrr", "evidence_hit", "draft_evidence_hit", "evidence_ceiling",
        "citation_precision", "citation_recall", "multi_citation_recall", "min_cited_met", "refusal_accuracy",
        "false_refusal", "unsupported", "leaks", "model_unavailable", *LATENCY, "items"]  # fmt: skip


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3f}".rstrip("0").rstrip(".") or "0"


def table(metrics: dict[str, dict[str, Any]]) -> str:
    """A Markdown table: one row per metric, one column per configuration."""
    names = list(metrics)
    lines = ["| metric | " + " | ".join(names) + " |", "| --- |" + " ---: |" * len(names)]
    lines += [f"| {row} | " + " | ".join(_fmt(metrics[n].get(row)) for n in names) + " |" for row in ROWS]
    return "\n".join(lines)


def print_table(metrics: dict[str, dict[str, Any]]) -> None:
    """The table, aligned for a terminal."""
    names = list(metrics)
    width = max(len(n) for n in names) + 2
    print("metric".ljust(20) + "".join(n.rjust(width) for n in names))
    for row in ROWS:
        print(row.ljust(20) + "".join(_fmt(metrics[n].get(row)).rjust(width) for n in names))


def _charts(out: Path, metrics: dict[str, dict[str, Any]], results: dict[str, list[Any]]) -> list[str]:
    names = list(metrics)
    shown = QUALITY + LOWER_IS_BETTER
    fig, ax = plt.subplots(figsize=(11, 4.5))
    width = 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        values = [metrics[name].get(m) or 0.0 for m in shown]
        ax.bar([x + i * width for x in range(len(shown))], values, width, label=name)
    ax.set_xticks([x + width * (len(names) - 1) / 2 for x in range(len(shown))], shown, rotation=25, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_title("Quality per configuration (last two: lower is better)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "metrics.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4))
    data = [[r.timings_ms.get("total", 0.0) for r in results[n]] for n in names]
    ax.boxplot(data, tick_labels=names, showfliers=True)
    ax.set_ylabel("answer latency, ms")
    ax.set_title("Latency distribution per configuration")
    plt.setp(ax.get_xticklabels(), rotation=15, ha="right")
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=110)
    plt.close(fig)
    return ["metrics.png", "latency.png"]


def write_report(
    out: Path,
    scope: str,
    configs: list[Any],
    settings: Any,
    results: dict[str, list[Any]],
    metrics: dict[str, dict[str, Any]],
    kinds: dict[str, dict[str, dict[str, Any]]],
    misses: list[str],
) -> None:
    """report.json (everything, per item too), report.md (tables and charts) and the PNG charts."""
    out.mkdir(parents=True, exist_ok=True)
    charts = _charts(out, metrics, results)
    payload = {
        "scope": scope,
        "configs": [c.model_dump() for c in configs],
        "settings": json.loads(settings.model_dump_json()),
        "metrics": metrics,
        "by_kind": kinds,
        "threshold_misses": misses,
        "items": {name: [r.model_dump() for r in rs] for name, rs in results.items()},
    }
    (out / "report.json").write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    md = [f"# Eval report ({scope}, {len(next(iter(results.values()), []))} questions)", "", table(metrics), ""]
    md += [f"![{c}]({c})" for c in charts] + [""]
    md += ["## Threshold check", ""] + ([f"- MISSED: {m}" for m in misses] or ["- all thresholds met"]) + [""]
    for name, per_kind in kinds.items():
        md += [f"## {name}, by kind", "", table(per_kind), ""]
    (out / "report.md").write_text("\n".join(md), encoding="utf-8")


def read_items(report: Path) -> dict[str, list[ItemResult]]:
    """The per-item results, per configuration, of a corpus's report.json (``write_report``)."""
    items = json.loads(report.read_text(encoding="utf-8"))["items"]
    return {config: [ItemResult(**item) for item in results] for config, results in items.items()}


def write_summary(out: Path, scope: str, corpora: dict[str, dict[str, dict[str, Any]]], misses: list[str]) -> None:
    """report.md and report.json over every corpus: one column per corpus and configuration, side by side; each
    corpus's own report is in ``<out>/<corpus>/``."""
    out.mkdir(parents=True, exist_ok=True)
    columns = {f"{corpus}: {config}": m for corpus, metrics in corpora.items() for config, m in metrics.items()}
    payload = {"scope": scope, "corpora": corpora, "threshold_misses": misses}
    (out / "report.json").write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    md = [f"# Eval report ({scope}), {len(corpora)} corpora", "", table(columns), ""]
    md += [f"- [{corpus}]({corpus}/report.md): per kind, per item, charts" for corpus in corpora] + [""]
    md += ["## Threshold check", ""] + ([f"- MISSED: {m}" for m in misses] or ["- all thresholds met"]) + [""]
    (out / "report.md").write_text("\n".join(md), encoding="utf-8")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by ``fn()`` and its result."""
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


def say(message: str) -> None:
    """Progress line on stdout, flushed at once."""
    print(message, flush=True)


def md_table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def machine() -> str:
    """One line describing where the benchmark ran."""
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
