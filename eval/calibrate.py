"""Calibrate on the gold set.

- ``python -m eval.calibrate weights``: the keyword weight of hybrid fusion, by MRR averaged over every eval corpus
  (retrieval only; seconds); it also reports the recall of the gold sentences among those marked for the model,
  which is what the model is shown.
- ``python -m eval.calibrate refusal [--report report.json --config NAME]``: the three refusal thresholds
  together: the best sentence's similarity (checked before the model is called), the similarity below which the
  model's "NOT IN DOCUMENT" is believed (above it the best sentences are quoted), and the model's probability that
  the documents state the answer (asked after its draft). One open run answers every gold question with all three
  off and records the signals; every combination is then scored on it by replaying the refusals it would add. The
  chosen one refuses at most 5% of the answerable questions (the product's target) and, within that, the most of
  those it should refuse; the report draws the trade-off curves.
- ``python -m eval.calibrate judge [--report DIR --config NAME]``: the threshold of the second judgement (whether
  the draft gives what was asked, asked when the first is unsure), on every eval corpus at once, everything else
  as the product runs. One open run per corpus (both judgements asked, the second never refusing) is replayed at
  each threshold; the chosen one misses the fewest refusals (averaged over the corpora) while every corpus stays
  within its committed false-refusal target (``thresholds.json``, full gold set).
- ``python -m eval.calibrate retrieved-judge [--report DIR --config NAME]``: the same for the judgement asked with
  the retrieved prompt (whether the retrieved sentences state the answer), the prompt forced on every corpus.
- ``python -m eval.calibrate decline-judge [--report DIR --config NAME]``: the threshold below which the first
  judgement confirms the model's "NOT IN DOCUMENT" over strong evidence. The gold sets hold few declines, so it is
  chosen from every answerable question's judgement: the highest at which at most 1% of them fall below it.
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

from eval.gold import MUST_REFUSE, GoldItem, gold_ids, load_gold  # noqa: E402
from eval.metrics import ItemResult, score  # noqa: E402
from eval.report import read_items  # noqa: E402
from ingest.sync import ingest_default  # noqa: E402
from rag.answer.judge import Judgement  # noqa: E402
from rag.retrieval.retrieve import diversify, retrieval_query, retrieve  # noqa: E402
from rag.service import open_store  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.store.chroma import Store  # noqa: E402

HERE = Path(__file__).parent
SIMILARITY = [round(0.02 * i, 2) for i in range(0, 26)]
JUDGE = [round(0.05 * i, 2) for i in range(0, 17)]
KEYWORD_WEIGHTS = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0]
MRR_NOISE = 0.005
# Refusing a question the documents answer is the failure users notice first; the product's target allows 5% of them,
# and within that the thresholds refuse as much as they can.
FALSE_REFUSAL_BUDGET = 0.05
OPEN = {"refusal_threshold": -1.0, "quote_threshold": -1.0, "judge_threshold": 0.0}
OPEN_JUDGE = {"draft_judge_threshold": 0.0}
OPEN_RETRIEVED = {"prompt": "retrieved", "retrieved_judge_threshold": 0.0}
OPEN_DECLINE = {"decline_judge_threshold": 0.0}
# A decline the judgement confirms is refused whatever the evidence says, so the judgement must almost never fall
# that low for a question the documents answer.
DECLINE_BUDGET = 0.01


def weight_sweep(settings: Settings, store: Store, items: list[GoldItem]) -> list[dict[str, float]]:
    """For each keyword weight of hybrid fusion: hit@1, recall@4 and MRR of the gold sentences (answerable items),
    and their recall among the ``top_k`` sentences marked for the model (``marked``; chosen by MMR from the ranking)."""
    items = [i for i in items if i.answerable]
    gold = gold_ids(items, store.sentences())
    points = []
    k = max(settings.candidates, settings.top_k)  # as the pipeline retrieves, so that every mark can be chosen
    for weight in KEYWORD_WEIGHTS:
        hit, recall, mrr, marked = [], [], [], []
        for item in items:
            query = retrieval_query(item.question, item.history)
            hits = retrieve(store, query, k, "hybrid", settings.dense_weight, weight)
            ranked = [h.sentence.id for h in hits]
            wanted = gold[item.id]
            hit.append(float(bool(ranked) and ranked[0] in wanted))
            recall.append(len(set(ranked[:4]) & wanted) / len(wanted))
            mrr.append(next((1 / (n + 1) for n, sid in enumerate(ranked) if sid in wanted), 0.0))
            chosen = diversify(hits, store.vectors(ranked), settings.top_k, settings.mmr_lambda)
            marked.append(len({h.sentence.id for h in chosen} & wanted) / len(wanted))
        points.append({"keyword_weight": weight, "hit@1": fmean(hit), "recall@4": fmean(recall), "mrr": fmean(mrr),
                       "marked": fmean(marked)})  # fmt: skip
    return points


def weight_means(sweeps: dict[str, list[dict[str, float]]]) -> list[dict[str, float]]:
    """Per keyword weight, the MRR averaged over the corpora's sweeps, and each corpus's own. Each corpus counts
    once, however many items it has, so that the largest gold set does not choose for every kind of document."""
    points = []
    for n, weight in enumerate(KEYWORD_WEIGHTS):
        each = {name: sweep[n]["mrr"] for name, sweep in sweeps.items()}
        points.append(
            {"keyword_weight": weight, "mrr": fmean(each.values()), **{f"{k}_mrr": v for k, v in each.items()}}
        )
    return points


def tied_weights(points: list[dict[str, float]]) -> list[dict[str, float]]:
    """The points (``weight_means``) whose mean MRR is within ``MRR_NOISE`` of the best: smaller differences are
    noise on a hundred items, and retrieval alone cannot choose among them."""
    top = max(p["mrr"] for p in points)
    return [p for p in points if p["mrr"] >= top - MRR_NOISE]


def choose_weight(points: list[dict[str, float]]) -> dict[str, float]:
    """The lowest of the tied keyword weights (``tied_weights``): it stays closest to plain fusion."""
    return min(tied_weights(points), key=lambda p: p["keyword_weight"])


def replay(results: list[ItemResult], similarity: float, quote: float, judge: float) -> list[ItemResult]:
    """The open run's results as they would be with these thresholds, each adding the refusals it would make."""
    out = []
    for r in results:
        best = r.best_score if r.best_score is not None else 1.0
        below = (
            best < similarity
            or (r.declined and best < quote)
            or (r.answerable is not None and not r.declined and r.answerable < judge)
        )
        out.append(refused(r) if below else r)
    return out


