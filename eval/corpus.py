"""A synthetic corpus for the benchmarks: varied sentences from templates, written as files of PER_FILE each."""

from __future__ import annotations

import random
from pathlib import Path

PER_FILE = 500  # sentences per synthetic file


PER_PARAGRAPH = 5  # sentences per synthetic paragraph

SUBJECTS = [
    "The city council", "The port authority", "A regional bank", "The transport ministry", "Local farmers",
    "A university team", "The national archive", "A group of engineers", "The health agency", "The fishing union",
    "A startup founder", "The energy regulator", "The museum board", "A coalition of teachers", "The water utility",
    "The central library", "A steel manufacturer", "The weather service", "The coast guard", "A rail operator",
    "The tourism office", "A hospital network", "The forestry department", "A shipping company", "The school board",
    "A research institute", "The parliament committee", "A logistics firm", "The farmers cooperative",
    "The space agency", "A software company", "The housing authority", "The chamber of commerce",
    "A wind power developer", "The police department", "The mayor's office", "A textile mill", "The airport operator",
]  # fmt: skip


VERBS = [
    "approved", "delayed", "expanded", "cancelled", "funded", "reviewed", "announced", "opened", "redesigned",
    "inspected", "criticised", "postponed", "launched", "audited", "relocated", "upgraded", "defended", "rejected",
    "completed", "proposed", "subsidised", "tested", "restored", "privatised", "shut down", "doubled",
]  # fmt: skip


OBJECTS = [
    "a new rail line", "the water treatment plan", "a flood barrier", "the harbour extension", "a solar farm",
    "the bus network", "a cancer screening programme", "the bridge repair", "a digital archive", "the rice subsidy",
    "a teacher training scheme", "the airport terminal", "a fibre network", "the recycling centre",
    "a wildlife corridor", "the school lunch programme", "a hydrogen pipeline", "the tax reform", "a warning system",
    "the hospital wing", "a desalination plant", "the cycling lanes", "a satellite launch", "the tunnel project",
    "a housing estate", "the fish market", "a vaccine depot", "the grain silo", "a data centre", "the ferry service",
]  # fmt: skip


PLACES = [
    "in Osaka", "near Sapporo", "in the northern valley", "along the eastern coast", "in Nagoya", "outside Fukuoka",
    "in the old river district", "on the southern islands", "in Sendai", "near the mountain pass", "in Kobe",
    "across the central plain", "in Hiroshima", "by the western harbour", "in Kyoto", "around the lake shore",
    "in Yokohama", "in the industrial zone", "near the border crossing", "in the capital",
]  # fmt: skip


CAUSES = [
    "rising costs", "heavy rainfall", "a labour shortage", "public protests", "new safety rules", "a budget surplus",
    "falling demand", "an election", "a court ruling", "supply chain delays", "strong exports", "an audit report",
]  # fmt: skip


GROUPS = ["residents", "voters", "shop owners", "commuters", "students", "nurses", "pensioners", "fishermen"]


TEMPLATES = [
    "{S} {v} {o} {p} in {y}.",
    "In {y}, {s} {v} {o} {p} at a cost of {n} million dollars.",
    "Because of {c}, {s} {v} {o} {p} during {y}.",
    "{S} reported that {n} percent of {g} supported {o} {p}.",
    "Critics argued that {o} {p} would need {n} more workers by {y}.",
    "{S} and {s2} jointly {v} {o} {p} after {n} months of talks.",
    "{S} expects {o} {p} to serve {n} thousand {g} by {y}.",
    "After {c} in {y}, {s} quietly {v} {o} {p}.",
    "Officials said {o} {p} was {v} by {s} with {n} votes in favour.",
    "{S} {v} {o} {p}, citing {c} and the concerns of {g}.",
]


QUERY_TEMPLATES = [
    "What happened to {o} {p}?",
    "Who {v} {o} in {y}?",
    "How many {g} supported {o}?",
    "Why did {s} change plans {p}?",
    "{S} {o} {p} {y}",
    "What did {s} do about {c}?",
]


def _fill(template: str, rng: random.Random) -> str:
    """One template filled from the vocabulary lists."""
    subject, other = rng.sample(SUBJECTS, 2)
    values = {
        "S": subject,
        "s": subject[0].lower() + subject[1:],
        "s2": other[0].lower() + other[1:],
        "v": rng.choice(VERBS),
        "o": rng.choice(OBJECTS),
        "p": rng.choice(PLACES),
        "y": rng.randint(1950, 2030),
        "n": rng.randint(2, 980),
        "c": rng.choice(CAUSES),
        "g": rng.choice(GROUPS),
    }
    return template.format(**values)


def synthetic_sentences(n: int, seed: int = 0) -> list[str]:
    """``n`` varied sentences from templates and vocabulary, the same for the same seed."""
    rng = random.Random(seed)
    return [_fill(rng.choice(TEMPLATES), rng) for _ in range(n)]


def synthetic_queries(n: int, seed: int = 1) -> list[str]:
    """``n`` questions and keyword queries over the synthetic vocabulary."""
    rng = random.Random(seed)
    return [_fill(rng.choice(QUERY_TEMPLATES), rng) for _ in range(n)]


def file_text(sentences: list[str]) -> str:
    """Sentences as paragraphs of PER_PARAGRAPH sentences separated by blank lines."""
    paragraphs = [" ".join(sentences[i : i + PER_PARAGRAPH]) for i in range(0, len(sentences), PER_PARAGRAPH)]
    return "\n\n".join(paragraphs) + "\n"


def sync_corpus(folder: Path, sentences: list[str], size: int) -> None:
    """Make ``folder`` hold exactly the first ``size`` sentences as PER_FILE-sentence .txt files."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {f"part-{a:07d}-{min(a + PER_FILE, size):07d}.txt": a for a in range(0, size, PER_FILE)}
    for path in folder.glob("*.txt"):
        if path.name not in wanted:
            path.unlink()
    for name, start in wanted.items():
        path = folder / name
        if not path.exists():
            path.write_text(file_text(sentences[start : min(start + PER_FILE, size)]), encoding="utf-8")
