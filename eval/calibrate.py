"""Calibrate on the gold set: the keyword weight of hybrid fusion (by MRR), then the refusal threshold (false
refusals against missed refusals, per threshold).

Run: ``python -m eval.calibrate [--out DIR]``. Uses retrieval only (no model), so it takes seconds.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from statistics import fmean

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from eval.gold import MUST_REFUSE, gold_ids, load_gold  # noqa: E402
from rag.answer import retrieval_query  # noqa: E402
from rag.answerability import refusal_reason  # noqa: E402
from rag.retrieve import retrieve  # noqa: E402
from rag.service import ingest_default, open_store  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.store import Store  # noqa: E402

HERE = Path(__file__).parent
THRESHOLDS = [round(0.02 * i, 2) for i in range(0, 31)]
KEYWORD_WEIGHTS = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0]
MRR_NOISE = 0.005


def weight_sweep(settings: Settings, store: Store) -> list[dict[str, float]]:
    """For each keyword weight of hybrid fusion: hit@1, recall@4 and MRR of the gold sentences (answerable items)."""
    items = [i for i in load_gold() if i.answerable]
    gold = gold_ids(items, store.sentences())
    points = []
    for weight in KEYWORD_WEIGHTS:
        hit, recall, mrr = [], [], []
        for item in items:
            ranked = [
                h.sentence.id
                for h in retrieve(
                    store,
                    retrieval_query(item.question, item.history),
                    settings.candidates,
                    "hybrid",
                    settings.dense_weight,
                    weight,
                )  # fmt: skip
            ]
            wanted = gold[item.id]
            hit.append(float(bool(ranked) and ranked[0] in wanted))
            recall.append(len(set(ranked[:4]) & wanted) / len(wanted))
            mrr.append(next((1 / (n + 1) for n, sid in enumerate(ranked) if sid in wanted), 0.0))
        points.append({"keyword_weight": weight, "hit@1": fmean(hit), "recall@4": fmean(recall), "mrr": fmean(mrr)})
    return points


def curve(settings: Settings, store: Store) -> list[dict[str, float]]:
    """For each threshold: the false-refusal rate on answerable items and the missed-refusal rate on the others.

    False-premise items are left out of the missed rate: the answer may instead correct them with a citation.
    """
    index = store.keywords()
    items = load_gold()
    runs = []
    for item in items:
        hits = retrieve(
            store, retrieval_query(item.question, item.history), settings.candidates, settings.retrieval,
            settings.dense_weight, settings.keyword_weight,
        )  # fmt: skip
        runs.append((item, hits))
    points = []
    for threshold in THRESHOLDS:
        refused = {item.id: refusal_reason(item.question, hits, index, threshold) is not None for item, hits in runs}
        answerable = [i for i, _ in runs if i.kind not in MUST_REFUSE]
        must = [i for i, _ in runs if i.kind in MUST_REFUSE and i.kind != "false-premise"]
        points.append(
            {
                "threshold": threshold,
                "false_refusal": sum(refused[i.id] for i in answerable) / len(answerable),
                "missed_refusal": sum(not refused[i.id] for i in must) / len(must),
            }
        )
    return points


def choose(points: list[dict[str, float]]) -> dict[str, float]:
    """The threshold with the fewest errors of both kinds (each is a bug), the lowest such on a tie."""
    return min(points, key=lambda p: (p["false_refusal"] + p["missed_refusal"], p["threshold"]))


def main(argv: list[str] | None = None) -> int:
    """Write calibration.json and calibration.png and print the chosen threshold."""
    parser = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "reports")
    args = parser.parse_args(argv)
    settings = Settings()
    store = open_store(settings)  # one store and one embedding model for both sweeps
    ingest_default(settings, store, progress=False)
    weights = weight_sweep(settings, store)
    # The lowest weight whose MRR is within MRR_NOISE of the best: smaller differences are noise on ~100 items, and
    # the lower weight stays closer to plain fusion.
    top = max(p["mrr"] for p in weights)
    weight = min((p for p in weights if p["mrr"] >= top - MRR_NOISE), key=lambda p: p["keyword_weight"])
    for p in weights:
        print(f"keyword weight {p['keyword_weight']:.1f}  hit@1 {p['hit@1']:.3f}  recall@4 {p['recall@4']:.3f}  "
              f"MRR {p['mrr']:.3f}")  # fmt: skip
    print(f"chosen keyword weight {weight['keyword_weight']} (ALLIANCE_QA_KEYWORD_WEIGHT)")
    points = curve(settings.model_copy(update={"keyword_weight": weight["keyword_weight"]}), store)
    best = choose(points)
    out = args.out / f"calibration-{datetime.now():%Y%m%d-%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    report = {"chosen": best, "curve": points, "keyword_weight": {"chosen": weight, "sweep": weights}}
    (out / "calibration.json").write_text(json.dumps(report, indent=1))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot([p["threshold"] for p in points], [p["false_refusal"] for p in points], label="false refusals")
    ax.plot([p["threshold"] for p in points], [p["missed_refusal"] for p in points], label="missed refusals")
    ax.axvline(best["threshold"], color="grey", linestyle="--", label=f"chosen {best['threshold']}")
    ax.set_xlabel("refusal threshold (best sentence's cosine similarity)")
    ax.set_ylabel("rate")
    ax.set_title("Refusal trade-off on the gold set")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "calibration.png", dpi=110)
    for p in points:
        print(
            f"{p['threshold']:.2f}  false refusals {p['false_refusal']:.3f}  missed refusals {p['missed_refusal']:.3f}"
        )
    print(f"chosen threshold {best['threshold']} -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