def refused(r: ItemResult) -> ItemResult:
    """The result as a refusal (unchanged when it already was one)."""
    if r.refused:
        return r
    return r.model_copy(update={"refused": True, "cited": [], "cited_texts": [], "sentence_citations": []})


def refusal_grid(results: list[ItemResult]) -> list[dict[str, float]]:
    """For every combination of thresholds: false and missed refusal rates, evidence hit and citation precision.

    False-premise items are left out of the missed rate: the answer may instead correct them with a citation.
    """
    answerable = [r.id for r in results if r.kind not in MUST_REFUSE]
    must = [r.id for r in results if r.kind in MUST_REFUSE and r.kind != "false-premise"]
    points = []
    for similarity in SIMILARITY:
        for quote in [q for q in SIMILARITY if q >= similarity]:
            for judge in JUDGE:
                replayed = {r.id: r for r in replay(results, similarity, quote, judge)}
                metrics = score(list(replayed.values()))
                points.append(
                    {
                        "similarity": similarity,
                        "quote": quote,
                        "judge": judge,
                        "false_refusal": fmean(replayed[i].refused for i in answerable),
                        "missed_refusal": fmean(not replayed[i].refused for i in must),
                        "evidence_hit": metrics["evidence_hit"] or 0.0,
                        "citation_precision": metrics["citation_precision"] or 0.0,
                    }
                )
    return points


