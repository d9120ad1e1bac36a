"""Hybrid retrieval: how the dense and keyword rankings are fused."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import bm25s
import pytest

from ingest.sync import ingest_default
from rag.retrieval.retrieve import asked_answer, defines, known_share, retrieve
from rag.service import open_store
from rag.settings import Settings
from rag.store.chroma import Store
from rag.store.embeddings import HashEmbeddings
from rag.store.keyword import KeywordIndex, tokens
from rag.types import Sentence

ANSWER = "A virtual environment holds each project's dependencies apart."
QUESTION = "Which packages does pip list?"  # every word in the documents, none in the answer
PARAPHRASE = "How can pip isolate libraries cleanly?"  # only "pip" in the documents


class Paraphrases(HashEmbeddings):
    """Bag-of-words vectors, except that the questions are understood as the answer they paraphrase: what a real
    embedding model does and keyword search cannot."""

    def embed_query(self, text: str) -> list[float]:
        return super().embed_query(ANSWER if text in (QUESTION, PARAPHRASE) else text)


def pip_store(tmp_path: Path) -> Store:
    folder = tmp_path / "docs"
    folder.mkdir()
    lines = ["Pip installs packages.", "Pip upgrades packages.", "Pip removes packages.", "Pip lists packages."]
    like_answer = "Each environment holds its own dependencies."  # second by the embeddings, whatever the order
    (folder / "pip.txt").write_text("\n\n".join([*lines, like_answer, ANSWER]), encoding="utf-8")
    settings = Settings(data_dir=folder, state_dir=tmp_path / "state")
    store = open_store(settings, Paraphrases())
    ingest_default(settings, store, progress=False)
    return store


def test_the_embeddings_best_sentence_is_kept_however_many_sentences_the_keywords_rank_above_it(tmp_path: Path):
    store = pip_store(tmp_path)
    keyword = [h.sentence.text for h in retrieve(store, QUESTION, 3, "keyword")]
    assert ANSWER not in keyword  # the keywords alone never find it
    hits = retrieve(store, QUESTION, 3, "hybrid", dense_weight=1.0, keyword_weight=3.0)
    assert {h.sentence.text for h in hits[:2]} <= set(keyword)  # the keyword ranking still leads
    assert hits[-1].sentence.text == ANSWER
    assert hits == sorted(hits, key=lambda h: h.rank, reverse=True)


def test_a_question_in_words_the_documents_do_not_use_is_ranked_by_the_embeddings(tmp_path: Path):
    store = pip_store(tmp_path)
    vocabulary = store.keywords().vocabulary
    assert known_share(PARAPHRASE, vocabulary) == 0.25 and known_share(QUESTION, vocabulary) == 1.0
    assert ANSWER not in {h.sentence.text for h in retrieve(store, PARAPHRASE, 2, "keyword")}
    # Keyword weight 3 counts for 0.75 when BM25 knows one word of four: BM25's first, found by "pip" alone, no
    # longer outranks the embeddings' first. Unscaled, it did (3/61 against 1/61).
    hits = retrieve(store, PARAPHRASE, 2, "hybrid", dense_weight=1.0, keyword_weight=3.0)
    assert hits[0].sentence.text == ANSWER


def test_the_sentence_defining_what_a_question_asks_about_leads_whatever_its_rank(tmp_path: Path):
    # Expat's reference: "What is Expat?" ranks the definition second by a hair, and diversity left it out.
    folder = tmp_path / "docs"
    folder.mkdir()
    lines = ["What pip is for is explained below.", "Pip installs packages.", "Pip is a tool for installing packages."]
    (folder / "pip.txt").write_text("\n\n".join(lines), encoding="utf-8")
    settings = Settings(data_dir=folder, state_dir=tmp_path / "state")
    store = open_store(settings, HashEmbeddings())
    ingest_default(settings, store, progress=False)
    hits = retrieve(store, "What is pip?", 3, "dense")
    assert hits[0].sentence.text == lines[0]  # the embeddings' first
    assert [h.sentence.text for h in hits if h.leads] == [lines[0], lines[2]]
    assert defines("Pip is a tool.", "What's pip?") and defines("The Pip tool is old.", "What is the Pip tool?")
    assert not defines("Pip installs packages.", "What is pip?") and not defines("Pip is a tool.", "How is pip used?")


def test_the_sentence_opening_the_section_whose_heading_asks_the_question_comes_first(tmp_path: Path):
    # The sed FAQ: every sentence under "5.1. Why don't my variables…?" is embedded and indexed with it, and "Thus,"
    # ranked above the answer that opens the section.
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "faq.md").write_text(
        "# FAQ\n\n## Why don't my variables get expanded in my sed script?\n\n"
        "Because your script uses single quotes.\n\nThus,\n\nSee the section on variables.\n\n"
        "## How do I print a line?\n\nUse the p command.\n",
        encoding="utf-8",
    )
    settings = Settings(data_dir=folder, state_dir=tmp_path / "state")
    store = open_store(settings, HashEmbeddings())
    ingest_default(settings, store, progress=False)
    asked = "Why don't my variables get expanded?"
    hits = retrieve(store, asked, 2, "hybrid")
    assert hits[0].sentence.text == "Because your script uses single quotes." and hits[0].leads
    assert len(hits) == 2
    # A heading holding few of the question's words asks another question, and so does one asking otherwise.
    assert asked_answer(asked, store.keywords()) == hits[0].sentence
    others = ("Why is my line not printed in my script?", "What do my variables get in my sed script?")
    for other in (*others, "Why don't my variables get expanded in my awk script?", "Why is it?"):
        assert asked_answer(other, store.keywords()) is None


def test_a_keyword_index_saved_with_other_terms_is_rebuilt_not_queried_with_mismatched_stems(tmp_path: Path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "talks.txt").write_text("The talks avoided escalation.\n\nTrade grew.", encoding="utf-8")
    settings = Settings(data_dir=folder, state_dir=tmp_path / "state")
    store = open_store(settings, HashEmbeddings())
    ingest_default(settings, store, progress=False)
    path = settings.keyword_path
    # An index saved by a version whose terms were unstemmed words: its BM25 arrays know "talks", not "talk".
    payload = json.loads(path.read_text(encoding="utf-8"))
    old = path.with_name(f"{path.stem}.old.bm25")
    index = bm25s.BM25(method="lucene")
    index.index([sorted(s["text"].lower().rstrip(".").split()) for s in payload["sentences"]], show_progress=False)
    index.save(str(old), show_progress=False)
    payload.update(bm25=old.name, terms="lower-cased words")
    path.write_text(json.dumps(payload), encoding="utf-8")

    loaded = KeywordIndex.load(path)
    assert loaded is not None and not loaded.current
    assert [s.text for s, _ in loaded.search("What did the talks avoid?", 2)] == ["The talks avoided escalation."]
    assert store.sync_keywords()  # the next sync saves it rebuilt, and then it is current
    assert KeywordIndex.load(path).current and not store.sync_keywords()


def test_building_the_keyword_index_logs_nothing_below_a_warning(caplog: pytest.LogCaptureFixture):
    # bm25s sets its own logger to DEBUG when imported, so every ingest printed "DEBUG bm25s: Building index…".
    with caplog.at_level(logging.DEBUG):
        KeywordIndex([Sentence(id="a", source="d.txt", text="Tern indexes documents.", start=0, end=23, index=0)])
    assert not [r for r in caplog.records if r.name.startswith("bm25s")]


def _keyword_index(texts: list[str]) -> KeywordIndex:
    """A keyword index over the texts, one sentence each, in order."""
    return KeywordIndex(
        [Sentence(id=f"s{i}", source="d.txt", text=t, start=i, end=i + 1, index=i) for i, t in enumerate(texts)]
    )


def test_a_keyword_search_for_a_package_name_finds_the_sentences_that_write_it_whole():
    texts = [
        "The python3 package provides the python3-supported-min virtual package.",
        "Python 3 packages provide python3 modules.",
        "The python-is-python3 package provides the python command.",
        "Each python3 package is built for Python 3.",
    ]
    index = _keyword_index(texts)
    assert index.search("What does python-is-python3 provide?", 1)[0][0].text == texts[2]
    assert "python-is-python3" in tokens(texts[2]) and "requests==2.6.0" not in tokens("pip install requests==2.6.0")


def test_a_keyword_search_tells_versions_and_other_words_of_letters_and_digits_apart():
    # libjpeg-turbo's README: "v9" was no term, so "Why not emulate the libjpeg v9 ABI?" ranked every short
    # sentence under "libjpeg v7 and v8 API/ABI Emulation" above the one answering it.
    texts = [
        "Support for libjpeg v8 features: arithmetic coding.",
        "Support for libjpeg v8 features: lossless cropping.",
        "Programs built for libjpeg v7 or v8 did not work with it.",
        "There is no reason for us to emulate the libjpeg v9 ABI.",
    ]
    index = _keyword_index(texts)
    assert index.search("Why doesn't it emulate the libjpeg v9 ABI?", 1)[0][0].text == texts[-1]
    assert {"v9", "ext4", "ipv6"} <= set(tokens("libjpeg v9 on ext4 over IPv6"))


def test_a_keyword_search_finds_a_letter_written_as_a_specifier_or_a_heading_in_its_case():
    # GNU time's manual lists its format specifiers under one-letter headings: "M" over "Maximum resident set
    # size…". "What does the %M specifier report?" found it by no keyword, since a letter is no word.
    def entry(i: int, text: str, heading: str) -> Sentence:
        return Sentence(
            id=f"s{i}", source="t.html", text=text, start=i, end=i + 1, index=i, section=f"Memory › {heading}"
        )

    index = KeywordIndex(
        [
            entry(0, "A resource specifier consists of a percent sign followed by another character.", "Format"),
            entry(1, "Maximum resident set size of the process, in Kilobytes.", "M"),
            entry(2, "Number of signals delivered to the process.", "k"),
            entry(3, "Average total memory use of the process, in Kilobytes.", "K"),
        ]
    )
    assert index.search("What does the %M specifier report?", 1)[0][0].id == "s1"
    assert index.search("What is the unit of %K?", 1)[0][0].id == "s3"  # not "k"
    assert not {"k", "m"} & set(tokens("x-ray, e-mail, %% and %kmax, python3 -m venv"))


def test_a_keyword_search_for_one_term_more_sentences_hold_than_it_returns_finds_nothing():
    # Over Ninja's manual, "What is Ninja?" ranked "Run ninja." and "+" (under a heading naming Ninja) first: BM25
    # can only rank the sentences holding one term by their length.
    texts = [*(f"Pier {n} takes grain from the northern barges." for n in range(6)), "Pier cranes lift containers."]
    index = _keyword_index(texts)
    assert index.search("What is a pier?", 5) == []  # seven hold it: which five is a matter of length
    assert len(index.search("What is a pier?", 7)) == 7  # all that hold it
    assert index.search("Which pier lifts containers?", 5)[0][0].text == texts[-1]  # two terms rank
