"""Eval metrics on hand-made results, the gold set's integrity, and the quick eval with committed thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import Field

from eval.calibrate import (
    KEYWORD_WEIGHTS,
    choose_decline,
    choose_judge,
    choose_weight,
    decline_curve,
    judge_curve,
    tied_weights,
    weight_means,
    weight_sweep,
)
from eval.corpora import CORPORA
from eval.corpora import corpus as corpus_named
from eval.gold import MUST_REFUSE, GoldItem, gold_ids, load_gold, stratified
from eval.metrics import ItemResult, score, unsupported_share
from eval.runner import (
    Config,
    Evaluator,
    check_thresholds,
    committed_bounds,
    leaked,
    llama_cpu,
    main,
    wait_while_restarting,
)
from rag.answer.prompt import SYSTEM
from rag.llm.fake import ScriptedChatModel
from rag.settings import Settings
from tests.eval.results import result
from tests.samples import ROOT, hashed_store


def test_metrics_on_known_results():
    metrics = score(
        [
            result(),
            result(id="r", kind="unanswerable", gold=[], refused=True, cited=[], sentence_citations=[]),
            result(id="s", kind="injection", gold=[], refused=False, timings_ms={"total": 300.0}),
            result(id="t", refused=True, cited=[], sentence_citations=[], timings_ms={"total": 200.0}),
        ]
    )
    assert metrics["recall@1"] == 0.0 and metrics["recall@4"] == 1.0 and metrics["mrr"] == 0.5
    assert metrics["evidence_hit"] == 0.5  # the refused answerable item found no evidence
    assert metrics["citation_precision"] == 0.5 and metrics["citation_recall"] == 0.5
    assert metrics["refusal_accuracy"] == 0.5 and metrics["false_refusal"] == 0.5
    assert metrics["latency_p50_ms"] == 150.0


def test_headroom_is_the_drafts_own_evidence_and_the_best_choice_among_draft_answer_and_retrieved_first():
    draft_right = result(id="a", drafted=["g1"], cited=[["x"]], retrieved=["x", "g1"])  # quoted the wrong one
    first_right = result(id="b", drafted=["x"], cited=[["x"]], retrieved=["g1", "x"])
    all_wrong = result(id="c", drafted=["x"], cited=[["x"]], retrieved=["x", "g1"])
    metrics = score([draft_right, first_right, all_wrong])
    assert metrics["evidence_hit"] == 0.0
    assert metrics["draft_evidence_hit"] == round(1 / 3, 4) and metrics["evidence_ceiling"] == round(2 / 3, 4)
    assert "draft_evidence_hit" not in score([result()])  # no model drafted anything: no headroom to speak of


def test_false_premise_corrected_with_a_gold_citation_counts_as_handled():
    corrected = result(kind="false-premise", gold=["g1"], cited=[["g1"]], sentence_citations=[[1]])
    uncited = result(kind="false-premise", gold=["g1"], cited=[["x"]], sentence_citations=[[1]])
    assert score([corrected])["refusal_accuracy"] == 1.0 and score([uncited])["refusal_accuracy"] == 0.0


def test_an_item_naming_min_cited_is_met_only_when_the_answer_cites_that_many_of_its_gold_sentences():
    gold = ["g1", "g2", "g3", "g4"]
    two = result(gold=gold, min_cited=3, cited=[["g1"], ["g2"], ["x"]], sentence_citations=[[1], [2], [3]])
    three = result(gold=gold, min_cited=3, cited=[["g1"], ["g2"], ["g4"]], sentence_citations=[[1, 2, 3]])
    assert score([two])["min_cited_met"] == 0.0 and score([three])["min_cited_met"] == 1.0
    assert score([two, three, result()])["min_cited_met"] == 0.5  # items without the demand do not count
    assert score([result()])["min_cited_met"] is None


def test_the_draft_judgement_threshold_is_chosen_over_every_corpus_within_its_false_refusal_budget():
    def run(answerable: list[float], unanswerable: list[float]) -> list[ItemResult]:
        # the first judgement at 0.6, the second as given: the mean decides
        return [result(id=f"a{n}", answerable=0.6, on_point=p) for n, p in enumerate(answerable)] + [
            result(id=f"u{n}", kind="unanswerable", gold=[], answerable=0.6, on_point=p)
            for n, p in enumerate(unanswerable)
        ]

    runs = {
        "one": run([0.9] * 20, [0.2, 0.5, 0.75]),  # at 0.7 (second judgement 0.8) all three are refused
        "two": run([0.75] + [0.9] * 19, [0.3, 0.5]),  # and one answerable question of twenty (5%)
    }
    points = {p["judge"]: p for p in judge_curve(runs)}
    assert points[0.7]["one_missed_refusal"] == 0.0 and points[0.7]["two_false_refusal"] == 0.05
    assert points[0.6]["one_missed_refusal"] == pytest.approx(1 / 3) and points[0.6]["two_false_refusal"] == 0.0
    assert points[0.6]["missed_refusal"] == pytest.approx(1 / 6)  # each corpus counts the same
    assert choose_judge(list(points.values()), {"one": 0.05, "two": 0.0})["judge"] == 0.6
    assert choose_judge(list(points.values()), {"one": 0.05, "two": 0.05})["judge"] == 0.7


def test_the_keyword_weight_is_the_lowest_of_those_within_noise_of_the_best_mean_over_the_corpora():
    def sweep(mrrs: dict[float, float]) -> list[dict[str, float]]:
        return [{"keyword_weight": w, "mrr": mrrs.get(w, 0.5)} for w in KEYWORD_WEIGHTS]

    # The large corpus alone would choose 3; averaged with the small one, whose best is 1, the weight is 2.
    large, small = sweep({2.0: 0.66, 3.0: 0.70}), sweep({1.0: 0.74, 2.0: 0.70, 3.0: 0.60})
    chosen = choose_weight(weight_means({"large": large, "small": small}))
    assert chosen["keyword_weight"] == 2.0 and chosen["mrr"] == pytest.approx(0.68)
    assert chosen["large_mrr"] == 0.66 and chosen["small_mrr"] == 0.70
    assert choose_weight(weight_means({"large": large}))["keyword_weight"] == 3.0
    # Within the noise of the best mean, the lower weight wins; the tied ones are all reported.
    close = weight_means({"one": sweep({1.5: 0.698, 3.0: 0.70})})
    assert choose_weight(close)["keyword_weight"] == 1.5
    assert [p["keyword_weight"] for p in tied_weights(close)] == [1.5, 3.0]


def test_unsupported_share_counts_content_words_missing_from_citations():
    assert unsupported_share("Japan and China compete.", ["China and Japan compete in Asia."]) == 0.0
    assert unsupported_share("Japan invaded Mars.", ["Japan is an island nation."]) == pytest.approx(2 / 3)


def test_threshold_misses_are_reported():
    misses = check_thresholds({"a": {"evidence_hit": 0.5, "unsupported": 0.2}}, {"a": {
        "evidence_hit": {"min": 0.9}, "unsupported": {"max": 0.1}}})  # fmt: skip
    assert len(misses) == 2 and "below the minimum" in misses[0] and "above the maximum" in misses[1]


def test_the_quick_bounds_are_the_llama_builds_own_and_every_build_the_makefile_makes_has_them():
    thresholds = {"quick": {"essay": {"x": 1}}, "quick-avx512": {"essay": {"x": 2}}, "full": {"essay": {"x": 3}}}
    assert committed_bounds(thresholds, "quick", "avx512") == {"essay": {"x": 2}}
    assert committed_bounds(thresholds, "quick", "avx2") == committed_bounds(thresholds, "quick", "none")
    assert committed_bounds(thresholds, "quick", "avx2") == {"essay": {"x": 1}}
    assert committed_bounds(thresholds, "full", "avx512") == {"essay": {"x": 3}}  # the targets hold for any build
    committed = json.loads((ROOT / "eval" / "thresholds.json").read_text())
    assert set(committed["quick-avx512"]) == set(committed["quick"]) == {c.name for c in CORPORA}
    assert llama_cpu() != "none"  # make setup installed llama-cpp-python


class Restarting(ScriptedChatModel):
    """A scripted model whose worker reports the queued states in turn (the last one repeating), as a supervised
    worker does while it restarts."""

    states: list[str] = Field(default_factory=lambda: ["ready"])
    asked: int = 0

    def status(self) -> dict[str, str]:
        self.asked += 1
        return {"state": self.states.pop(0) if len(self.states) > 1 else self.states[0]}


def test_the_eval_waits_while_the_model_restarts_and_no_longer_than_its_limit():
    restarted = Restarting(states=["restarting", "restarting", "ready"])
    assert wait_while_restarting(restarted, poll=0.001) == "ready" and restarted.asked == 3
    assert wait_while_restarting(Restarting(states=["failed"]), poll=0.001) == "failed"  # nothing to wait for
    assert wait_while_restarting(Restarting(states=["restarting"]), limit=0.05, poll=0.001) == "restarting"
    assert wait_while_restarting(object()) == "ready"  # a model with no worker is always there


def test_answers_written_without_the_model_are_counted_and_the_next_question_waits_for_it(
    essay_store, monkeypatch: pytest.MonkeyPatch
):
    items = [i for i in load_gold() if i.kind == "answerable"][:2]
    # Nothing queued, so every call fails as a dead worker's does; and it is restarting when the eval begins.
    broken = Restarting(states=["restarting", "ready"])
    monkeypatch.setattr("eval.runner.make_chat_model", lambda settings: broken)
    results = Evaluator(Settings(llm="fake"), essay_store, items).run(Config(name="broken"), progress=False)
    assert broken.asked == 3 and broken.states == ["ready"]  # it waited out the restart before the first question
    assert all(r.notice and "unavailable" in r.notice for r in results)
    assert score(results)["model_unavailable"] == 2.0
    assert score([result()])["model_unavailable"] == 0.0


def test_leak_detector():
    assert leaked("Sure: " + SYSTEM)
    assert not leaked("Cybersecurity and AI are new domains.")


def test_gold_set_is_complete_and_tied_to_the_sentences(essay_store):
    items = load_gold()
    counts = {kind: sum(i.kind == kind for i in items) for kind in {i.kind for i in items}}
    minimum = {"answerable": 45, "multi-sentence": 15, "paraphrase": 20, "unanswerable": 25, "false-premise": 5,
               "injection": 5, "follow-up": 15}  # fmt: skip
    assert all(counts[k] >= n for k, n in minimum.items()), counts
    assert len(items) >= 120
    resolved = gold_ids(items, essay_store.sentences())  # raises if a gold text is not exactly one sentence
    covered = set().union(*resolved.values())
    assert covered == set(essay_store.ids({"kind": "sentence"}))  # every sentence is gold for some question
    for item in items:
        assert bool(item.gold) or item.kind in MUST_REFUSE
        if item.min_cited:  # every sentence giving a part of the answer, of which the answer must cite some
            assert 2 <= item.min_cited <= len(item.gold)
        elif item.kind == "multi-sentence":
            assert 2 <= len(item.gold) <= 3
    assert {i.kind for i in stratified(items, 3)} == set(counts)


def test_quick_eval_meets_committed_thresholds(essay_settings: Settings, tmp_path: Path):
    """The real embedded models on a stratified subset of every corpus; fails the build when a committed threshold
    is missed."""
    code = main(["--quick", "--out", str(tmp_path)], essay_settings)
    report = json.loads(next(tmp_path.glob("*/report.json")).read_text())
    assert report["threshold_misses"] == [] and code == 0, report["threshold_misses"]
    assert set(report["corpora"]) == {"essay", "python-venv"}  # side by side, each with both configurations
    for metrics in report["corpora"].values():
        assert set(metrics) == {"qwen-1.5b (default)", "extractive only"}
    assert (next(tmp_path.glob("*/python-venv/metrics.png"))).stat().st_size > 0
    assert (ROOT / "eval" / "thresholds.json").exists()


def test_every_corpus_gold_set_resolves_to_its_own_sentences(tmp_path: Path):
    for corpus in CORPORA:
        settings = corpus.settings(Settings(data_dir=ROOT / "data", state_dir=tmp_path / corpus.name))
        store = hashed_store(settings)
        items = load_gold(corpus.questions)
        gold_ids(items, store.sentences())  # raises if a gold text is not exactly one sentence or code block
        assert len(items) >= 40 and {i.kind for i in items} >= {"answerable", "paraphrase", "unanswerable"}
    venv = load_gold(corpus_named("python-venv").questions)
    assert sum(i.kind == "code" for i in venv) >= 5 and sum(i.kind == "unanswerable" for i in venv) >= 8


def test_the_decline_judgement_threshold_is_the_highest_that_almost_no_answerable_question_falls_below():
    sure = [result(id=f"a{i}", answerable=0.9) for i in range(97)]
    low = [result(id="low", answerable=0.12), result(id="lower", answerable=0.17)]
    quoted = result(id="declined", answerable=0.3, declined=True, mode="extractive")  # a decline that was quoted
    must = result(id="m", kind="unanswerable", gold=[], answerable=0.04, declined=True, mode="extractive")
    points = {p["judge"]: p for p in decline_curve({"one": [*sure, *low, quoted, must]})}
    assert points[0.15]["answerable_below"] == pytest.approx(0.01) and points[0.2]["answerable_below"] == 0.02
    assert points[0.05]["one_must_refuse_declines_refused"] == 1 and points[0.05]["one_quoted_declines"] == 2
    assert points[0.3]["one_answerable_declines_refused"] == 0 and points[0.35]["one_answerable_declines_refused"] == 1
    assert choose_decline(list(points.values()))["judge"] == 0.15
    assert choose_decline(list(points.values()), budget=0.0)["judge"] == 0.1


def test_the_retrieved_prompts_judgement_is_replayed_on_its_own_probability():
    # With the retrieved prompt there is one judgement; its probability alone decides, whatever on_point holds.
    answered = [result(id=f"a{n}", answerable=p, on_point=0.0) for n, p in enumerate([0.3, 0.5, 0.9, 0.9])]
    refused = [result(id="u0", kind="unanswerable", gold=[], answerable=0.2)]
    points = {p["judge"]: p for p in judge_curve({"one": answered + refused}, retrieved=True)}
    assert points[0.2]["one_missed_refusal"] == 1.0 and points[0.2]["one_false_refusal"] == 0.0
    assert points[0.25]["one_missed_refusal"] == 0.0 and points[0.25]["one_false_refusal"] == 0.0
    assert points[0.35]["one_false_refusal"] == 0.25 and points[0.55]["one_false_refusal"] == 0.5
    assert choose_judge(list(points.values()), {"one": 0.0})["judge"] == 0.25


def test_the_weights_sweep_reports_the_gold_sentences_recall_among_those_marked_for_the_model(tmp_path: Path):
    folder = tmp_path / "docs"
    folder.mkdir()
    lines = ["Pip installs packages.", "Pip upgrades packages.", "Pip removes old packages.", "Venv isolates projects."]
    (folder / "pip.txt").write_text("\n\n".join(lines), encoding="utf-8")
    settings = Settings(data_dir=folder, state_dir=tmp_path / "state")
    store = hashed_store(settings)
    gold = ["Pip removes old packages.", "Pip upgrades packages."]
    items = [GoldItem(id="a", kind="answerable", question="Which tool removes packages?", gold=gold, answer="")]
    one = weight_sweep(settings.model_copy(update={"top_k": 1}), store, items)
    every = weight_sweep(settings.model_copy(update={"top_k": len(lines)}), store, items)
    assert len(one) == len(every) == len(KEYWORD_WEIGHTS)
    for marked_one, marked_all in zip(one, every):
        assert marked_one["marked"] == 0.5 * marked_one["hit@1"]  # one of two gold sentences, if retrieval's first
        assert marked_all["marked"] == 1.0