def choose(points: list[dict[str, float]], budget: float = FALSE_REFUSAL_BUDGET) -> dict[str, float]:
    """The combination with the fewest missed refusals among those refusing at most ``budget`` of the answerable
    questions (ties: more evidence, then lower thresholds); with none within budget, the fewest errors of both
    kinds."""
    within = [p for p in points if p["false_refusal"] <= budget + 1e-9]
    if within:
        return min(
            within, key=lambda p: (p["missed_refusal"], -p["evidence_hit"], p["judge"], p["quote"], p["similarity"])
        )
    return min(
        points, key=lambda p: (p["false_refusal"] + p["missed_refusal"], p["judge"], p["quote"], p["similarity"])
    )


def open_run(
    settings: Settings, out: Path, questions: Path | None = None, overrides: dict | None = None, name: str = "open-run"
) -> list[ItemResult]:
    """Every gold question through the default configuration with the refusal checks in ``overrides`` (default:
    all three) off; written to ``out/<name>.json``."""
    from eval.runner import Config, Evaluator

    store = open_store(settings)
    ingest_default(settings, store, progress=False)
    items = load_gold(questions) if questions else load_gold()
    results = Evaluator(settings, store, items).run(Config(name="open", settings=overrides or OPEN))
    (out / f"{name}.json").write_text(json.dumps([r.model_dump() for r in results], indent=1))
    return results


def judged(results: list[ItemResult], threshold: float, retrieved: bool = False) -> list[ItemResult]:
    """An open run's results as they would be with this threshold for the draft judgement (or, ``retrieved``, for
    the retrieved prompt's judgement), refused by the product's own rule (``Judgement.refusal``)."""
    settings = Settings(draft_judge_threshold=None if retrieved else threshold)
    first = threshold if retrieved else None  # the document prompt's first judgement already acted in the run
    return [refused(r) if Judgement(r.answerable, r.on_point, first).refusal(settings) else r for r in results]


def judge_curve(runs: dict[str, list[ItemResult]], retrieved: bool = False) -> list[dict[str, float]]:
    """For each judgement threshold: every corpus's false and missed refusal rates and evidence hit, and the mean
    missed rate (each corpus counts the same, whatever its size)."""
    points = []
    for threshold in JUDGE:
        point: dict[str, float] = {"judge": threshold}
        for name, results in runs.items():
            replayed = judged(results, threshold, retrieved)
            point[f"{name}_false_refusal"] = fmean(r.refused for r in replayed if r.kind not in MUST_REFUSE)
            point[f"{name}_missed_refusal"] = fmean(
                not r.refused for r in replayed if r.kind in MUST_REFUSE and r.kind != "false-premise"
            )
            point[f"{name}_evidence_hit"] = score(replayed)["evidence_hit"] or 0.0
        point["missed_refusal"] = fmean(point[f"{name}_missed_refusal"] for name in runs)
        points.append(point)
    return points


def choose_judge(points: list[dict[str, float]], budgets: dict[str, float]) -> dict[str, float]:
    """The threshold missing the fewest refusals (mean over the corpora) while every corpus refuses at most its
    budget of answerable questions (ties: the lower threshold); with none within budget, the lowest."""
    within = [p for p in points if all(p[f"{name}_false_refusal"] <= b + 1e-9 for name, b in budgets.items())]
    return min(within, key=lambda p: (p["missed_refusal"], p["judge"])) if within else points[0]


def false_refusal_budgets(names: list[str]) -> dict[str, float]:
    """Each corpus's committed false-refusal target (the full gold set's bound for its default), else 5%."""
    full = json.loads((HERE / "thresholds.json").read_text())["full"]
    budgets = {}
    for name in names:
        bounds = next(iter(full.get(name, {}).values()), {})
        budgets[name] = bounds.get("false_refusal", {}).get("max", FALSE_REFUSAL_BUDGET)
    return budgets


