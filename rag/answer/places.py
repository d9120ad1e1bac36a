"""What a source's place in its document says: its section path, which a claim may take words from; the entry
of a list of entries it sits under, whose siblings it does not speak of; the list it is an item of."""

from __future__ import annotations

from collections.abc import Set

from rag.text.sentences import asks
from rag.text.words import content_words
from rag.types import SECTION_SEPARATOR, Sentence, last_heading


def read(*sources: Sentence, asking: bool = True) -> list[str]:
    """What the sources say, for the words a claim takes from them: each one's text, and its section path where it
    has one. A heading is no citable sentence, but it is the subject of the sentences under it: "8 for 256," under
    "writeStream.getColorDepth([env])" says what getColorDepth returns. A heading that asks (a FAQ's "Do XZ Utils
    support the .7z format?") states nothing, and without ``asking`` is left out: for a claim that answers "Yes,"
    or "No," and so restates what the question asks, which the heading asks too. So is a source that asks itself,
    as a table of contents lists a FAQ's questions ("1.7 Is lsof vulnerable to the … attack?")."""
    paths = [s.section for s in sources if s.section]
    if not asking:
        paths = [SECTION_SEPARATOR.join(h for h in p.split(SECTION_SEPARATOR) if not asks(h)) for p in paths]
    return [s.text for s in sources if asking or not asks(s.text)] + [p for p in paths if p]


def is_row(source: Sentence) -> bool:
    """Whether the source is a row of a table, its cells set apart by " | " as the document readers write them."""
    return " | " in source.text


def heading(source: Sentence) -> str | None:
    """The heading the source stands under: the last of its section path (None at a document's top)."""
    return last_heading(source.section) if source.section else None


ENTRIES = 3
"""How many one-word headings a section must hold for them to be entries of a list (``entries``)."""


def entries(sections: Set[str]) -> dict[str, frozenset[str]]:
    """The entries among the section paths: one-word headings under one parent that holds at least ``ENTRIES``
    of them, as a list of users, options or elements is laid out. Maps each such path to the stems of its
    siblings' headings: what the sentences under it do not speak of."""
    under: dict[str, dict[str, str]] = {}
    for path in sections:
        parent, _, leaf = path.rpartition(SECTION_SEPARATOR)
        if len(stems := content_words(leaf)) == 1:
            under.setdefault(parent, {})[path] = next(iter(stems))
    return {
        path: frozenset(set(leaves.values()) - {leaf})
        for leaves in under.values()
        if len(set(leaves.values())) >= ENTRIES
        for path, leaf in leaves.items()
    }


def misplaced(claim: str, cited: list[Sentence], siblings: dict[str, frozenset[str]]) -> frozenset[str]:
    """The entries the claim names that its sources sit beside rather than under (``entries``), and do not name:
    "Adding a user to the staff group is safe" does not come from the sentence under "adm" that says users "may be
    safely added to it". A fact of one entry is not a fact of its sibling, however many words they share."""
    held = set().union(*(words_of(s) for s in cited))
    others = set().union(*(siblings_of(s, siblings) for s in cited))
    return frozenset((content_words(claim) & others) - held)


def siblings_of(source: Sentence, siblings: dict[str, frozenset[str]]) -> frozenset[str]:
    """The stems of the headings of the entries beside the one the source sits under (``entries``); none for a
    source under no entry."""
    return siblings.get(source.section or "", frozenset())


def words_of(source: Sentence) -> set[str]:
    """The content words of the source and its section path (``read``)."""
    return set().union(*(content_words(t) for t in read(source)))


LIST_SPAN = 20
"""How many sentences apart two items of one list may stand (``same_list``)."""


def same_list(item: Sentence, other: Sentence) -> bool:
    """Whether the other sentence is an item of the list the item is in, as far as its place tells: an item of the
    same document and section, at most ``LIST_SPAN`` sentences away."""
    return (
        other.item
        and other.source == item.source
        and other.section == item.section
        and abs(other.index - item.index) <= LIST_SPAN
    )
