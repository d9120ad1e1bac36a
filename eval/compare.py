"""Whether a change is real: eval reports compared item by item, with bootstrap intervals.

``python -m eval.compare REPORT`` gives each quality metric of a report with its 95% interval: the spread of the
metric over the gold items resampled with replacement. ``python -m eval.compare BEFORE AFTER`` gives each metric
before and after, the difference with a paired interval (the same resampled items scored both ways), and the
answers that changed. A gold set of a few dozen items moves by whole items: a difference whose interval holds 0 is
one the gold set cannot tell from chance.

A report is a run's folder (``eval/reports/<time>/``, one subfolder per corpus) or one corpus's folder.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from eval.metrics import ItemResult, cites_gold, score
from eval.report import read_items

METRICS = ["mrr", "evidence_hit", "draft_evidence_hit", "evidence_ceiling", "citation_precision",
           "multi_citation_recall", "refusal_accuracy", "false_refusal", "unsupported"]  # fmt: skip
RESAMPLES = 1000
LEVEL = 0.95

Report = dict[str, dict[str, list[ItemResult]]]  # corpus -> configuration -> its results, in gold order


def load(folder: Path) -> Report:
    """The per-item results of a report folder: a run's (one subfolder per corpus) or one corpus's."""
    own = folder / "report.json"
    if own.is_file() and "items" in json.loads(own.read_text(encoding="utf-8")):
        return {folder.name: read_items(own)}
    corpora = {sub.name: read_items(sub / "report.json") for sub in sorted(folder.iterdir())
               if (sub / "report.json").is_file()}  # fmt: skip
    if not corpora:
        raise FileNotFoundError(f"no eval report in {folder}: expected report.json with items, or corpus subfolders")
    return corpora


def _bounds(values: list[float]) -> tuple[float, float] | None:
    if not values:
        return None
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return round(float(low), 4), round(float(high), 4)


def _resampled(
    size: int, metrics: Sequence[str], resamples: int, seed: int, measure: Callable[[np.ndarray], dict]
) -> dict[str, tuple[float, float] | None]:
    """Each metric's interval over ``resamples`` draws of ``size`` item positions with replacement, ``measure``
    scoring every metric of a draw at once; a draw where a metric is undefined (no item of the kind it needs) is
    left out of that metric's interval."""
    rng = np.random.default_rng(seed)
    values: dict[str, list[float]] = {m: [] for m in metrics}
    for _ in range(resamples):
        scored = measure(rng.integers(0, size, size))
        for m in metrics:
            if scored.get(m) is not None:
                values[m].append(scored[m])
    return {m: _bounds(v) for m, v in values.items()}


def intervals(
    results: Sequence[ItemResult], metrics: Sequence[str] = METRICS, resamples: int = RESAMPLES, seed: int = 0
) -> dict[str, tuple[float, float] | None]:
    """Each metric's bootstrap interval over these results (None where it is undefined for them)."""
    return _resampled(len(results), metrics, resamples, seed, lambda drawn: score([results[i] for i in drawn]))


def aligned(before: Sequence[ItemResult], after: Sequence[ItemResult]) -> list[tuple[ItemResult, ItemResult]]:
    """The items both runs answered, paired by gold id."""
    earlier = {r.id: r for r in before}
    return [(earlier[r.id], r) for r in after if r.id in earlier]