def corpus_runs(
    settings: Settings, out: Path, report: Path | None, config: str | None, opened: dict
) -> dict[str, list[ItemResult]]:
    """Every eval corpus's results: an open run with the settings ``opened``, or those of ``report`` (an earlier
    calibration's folder, or an eval report folder with one report.json per corpus, at its ``config``)."""
    from eval.corpora import CORPORA

    runs = {}
    for corpus in CORPORA:
        if report is None:
            runs[corpus.name] = open_run(corpus.settings(settings), out, corpus.questions, opened, corpus.name)
        elif (report / f"{corpus.name}.json").is_file():  # an earlier calibration's open run
            runs[corpus.name] = [ItemResult(**r) for r in json.loads((report / f"{corpus.name}.json").read_text())]
        else:
            items = read_items(report / corpus.name / "report.json")
            runs[corpus.name] = items[config or next(iter(items))]
    return runs


def decline_curve(runs: dict[str, list[ItemResult]]) -> list[dict[str, float]]:
    """For each threshold of the judgement that confirms a decline: the share of answerable questions judged below
    it, each corpus's and all together (what it would refuse were the model to decline them all; the model
    declines few, so the judgement must almost never fall that low for a question the documents answer); the share
    of questions to refuse judged below it; and the declines quoted in the run that it refuses."""
    points = []
    for threshold in JUDGE:
        point: dict[str, float] = {"judge": threshold}
        pooled: list[bool] = []
        for name, results in runs.items():
            judged_ = [r for r in results if r.answerable is not None and r.kind != "false-premise"]
            below = [r.answerable < threshold for r in judged_ if r.kind not in MUST_REFUSE]
            pooled += below
            point[f"{name}_answerable_below"] = fmean(below)
            must = [r.answerable < threshold for r in judged_ if r.kind in MUST_REFUSE]
            point[f"{name}_must_refuse_below"] = fmean(must)
            quoted = [r for r in judged_ if r.declined and not r.refused]
            point[f"{name}_quoted_declines"] = len(quoted)
            point[f"{name}_answerable_declines_refused"] = sum(
                r.answerable < threshold for r in quoted if r.kind not in MUST_REFUSE
            )
            point[f"{name}_must_refuse_declines_refused"] = sum(
                r.answerable < threshold for r in quoted if r.kind in MUST_REFUSE
            )
        point["answerable_below"] = fmean(pooled)
        points.append(point)
    return points


def choose_decline(points: list[dict[str, float]], budget: float = DECLINE_BUDGET) -> dict[str, float]:
    """The highest threshold at which at most ``budget`` of the answerable questions are judged below it."""
    return max((p for p in points if p["answerable_below"] <= budget + 1e-9), key=lambda p: p["judge"])


def calibrate_decline(settings: Settings, out: Path, report: Path | None, config: str | None) -> dict[str, float]:
    runs = corpus_runs(settings, out, report, config, OPEN_DECLINE)
    points = decline_curve(runs)
    best = choose_decline(points)
    (out / "decline-judge.json").write_text(json.dumps({"chosen": best, "curve": points}, indent=1))
    for p in points:
        print(f"judgement {p['judge']:.2f}  answerable judged below {p['answerable_below']:.3f}  " + "  ".join(
            f"{n}: answerable {p[f'{n}_answerable_below']:.3f} must-refuse {p[f'{n}_must_refuse_below']:.3f} "
            f"quoted declines refused {p[f'{n}_answerable_declines_refused']}+"
            f"{p[f'{n}_must_refuse_declines_refused']}/{p[f'{n}_quoted_declines']}" for n in runs))  # fmt: skip
    print(f"chosen: ALLIANCE_QA_DECLINE_JUDGE_THRESHOLD={best['judge']} (answerable questions judged below it: "
          f"{best['answerable_below']:.3f}, budget {DECLINE_BUDGET}) -> {out}")  # fmt: skip
    return best


