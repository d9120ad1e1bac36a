"""Nothing is lost when ingest dies: SIGKILL it anywhere, run it again, and the store is as if it never died.

Each case runs ``tests/ingest/crash_ingest.py`` in a real subprocess over a real Chroma store, kills it at one point (or
one after another), re-runs ingest normally in this process and compares the store with a clean ingest of the same
final corpus in another state folder: the same record ids of each kind, a keyword index holding exactly the store's
sentences, vectors and kept texts for every file. The last test answers questions from a store that another thread
keeps re-ingesting, and checks that nothing fails and the store ends clean.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.loaders import load
from ingest.sync import ingest
from rag.answer import Pipeline
from rag.settings import Settings
from rag.store.chroma import CHUNK, FILE, SENTENCE, Store, stored_text
from rag.store.keyword import KeywordIndex
from rag.store.texts import kept_text
from rag.text.sentences import split_sentences
from tests.ingest.crash_ingest import open_state
from tests.servers import ROOT

WORDS = (
    "alliance treaty defense security cyber space trade deterrence bases budget summit ministers forces navy "
    "coast guard research energy supply chains islands exercises missiles satellites"
).split()


def prose(tag: str, sentences: int, first: int = 0) -> str:
    """Distinct sentences in paragraphs of five: enough of them to need several write batches."""
    parts = []
    for i in range(first, first + sentences):
        parts.append(f"{tag} point {i} concerns {WORDS[i % len(WORDS)]} and {WORDS[(i * 7 + 3) % len(WORDS)]}.")
        parts.append("\n\n" if i % 5 == 4 else " ")
    return "".join(parts).strip() + "\n"


HTML = "<html><head><title>x</title></head><body>{}</body></html>"
SHARED = {
    "b.md": "# Budget\n\n" + prose("Beta", 30),
    "c.html": HTML.format("".join(f"<p>Gamma point {i} is about {WORDS[i % len(WORDS)]}.</p>" for i in range(20))),
}
CORPORA = {
    # A first version: a.txt alone takes three write batches.
    "A": {"a.txt": prose("Alpha", 150), "gone.txt": prose("Gone", 40), **SHARED},
    # The next: a.txt edited in its second half, gone.txt removed, new.txt added.
    "B": {"a.txt": prose("Alpha", 90) + prose("Edited alpha", 70, first=90), "new.txt": prose("Novel", 60), **SHARED},
}


def write_corpus(folder: Path, name: str) -> Path:
    """Make ``folder`` hold exactly corpus ``name``."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for file, text in CORPORA[name].items():
        (folder / file).write_text(text, encoding="utf-8")
    return folder


def harness(state: Path, corpus: Path, point: str | None = None, nth: int = 0) -> subprocess.CompletedProcess:
    """Run one ingest in a fresh ``.venv`` Python process, killed at ``point`` if one is given."""
    command = [sys.executable, "-m", "tests.ingest.crash_ingest", str(state), str(corpus)]
    if point:
        command += [point, str(nth)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


Snapshot = dict[str, list[str]]


def snapshot(store: Store) -> Snapshot:
    """Every record id, by kind; the counts are the lengths."""
    got = {kind: sorted(store.ids({"kind": kind})) for kind in (SENTENCE, CHUNK, FILE)}
    assert sorted(store.ids()) == sorted(i for ids in got.values() for i in ids), "records without a known kind"
    return got


def assert_consistent(store: Store, texts: Path, corpus: Path) -> None:
    """The keyword index, the kept texts and the vectors all agree with the store's records."""
    sentence_ids = set(store.ids({"kind": SENTENCE}))
    saved = KeywordIndex.load(store.keyword_path)
    assert saved is not None, "the keyword index cannot be read"
    assert set(saved.by_id) == sentence_ids
    assert set(store.keywords().by_id) == sentence_ids

    files = store.files()
    assert len(store.ids({"kind": FILE})) == len(files), "a source has two markers"
    assert {p.stem for p in texts.glob("*.txt")} == set(files.values()), "kept texts are missing or stale"
    for source, sha in files.items():
        text = kept_text(texts, sha)
        assert text == load(corpus / source).text
        sentences = store.sentences(source)
        assert [s.index for s in sentences] == list(range(len(sentences)))
        assert all(text[s.start : s.end] == s.text for s in sentences)
        # The vector index answers, not only the metadata: every sentence finds itself, or a twin of its vector.
        for sentence in sentences:
            best = store.search(store.embeddings.embed_query(stored_text(sentence)), k=1)
            assert best and best[0].score > 0.999, f"{sentence.text!r} is not in the vector index"

    everything = store.ids()
    assert store.vectors(everything).keys() == set(everything), "records without a vector"


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Snapshot]:
    """Each corpus ingested once, without interruption, into its own state folder."""
    snapshots = {}
    for name in CORPORA:
        root = tmp_path_factory.mktemp(f"clean-{name}")
        store, texts = open_state(root / "state")
        corpus = write_corpus(root / "corpus", name)
        ingest([corpus], store, texts, progress=False)
        assert_consistent(store, texts, corpus)
        snapshots[name] = snapshot(store)
    assert snapshots["A"] != snapshots["B"]
    return snapshots