def paired_intervals(
    pairs: Sequence[tuple[ItemResult, ItemResult]],
    metrics: Sequence[str] = METRICS,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> dict[str, tuple[float, float] | None]:
    """Each metric's bootstrap interval of its change (after minus before), the same items drawn for both runs."""

    def change(drawn: np.ndarray) -> dict[str, float | None]:
        old = score([pairs[i][0] for i in drawn])
        new = score([pairs[i][1] for i in drawn])
        return {m: None if old.get(m) is None or new.get(m) is None else new[m] - old[m] for m in metrics}

    return _resampled(len(pairs), metrics, resamples, seed, change)


def changed(pairs: Sequence[tuple[ItemResult, ItemResult]]) -> list[tuple[ItemResult, ItemResult]]:
    """The pairs whose answer differs, a refusal that is still one (its reason reworded) aside."""
    return [(old, new) for old, new in pairs if old.answer != new.answer and not (old.refused and new.refused)]


def _value(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _span(bounds: tuple[float, float] | None, signed: bool = False) -> str:
    if bounds is None:
        return "–"
    form = "{:+.3f}" if signed else "{:.3f}"
    return f"[{form.format(bounds[0])}, {form.format(bounds[1])}]"


def _outcome(r: ItemResult) -> str:
    return r.mode + ("" if not r.gold else ", cites gold" if cites_gold(r) else ", no gold cited")


def summary(results: Sequence[ItemResult], resamples: int = RESAMPLES) -> list[str]:
    """Markdown lines: each metric of one run with its interval."""
    metrics = score(list(results))
    bounds = intervals(results, resamples=resamples)
    lines = ["| metric | value | 95% interval |", "| --- | ---: | ---: |"]
    lines += [f"| {m} | {_value(metrics[m])} | {_span(bounds[m])} |" for m in METRICS if metrics.get(m) is not None]
    return lines


def comparison(before: Sequence[ItemResult], after: Sequence[ItemResult], resamples: int = RESAMPLES) -> list[str]:
    """Markdown lines: each metric before and after, the change with its paired interval, and the changed
    answers."""
    pairs = aligned(before, after)
    old = score([p[0] for p in pairs])
    new = score([p[1] for p in pairs])
    lines = [f"{len(pairs)} items in both runs.", "", "| metric | before | after | change | 95% interval |",
             "| --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
    bounds = paired_intervals(pairs, resamples=resamples)
    for m in METRICS:
        if old.get(m) is not None and new.get(m) is not None:
            shift = f"{new[m] - old[m]:+.3f}"
            lines.append(f"| {m} | {_value(old[m])} | {_value(new[m])} | {shift} | {_span(bounds[m], signed=True)} |")
    moved = changed(pairs)
    lines += ["", f"Answers changed: {len(moved)} (refusals that are still refusals are not counted)."]
    for a, b in moved:
        lines += [
            f"- {b.id} ({b.kind}) {b.question}",
            f"  - before ({_outcome(a)}): {a.answer[:200]}",
            f"  - after ({_outcome(b)}): {b.answer[:200]}",
        ]
    return lines


def report_lines(reports: Sequence[Report], config: str | None, resamples: int) -> list[str]:
    """The whole comparison (two reports) or summary (one), per corpus and configuration they share."""
    lines: list[str] = []
    first = reports[0]
    for corpus in first:
        if any(corpus not in r for r in reports[1:]):
            continue
        for name in first[corpus]:
            if (config and name != config) or any(name not in r[corpus] for r in reports[1:]):
                continue
            lines += [f"## {corpus}: {name}", ""]
            runs = [r[corpus][name] for r in reports]
            lines += summary(runs[0], resamples) if len(runs) == 1 else comparison(runs[0], runs[1], resamples)
            lines.append("")
    if not lines:
        raise ValueError("the reports share no corpus and configuration to compare")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.compare", description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", type=Path, help="one report folder, or BEFORE and AFTER")
    parser.add_argument("--config", help="only this configuration (default: every one the reports share)")
    parser.add_argument("--resamples", type=int, default=RESAMPLES, help="bootstrap draws per interval")
    parser.add_argument("--out", type=Path, help="also write the Markdown here")
    args = parser.parse_args(argv)
    if len(args.reports) > 2:
        parser.error("give one report, or two to compare")
    if args.resamples < 100:
        parser.error("--resamples needs at least 100 draws for a 95% interval")
    try:
        lines = report_lines([load(folder) for folder in args.reports], args.config, args.resamples)
    except (OSError, ValueError, KeyError) as exc:
        parser.error(str(exc))
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