def calibrate_judge(
    settings: Settings, out: Path, report: Path | None, config: str | None, retrieved: bool = False
) -> dict[str, float]:
    opened, setting = (OPEN_RETRIEVED, "RETRIEVED_JUDGE") if retrieved else (OPEN_JUDGE, "DRAFT_JUDGE")
    runs = corpus_runs(settings, out, report, config, opened)
    points = judge_curve(runs, retrieved)
    budgets = false_refusal_budgets(list(runs))
    best = choose_judge(points, budgets)
    # What the eval measures at the chosen threshold: the open run's answers, with the refusals it adds.
    chosen = {name: score(judged(results, best["judge"], retrieved)) for name, results in runs.items()}
    summary = {"chosen": best, "budgets": budgets, "metrics_at_chosen": chosen, "curve": points}
    stem = "retrieved-judge" if retrieved else "judge"
    (out / f"{stem}.json").write_text(json.dumps(summary, indent=1))
    fig, ax = plt.subplots(figsize=(7.5, 5))
    for name in runs:
        ax.plot([p[f"{name}_false_refusal"] for p in points], [p[f"{name}_missed_refusal"] for p in points],
                marker=".", label=f"{name} (false refusals at most {budgets[name]})")  # fmt: skip
        for p in points[::2]:
            ax.annotate(f"{p['judge']}", (p[f"{name}_false_refusal"], p[f"{name}_missed_refusal"]), fontsize=7)
    ax.set_xlabel("false refusals (answerable questions refused)")
    ax.set_ylabel("missed refusals (unanswerable or injected questions answered)")
    what = "Retrieved prompt's judgement" if retrieved else "Draft judgement"
    ax.set_title(f"{what} threshold (labels); chosen {best['judge']}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / f"{stem}.png", dpi=110)
    plt.close(fig)
    for p in points:
        print(f"judgement {p['judge']:.2f}  " + "  ".join(
            f"{name}: false {p[f'{name}_false_refusal']:.3f} missed {p[f'{name}_missed_refusal']:.3f} "
            f"evidence {p[f'{name}_evidence_hit']:.3f}" for name in runs))  # fmt: skip
    for name, metrics in chosen.items():
        print(f"{name} at {best['judge']}: " + ", ".join(f"{k} {v}" for k, v in metrics.items() if v is not None))
    print(f"chosen: ALLIANCE_QA_{setting}_THRESHOLD={best['judge']} (mean missed refusals "
          f"{best['missed_refusal']:.3f}; false-refusal budgets {budgets}) -> {out}")  # fmt: skip
    return best


def plot(out: Path, points: list[dict[str, float]], best: dict[str, float]) -> None:
    """False against missed refusals as the similarity threshold rises, one line per judge threshold (the quote
    threshold held at its chosen value)."""
    fig, ax = plt.subplots(figsize=(7.5, 5))
    held = [p for p in points if p["quote"] == max(best["quote"], p["similarity"])]
    for judge in sorted({p["judge"] for p in held})[::2]:
        line = [p for p in held if p["judge"] == judge]
        ax.plot([p["false_refusal"] for p in line], [p["missed_refusal"] for p in line], marker=".", label=f"{judge}")
    ax.scatter([best["false_refusal"]], [best["missed_refusal"]], s=120, facecolors="none", edgecolors="black")
    label = f"chosen: similarity {best['similarity']}, quote {best['quote']}, judge {best['judge']}"
    ax.annotate(label, (best["false_refusal"], best["missed_refusal"]), textcoords="offset points", xytext=(10, 10))
    ax.set_xlabel("false refusals (answerable questions refused)")
    ax.set_ylabel("missed refusals (unanswerable or injected questions answered)")
    ax.set_title("Refusal trade-off on the gold set (lines: judge threshold; along a line, similarity rises)")
    ax.legend(title="judge", fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(out / "refusal.png", dpi=110)
    plt.close(fig)


def calibrate_refusal(settings: Settings, out: Path, report: Path | None, config: str | None) -> dict[str, float]:
    if report is None:
        results = open_run(settings, out)
    else:
        items = read_items(report)
        results = items[config or next(iter(items))]
    points = refusal_grid(results)
    best = choose(points)
    (out / "refusal.json").write_text(json.dumps({"chosen": best, "grid": points}, indent=1))
    plot(out, points, best)
    for p in points:
        varied = [p[k] != best[k] for k in ("similarity", "quote", "judge")]
        if sum(varied) <= 1:  # the curves through the chosen point, one threshold varied at a time
            print(f"similarity {p['similarity']:.2f} quote {p['quote']:.2f} judge {p['judge']:.2f}  "
                  f"false {p['false_refusal']:.3f}  missed {p['missed_refusal']:.3f}  "
                  f"evidence {p['evidence_hit']:.3f}  precision {p['citation_precision']:.3f}")  # fmt: skip
    print(f"chosen: ALLIANCE_QA_REFUSAL_THRESHOLD={best['similarity']} ALLIANCE_QA_QUOTE_THRESHOLD={best['quote']} "
          f"ALLIANCE_QA_JUDGE_THRESHOLD={best['judge']} (false refusals {best['false_refusal']:.3f}, "
          f"missed {best['missed_refusal']:.3f}) -> {out}")  # fmt: skip
    return best


def calibrate_weights(settings: Settings, out: Path) -> dict[str, float]:
    from eval.corpora import CORPORA

    sweeps = {}
    for corpus in CORPORA:
        corpus_settings = corpus.settings(settings)
        store = open_store(corpus_settings)
        ingest_default(corpus_settings, store, progress=False)
        sweeps[corpus.name] = weight_sweep(corpus_settings, store, load_gold(corpus.questions))
    points = weight_means(sweeps)
    chosen = choose_weight(points)
    for n, weight in enumerate(KEYWORD_WEIGHTS):
        print(f"keyword weight {weight:.1f}  " + "  ".join(
            f"{name}: hit@1 {sweep[n]['hit@1']:.3f} recall@4 {sweep[n]['recall@4']:.3f} MRR {sweep[n]['mrr']:.3f} "
            f"marked {sweep[n]['marked']:.3f}" for name, sweep in sweeps.items()))  # fmt: skip
    tied = [p["keyword_weight"] for p in tied_weights(points)]
    print(f"chosen keyword weight {chosen['keyword_weight']} (mean MRR {chosen['mrr']:.3f}; "
          f"ALLIANCE_QA_KEYWORD_WEIGHT). Within {MRR_NOISE} of the best mean, where retrieval alone cannot tell "
          f"them apart: {', '.join(map(str, tied))}; compare those end to end with alliance-qa eval")  # fmt: skip
    (out / "weights.json").write_text(json.dumps({"chosen": chosen, "sweeps": sweeps}, indent=1))
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["weights", "refusal", "judge", "retrieved-judge", "decline-judge"])
    parser.add_argument(
        "--report",
        type=Path,
        help="refusal: score an open run's report.json instead of running; judge: an earlier judge calibration's "
        "folder, or an eval report folder (one report.json per corpus) of a configuration that never refuses on "
        "the second judgement",
    )
    parser.add_argument("--config", help="the configuration of that report to use (default: its first)")
    parser.add_argument("--out", type=Path, default=HERE / "reports")
    args = parser.parse_args(argv)
    settings = Settings()
    out = args.out / f"calibration-{datetime.now():%Y%m%d-%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    if args.what == "weights":
        calibrate_weights(settings, out)
    elif args.what == "decline-judge":
        calibrate_decline(settings, out, args.report, args.config)
    elif args.what in ("judge", "retrieved-judge"):
        calibrate_judge(settings, out, args.report, args.config, retrieved=args.what == "retrieved-judge")
    else:
        calibrate_refusal(settings, out, args.report, args.config)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
