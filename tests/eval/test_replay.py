"""Recorded drafts replayed through the real pipeline: the same answers without the model, and misses counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.replay import Recording, main, replaying
from rag.answer import Pipeline
from rag.answer.judge import Judgement
from rag.llm.fake import ScriptedChatModel
from rag.settings import Settings
from rag.store.chroma import Store

DOMAINS = (
    "Cybersecurity, space exploration, and AI are new domains where Japan and the US are collaborating closely, "
    "preparing for future challenges that transcend traditional military concerns."
)
QUESTION = "Which new domains do Japan and the US collaborate in?"


def test_a_recorded_draft_is_replayed_without_the_model_and_gives_the_same_answer(
    essay_store: Store, essay_settings: Settings, tmp_path: Path
):
    recording = Recording()
    with replaying(recording):
        recorded = Pipeline(essay_store, ScriptedChatModel().enqueue(f"{DOMAINS} [2]"), essay_settings).answer(QUESTION)
    assert recording.asked == 1 and len(recording.replies) == 1 and recorded.mode == "generated"
    recording.save(tmp_path / "drafts.json")

    silent = ScriptedChatModel()  # nothing queued: asking it would fail, and the answer would quote the sources
    loaded = Recording.load(tmp_path / "drafts.json")
    with replaying(loaded, ask_model=False):
        replayed = Pipeline(essay_store, silent, essay_settings).answer(QUESTION)
    assert replayed.answer == recorded.answer and replayed.mode == "generated" and replayed.notice is None
    assert (loaded.replayed, loaded.asked, loaded.missed) == (1, 0, 0) and silent.calls == []


def test_a_prompt_the_recording_lacks_is_an_empty_draft_or_the_models_reply(
    essay_store: Store, essay_settings: Settings
):
    recording = Recording()
    with replaying(recording, ask_model=False):
        quoted = Pipeline(essay_store, ScriptedChatModel(), essay_settings).answer(QUESTION)
    assert recording.missed == 1 and quoted.mode == "extractive" and quoted.notice is None
    model = ScriptedChatModel().enqueue(f"{DOMAINS} [2]")
    with replaying(recording):
        asked = Pipeline(essay_store, model, essay_settings).answer(QUESTION)
    assert recording.asked == 1 and asked.mode == "generated" and len(model.calls) == 1
    assert Pipeline._generate.__qualname__ == "Pipeline._generate"  # the real method is back after the block


def test_a_file_that_is_not_a_recording_is_a_clear_error(tmp_path: Path):
    broken = tmp_path / "drafts.json"
    broken.write_text('{"not": "a list of drafts"}', encoding="utf-8")
    with pytest.raises(ValueError, match="not a recording of drafts"):
        Recording.load(broken)
    assert Recording.load(tmp_path / "absent.json").replies == {}


def test_replaying_only_what_was_recorded_needs_a_recording(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    for argv in (["record", "--only-recorded", str(tmp_path / "d.json")], ["replay", "--only-recorded", "absent.json"]):
        with pytest.raises(SystemExit):
            main(argv)
        assert "there is none at" in capsys.readouterr().err


def test_a_decline_recorded_before_declines_were_judged_is_asked_again_for_its_judgement(
    essay_store: Store, essay_settings: Settings
):
    settings = essay_settings.model_copy(update={"quote_threshold": 0.0, "decline_judge_threshold": 0.15})
    recording = Recording()
    with replaying(recording):
        Pipeline(essay_store, ScriptedChatModel().enqueue("NOT IN DOCUMENT"), settings).answer(QUESTION)
    [(key, (reply, judged))] = recording.replies.items()
    assert reply.declined and judged.answerable == 1.0
    recording.replies[key] = (reply, Judgement())  # as recorded before a decline was judged

    with replaying(recording, ask_model=False):
        quoted = Pipeline(essay_store, ScriptedChatModel(), settings).answer(QUESTION)
    assert quoted.mode == "extractive" and quoted.answerable is None and recording.replayed == 1
    model = ScriptedChatModel().enqueue("NOT IN DOCUMENT").judge(0.05)
    with replaying(recording):
        refused = Pipeline(essay_store, model, settings).answer(QUESTION)
    assert refused.refused and refused.answerable == 0.05 and recording.asked == 2 and len(model.calls) == 1
    assert recording.replies[key][1].answerable == 0.05