@pytest.fixture(scope="module")
def ingested_a(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A state folder holding a complete ingest of corpus A, written by a process that exited normally."""
    root = tmp_path_factory.mktemp("ingested-a")
    done = harness(root / "state", write_corpus(root / "corpus", "A"))
    assert done.returncode == 0, done.stderr
    return root / "state"


@dataclass(frozen=True)
class Case:
    """Start from an empty store or from corpus A; ingest ``corpus`` killed at each of ``kills`` in turn; then
    ingest ``final`` normally."""

    start: str | None
    corpus: str
    kills: tuple[tuple[str, int], ...]
    final: str

    def __str__(self) -> str:
        kills = "+".join(f"{p}{n}" for p, n in self.kills)
        return f"{self.start or 'empty'}-to-{self.corpus}-{kills}-then-{self.final}"


CASES = [
    # First ingest of A: the files go a.txt (three batches), b.md, c.html, gone.txt.
    Case(None, "A", (("add", 1),), "A"),
    Case(None, "A", (("add", 3),), "A"),
    Case(None, "A", (("before-marker", 2),), "A"),
    Case(None, "A", (("after-marker", 1),), "A"),
    Case(None, "A", (("keep-text", 2),), "A"),
    Case(None, "A", (("keywords", 1),), "A"),
    Case(None, "A", (("timer", 100),), "A"),
    # Re-ingest A -> B: a.txt changed and new.txt added are written in that order, then gone.txt is deleted.
    Case("A", "B", (("add", 1),), "B"),
    Case("A", "B", (("before-marker", 1),), "B"),
    Case("A", "B", (("after-marker", 1),), "B"),
    Case("A", "B", (("delete-partly", 1),), "B"),  # a.txt's old version, half deleted
    Case("A", "B", (("before-marker", 2),), "B"),  # new.txt written but for its marker
    Case("A", "B", (("vanished", 1),), "B"),
    Case("A", "B", (("delete-partly", 2),), "B"),  # gone.txt half deleted
    Case("A", "B", (("prune", 1),), "B"),
    Case("A", "B", (("keywords", 1),), "B"),
    Case("A", "B", (("timer", 60),), "B"),
    # Killed again while repairing the first kill.
    Case("A", "B", (("after-marker", 1), ("keywords", 1)), "B"),
    # The corpus changes back before the repair: what the killed run half wrote (new.txt, a.txt's new version)
    # must go, although new.txt never got a marker.
    Case("A", "B", (("before-marker", 2),), "A"),
    # gone.txt comes back after its delete was cut short: it must not pass for unchanged with half its records.
    Case("A", "B", (("delete-partly", 2),), "A"),
    Case(None, "A", (("add", 4),), "B"),
]


Killed = tuple[Path, Path, list[str]]
"""A case's state and corpus folders after its kills, and a line for each kill that did not happen as planned."""


@pytest.fixture(scope="module")
def killed(
    request: pytest.FixtureRequest, ingested_a: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[Case, Future[Killed]]]:
    """The killed runs of every selected case, started at once and run two at a time: each case has its own
    processes and store, and a test checks its case as soon as that is ready."""

    def run(case: Case) -> Killed:
        root = tmp_path_factory.mktemp("case")
        state = root / "state"
        if case.start == "A":
            shutil.copytree(ingested_a, state)
        corpus = write_corpus(root / "corpus", case.corpus)
        failures = []
        for point, nth in case.kills:
            done = harness(state, corpus, point, nth)
            if done.returncode != -signal.SIGKILL:
                failures.append(f"{point} {nth}: exit status {done.returncode}\n{done.stdout}{done.stderr}")
        return state, corpus, failures

    calls = [getattr(item, "callspec", None) for item in request.session.items if item.module is request.module]
    selected = [call.params["case"] for call in calls if call is not None and "case" in call.params]
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {case: pool.submit(run, case) for case in selected}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_killed_ingest_is_repaired_by_the_next(case: Case, clean, killed):
    state, corpus, failures = killed[case].result()
    assert not failures, f"the planned kill point was not reached: {failures}"

    store, texts = open_state(state)
    ingest([write_corpus(corpus, case.final)], store, texts, progress=False)
    assert snapshot(store) == clean[case.final]
    assert_consistent(store, texts, corpus)
    again = ingest([corpus], store, texts, progress=False)
    assert (again.added, again.removed) == (0, 0), "the repaired store is not seen as up to date"


# --- ingest while answering ---------------------------------------------------------------------------------------


def rolling_corpus(round_: int) -> dict[str, str]:
    """The corpus at one round: a.txt edited every round, b.md stable, one of three c-files at a time."""
    return {
        "a.txt": prose(f"Alpha round {round_}", 40, first=round_),
        "b.md": SHARED["b.md"],
        f"c{round_ % 3}.txt": prose(f"Cycle {round_ % 3}", 25),
    }


QUESTIONS = [
    "Which point concerns alliance and treaty?",
    "What does Beta point 3 concern?",
    "Which Cycle point covers navy?",
    "What is the population of Tokyo?",
]


def test_answering_while_a_changing_corpus_is_reingested_never_fails_and_ends_clean(tmp_path):
    """One thread re-ingests a changing corpus round after round while three answer questions from the same store.

    No answer may fail; every citation must name a sentence that was in some round's corpus; and the store ends
    exactly as a clean ingest of the last round's corpus.
    """
    rounds = 10
    store, texts = open_state(tmp_path / "state")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    settings = Settings(state_dir=tmp_path / "state", llm="none", refusal_threshold=0.2)
    pipeline = Pipeline(store, None, settings)
    ever: set[str] = set()  # every sentence any round's corpus held
    errors: list[BaseException] = []
    refused: list[bool] = []  # one entry per answer
    done = threading.Event()

    def write_round(round_: int) -> None:
        files = rolling_corpus(round_)
        for old in corpus.iterdir():
            if old.name not in files:
                old.unlink()
        for name, text in files.items():
            (corpus / name).write_text(text, encoding="utf-8")
            ever.update(text[s.start : s.end] for s in split_sentences(text))

    def reingest() -> None:
        try:
            for round_ in range(1, rounds + 1):
                write_round(round_)
                ingest([corpus], store, texts, progress=False)
        except BaseException as exc:  # any failure at all is reported by the test below
            errors.append(exc)
        finally:
            done.set()

    def answer(offset: int) -> None:
        asked = offset
        try:
            while not done.is_set() or asked < offset + len(QUESTIONS):
                reply = pipeline.answer(QUESTIONS[asked % len(QUESTIONS)])
                asked += 1
                refused.append(reply.refused)
                assert all(c.text in ever for c in reply.citations), reply.citations
                store.keywords().search("alliance treaty", 3)
                store.documents()
        except BaseException as exc:  # any failure at all is reported by the test below
            errors.append(exc)

    write_round(0)
    ingest([corpus], store, texts, progress=False)
    threads = [threading.Thread(target=reingest)] + [threading.Thread(target=answer, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread hangs"
    assert not errors, errors
    assert False in refused and True in refused, "expected both answers and refusals"

    clean_store, clean_texts = open_state(tmp_path / "clean")
    ingest([corpus], clean_store, clean_texts, progress=False)
    assert snapshot(store) == snapshot(clean_store)
    assert_consistent(store, texts, corpus)
