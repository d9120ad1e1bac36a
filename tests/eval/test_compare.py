"""Comparing eval reports: bootstrap intervals that tell a real change from a gold set's chance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.compare import aligned, changed, intervals, load, main, paired_intervals
from eval.metrics import ItemResult, score
from tests.eval.results import result


def run(hits: int, size: int = 20) -> list[ItemResult]:
    """``size`` answerable items, the first ``hits`` of them citing their gold sentence."""
    return [
        result(id=f"q{n}", answer=f"answer {n}" if n < hits else f"miss {n}", cited=[["g1"]] if n < hits else [["x"]])
        for n in range(size)
    ]


def test_identical_runs_change_nothing_and_differ_in_no_answer():
    pairs = aligned(run(10), run(10))
    assert paired_intervals(pairs, ["evidence_hit"], resamples=200)["evidence_hit"] == (0.0, 0.0)
    assert changed(pairs) == []


def test_a_gain_on_many_items_is_clear_of_zero_and_a_gain_on_one_is_not():
    before = run(10)
    many = paired_intervals(aligned(before, run(18)), ["evidence_hit"], resamples=500)["evidence_hit"]
    one = paired_intervals(aligned(before, run(11)), ["evidence_hit"], resamples=500)["evidence_hit"]
    assert many is not None and many[0] > 0
    assert one is not None and one[0] <= 0 < one[1]
    assert [b.id for _, b in changed(aligned(before, run(11)))] == ["q10"]


def test_a_refusal_reworded_is_no_changed_answer_and_a_refusal_answered_is():
    refused = result(refused=True, answer="not covered (confidence 0.21)", cited=[])
    reworded = result(refused=True, answer="not covered (confidence 0.29)", cited=[])
    assert changed([(refused, reworded)]) == []
    assert changed([(refused, result())]) == [(refused, result())]


def test_items_are_paired_by_id_whatever_their_order():
    before, after = run(10), list(reversed(run(10)))
    assert all(a.id == b.id for a, b in aligned(before, after))
    assert changed(aligned(before, after)) == []
    assert aligned(before, run(10, size=5)) == [(a, b) for a, b in zip(before[:5], run(10, size=5))]


def test_a_runs_interval_holds_its_value_and_is_none_where_the_metric_is_undefined():
    results = run(14)
    value = score(results)["evidence_hit"]
    bounds = intervals(results, ["evidence_hit", "refusal_accuracy"], resamples=300)
    low, high = bounds["evidence_hit"]
    assert low < value < high and 0 <= low and high <= 1
    assert bounds["refusal_accuracy"] is None  # no must-refuse item to score it on
    assert intervals(run(20), ["evidence_hit"], resamples=100)["evidence_hit"] == (1.0, 1.0)


def write(folder: Path, items: list[ItemResult]) -> None:
    folder.mkdir(parents=True)
    payload = {"items": {"default": [r.model_dump() for r in items]}}
    (folder / "report.json").write_text(json.dumps(payload), encoding="utf-8")


def test_a_run_folder_or_one_corpus_folder_loads_and_the_cli_lists_the_changed_answers(tmp_path: Path, capsys):
    write(tmp_path / "before" / "essay", run(10))
    write(tmp_path / "after" / "essay", run(11))
    (tmp_path / "after" / "report.json").write_text('{"corpora": {}}', encoding="utf-8")  # a run's summary
    assert list(load(tmp_path / "after")) == ["essay"]
    assert list(load(tmp_path / "after" / "essay")) == ["essay"]
    out = tmp_path / "compare.md"
    assert main([str(tmp_path / "before"), str(tmp_path / "after"), "--resamples", "200", "--out", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "| evidence_hit | 0.500 | 0.550 | +0.050 |" in shown
    assert "Answers changed: 1 (" in shown and "answer 10" in shown and "miss 10" in shown
    assert out.read_text(encoding="utf-8").strip() == shown.strip()


def test_a_folder_without_a_report_is_a_clear_error(tmp_path: Path, capsys):
    with pytest.raises(SystemExit):
        main([str(tmp_path)])
    assert "no eval report in" in capsys.readouterr().err
