"""Refusal levels derived from the collection: off-topic probes against probes written from its own sentences."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.answer import Pipeline
from rag.answer.levels import FALLBACK_QUOTE, FALLBACK_SIMILARITY, OFF_TOPIC_PROBES, derive_levels, on_topic_probe
from rag.settings import Settings
from rag.store.chroma import Store
from tests.samples import hashed_store

KITCHEN = (
    "Sourdough bread rises slowly because wild yeast ferments the dough overnight. "
    "Boil an egg for six minutes when you want a soft yolk and a firm white. "
    "Cold brew coffee steeps coarse grounds in cold water for twelve hours. "
    "A classic margarita mixes tequila, lime juice and orange liqueur over ice. "
    "Tomatoes on a balcony need a deep pot, full sun and regular watering. "
    "Knead the dough until it is smooth and springs back when pressed."
)


def store_of(tmp_path: Path, text: str | None) -> Store:
    folder = tmp_path / "corpus"
    folder.mkdir()
    if text is not None:
        (folder / "notes.txt").write_text(text, encoding="utf-8")
    settings = Settings(data_dir=folder, state_dir=tmp_path / "state", collection="levels")
    return hashed_store(settings)


def test_an_on_topic_probe_asks_about_a_sentences_longest_words_in_order():
    probe = on_topic_probe("Cold brew coffee steeps coarse grounds in cold water for twelve hours.")
    assert probe == "What about coffee steeps coarse grounds?"  # ties go to the earlier word


def test_levels_sit_above_most_off_topic_probes_and_below_the_collections_own(essay_store: Store):
    levels = derive_levels(essay_store)
    off, on = np.array(levels.off_topic), np.array(levels.on_topic)
    assert len(off) == len(OFF_TOPIC_PROBES) and len(on) >= 20
    assert levels.similarity == round(min(np.quantile(off, 0.9), np.quantile(on, 0.02)), 4)
    assert levels.similarity <= levels.quote <= np.quantile(on, 0.02) + 1e-4


def test_a_collection_about_what_the_probes_ask_keeps_its_own_questions_answerable(tmp_path):
    levels = derive_levels(store_of(tmp_path, KITCHEN))
    ceiling = float(np.quantile(np.array(levels.on_topic), 0.02))
    assert levels.similarity <= ceiling + 1e-4 and levels.quote <= ceiling + 1e-4
    assert max(levels.off_topic) > ceiling  # the "off-topic" probes are this collection's topic


def test_a_collection_too_small_to_probe_gets_the_fallback_levels(tmp_path):
    levels = derive_levels(store_of(tmp_path, "Short note."))
    assert (levels.similarity, levels.quote, levels.off_topic) == (FALLBACK_SIMILARITY, FALLBACK_QUOTE, ())


def test_levels_set_in_the_settings_win_and_derived_ones_follow_the_collection(tmp_path, scripted):
    store = store_of(tmp_path, KITCHEN)
    pipeline = Pipeline(store, scripted, Settings(data_dir=tmp_path, state_dir=tmp_path / "state"))
    assert pipeline.levels().similarity == derive_levels(store).similarity
    pipeline.settings = pipeline.settings.model_copy(update={"refusal_threshold": 0.5, "quote_threshold": 0.6})
    assert (pipeline.levels().similarity, pipeline.levels().quote) == (0.5, 0.6)


def test_a_question_one_sentence_holds_the_words_of_reaches_the_model_below_the_similarity_level(tmp_path, scripted):
    # OpenSSH's README.tun: "Which operating system do the instructions use?" scores a cosine of 0.12 against the
    # sentence that answers it, below the off-topic probes, though that sentence holds all its words.
    text = KITCHEN + " The following brief instructions use a configuration specific to the OpenBSD operating system."
    store = store_of(tmp_path, text)
    settings = Settings(data_dir=tmp_path, state_dir=tmp_path / "state", refusal_threshold=0.99)
    pipeline = Pipeline(store, scripted.enqueue("The instructions use OpenBSD. [1]"), settings)
    assert not pipeline.answer("Which operating system do the instructions use?").refused
    assert len(scripted.calls) == 1
    refused = pipeline.answer("Who painted the Mona Lisa?")
    assert refused.refused and "nothing in the documents is close" in refused.answer
    assert len(scripted.calls) == 1  # refused without asking the model
