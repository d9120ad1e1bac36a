"""Tie each sentence of a model's answer to the source sentences that support it, whatever markers it wrote."""

from __future__ import annotations

from collections.abc import Callable, Set
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.answer.claims import (
    CODE_SPAN,
    about_sources,
    answers_no,
    answers_yes,
    claims_of,
    opener,
    says_no_to,
    strip_markers,
    without_opener,
)
from rag.answer.facts import besides_numbers, foreign, holds, named, quotes, replaced, substituted, unmeasured
from rag.answer.places import entries, heading, is_row, misplaced, read, same_list, siblings_of, words_of
from rag.answer.polarity import negated_alike, says_otherwise
from rag.retrieval.retrieve import asks_as
from rag.text.sentences import asks
from rag.text.words import (
    beside,
    camel_names,
    content_words,
    counts,
    literals,
    names,
    number_pairs,
    numbers,
    numerals,
    stem,
    together,
    words,
)
from rag.types import Sentence


@dataclass(frozen=True)
class Claim:
    """An answer sentence with its best-aligned sources and support score; ``supported`` if it may be shown.

    ``foreign`` holds the numbers and names in it that its sources lack (any one sinks the claim). ``copied`` holds
    the code blocks it quotes exactly, each the only candidate holding that code: strong evidence of where the
    claim came from, even when the claim fails.
    """

    text: str
    sources: tuple[Sentence, ...]
    support: float
    source_support: tuple[float, ...]
    supported: bool = True
    foreign: frozenset[str] = frozenset()
    copied: tuple[Sentence, ...] = ()
    unmentioned: frozenset[str] = frozenset()
    listed: bool = False
    """A list item quoted after the sentence that introduces it (``with_introduced``): shown on a line of its own."""
    cut: bool = False
    """The last item quoted of a list longer than it brings (``LISTED``): the answer says the list goes on."""


def _unit_rows(vectors: list[list[float]], dimensions: int) -> np.ndarray:
    """The vectors as rows of unit length; an empty vector becomes a zero row."""
    matrix = np.array([v if len(v) == dimensions else [0.0] * dimensions for v in vectors], dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def coverage(claim: str, sources: list[str], given: Set[str] = frozenset()) -> float:
    """Share of the claim's content words found in the sources or among the ``given`` words (1.0 for a claim with
    none); a count word is found where a source lists that many items (``counts``)."""
    content = content_words(claim)
    if not content:
        return 1.0
    pool = set().union(*(content_words(s) | {stem(n) for n in counts(s)} for s in sources)) if sources else set()
    return len(content & (pool | given)) / len(content)


def verified_no(answer: str, claims: list[Claim], question: str) -> bool:
    """Whether the answer opens with "No," and its first sentence is a verified negation of what the question asks
    (``says_no_to``). The judgement's NO then answers the question rather than judging the documents ("Does it need
    Java?", "No, it does not need Java." over "There is no dependency on Java"), and the verified negation is the
    documents' own answer: "No, userspace firmware loading is not supported and should be disabled" says one "no"
    to "Is it supported?", though it negates twice. So is a first sentence verified on a source that opens with
    "No" itself under a heading that asks the question (``asks_as``), as a FAQ answers it: "No. PKWare has
    apparently decided to keep that format proprietary…" under "Does zlib support the new "Deflate64" format…?"
    answers "Does zlib support Deflate64?", and the "No." under "Do XZ Utils support the .7z format?" does not
    answer "Does xz support encryption?"."""
    if not answers_no(answer) or not claims or not claims[0].supported:
        return False
    first = claims[0]
    if says_no_to(without_opener(first.text), question):
        return True
    return any(opener(s.text) == "no" and asks_as(question, heading(s) or "") for s in first.sources)


def contradicted_yes(answer: str, claims: list[Claim], question: str = "") -> bool:
    """Whether the answer opens with "Yes," and one of its first sentence's sources negates where that sentence
    does not: "Yes, you can use -flto when building libxcrypt" over "If you build libxcrypt with either of these
    compilers, do not use -flto." Or where the ``question`` does not, on the question's own words, in a source
    holding at least ``_ASKED_SHARE`` of them: "Yes, they are useful for viewers" to "Do the low-quality modes
    meet the JPEG standard's accuracy requirements?" over "…the low-quality modes may not meet the JPEG standard's
    accuracy requirements; nonetheless, they are useful for viewers". The documents answer the question, and not as
    the model did."""
    if not answers_yes(answer) or not claims:
        return False
    first = claims[0]
    if contradicting(first) is not None:
        return True
    asked = [s.text for s in first.sources if question and coverage(question, [s.text]) >= _ASKED_SHARE]
    return any(not negated_alike(question, [text]) for text in asked)


_ASKED_SHARE = 0.5
"""Least share of the question's content words a source must hold for its negations to bear on what the question
asks (``contradicted_yes``)."""


def contradicting(claim: Claim) -> int | None:
    """The position among the claim's sources of the first that negates where the claim does not: the documents'
    own word on what the claim got backwards. None when every source negates as it does."""
    return next((at for at, s in enumerate(claim.sources) if not negated_alike(claim.text, [s.text])), None)


def _introduces(text: str) -> bool:
    """Whether the text ends with a colon: it introduces what comes after it."""
    return strip_markers(text).rstrip().endswith(":")


def _cited_where_written(chosen: list[Sentence], holders: list[Sentence]) -> list[Sentence]:
    """Adds the first of the ``holders`` (best aligned first) to the ``chosen`` sources unless one is already among
    them; returns the holders."""
    if holders and not any(s in holders for s in chosen):
        chosen.append(holders[0])
    return holders


_ALIKE_AMONG = 5  # how far down the ranking of sources to look for one that negates as the claim does

Scored = tuple[float, float, Sentence]  # a source's score for a claim, its similarity to it, and the source


def _alike(claim: str, scored: list[Scored], headed: Headed = (frozenset(), ())) -> Scored:
    """The source a claim is aligned to, among its best ``_ALIKE_AMONG`` (``scored`` best first): the first that
    negates as it does ("No, it does not need Java" goes to "there is no dependency on Java", not to "you need to
    install it with the extra"), and of those, when the claim ends with a colon, the first that does too ("It is
    designed to be:", not "Simple: it is designed to be easy to use", so that its list comes along; a claim that
    does not may still merge a sentence introducing code with the code); and of those, the first that names all
    the identifiers the claim names that a heading names or the question asks about (``_headed``). Code other
    than the best source is chosen so only for a claim that quotes code: a comment's "loading the full index into
    memory" holds the words of "mmap loads the full index into memory" and none of the prose's "without". With
    none alike, the best."""
    quoting = bool(CODE_SPAN.search(claim))
    negating = [
        item
        for item in scored[:_ALIKE_AMONG]
        if (quoting or not item[2].code or item is scored[0]) and negated_alike(claim, [item[2].text])
    ]
    introducing = [item for item in negating if _introduces(item[2].text)] if _introduces(claim) else []
    naming = [item for item in introducing or negating if not _unnamed(item[2], headed)]
    return (naming or introducing or negating or scored)[0]


Headed = tuple[frozenset[str], tuple[str, ...]]
"""The identifiers a claim names that a heading names too or the question asks about (``_headed``): camelCase
stems, and literals."""


def _headed(claim: str, sections: Set[str], asked: Set[str] = frozenset()) -> Headed:
    """The identifiers the claim names ("getColorDepth", "ffi_prep_cif") that one of the candidates' section paths
    names too, or that the question asks about (``asked``: its ``named_literals``, not its file names, which an
    answer may cite where they are written): the document is organised by them, each heading over what is said
    of it, and the question asks about that one. Not a capitalised name (prose says "their merger" where a claim
    says "Acme and Globex"), nor a brand no heading names ("macOS"), nor a file name."""
    camel = camel_names(claim)
    written = [w for w in literals(CODE_SPAN.sub(" ", claim)) if "_" in w or w.lower() in asked]
    if not camel and not written:
        return frozenset(), ()
    heads = set().union(*(content_words(s) for s in sections))
    held = tuple(w for w in written if w.lower() in asked or any(holds(s, w) for s in sections))
    return frozenset(camel & heads), held


def _unnamed(source: Sentence, headed: Headed) -> bool:
    """Whether the source, with its section path, lacks one of the ``headed`` identifiers: "ffi_prep_cif
    initializes cif" is not aligned to the sentence under "ffi_prep_cif_var", whose words are all the same."""
    camel, written = headed
    said = read(source)
    return bool(camel and camel - words_of(source)) or any(not any(holds(t, w) for t in said) for w in written)


AROUND = 2
"""How many sentences either side of a source may name what it speaks of ("This merger…" after "Acme's merger…")."""


def said_around(
    neighbours: Callable[[Sentence, int], list[Sentence]], subjects: Set[str]
) -> Callable[[Sentence], Set[str]]:
    """The words said around a source (``ground``'s ``around``): the content words and names of the ``AROUND``
    sentences either side of it and their section paths (``neighbours``), and its document's ``subjects``. Not
    another row of the table a row stands in: the rows beside it speak of other things ("Yes, Cirrus CI is used for
    Windows testing" takes no "Windows" from AppVeyor's row beside Cirrus CI's "Used for testing on FreeBSD")."""

    def around(source: Sentence) -> Set[str]:
        others = [n for n in neighbours(source, AROUND) if not (is_row(source) and is_row(n))]
        return set(subjects).union(*(words_of(n) | names(n.text) for n in others))

    return around


def _mentions(source: Sentence, stems: Set[str]) -> bool:
    """Whether the source, with its section path, holds one of the ``stems`` (any source, for none)."""
    return not stems or bool(stems & words_of(source))


def _chosen(
    text: str, scored: list[Scored], given: Set[str], min_support: float, headed: Headed
) -> tuple[list[Sentence], list[Sentence]]:
    """The sources a claim cites (``scored`` best first, the one it is aligned to first), and the code blocks among
    them that it quotes exactly, each the only candidate holding it (``Claim.copied``).

    A source joins for the numbers, words and literals the first lacks only when it names the claim's identifiers
    that a heading names or the question asks about, as the first does (``_headed``; any source may, for a claim
    naming none): "getColorDepth returns 8 for 256 colors", aligned under getColorDepth's heading, takes "8 for
    256," from there and not "256" from hasColors' example; "python-is-python3 provides python3-supported-min"
    does not take the name from a sentence about the python3 package. Quoted code is cited where it is written,
    whatever its section."""
    best = scored[0][2]
    scoped = not _unnamed(best, headed)
    kin = [item for item in scored if not scoped or not _unnamed(item[2], headed)]
    chosen = [best]
    # Numbers written together are cited together, wherever a candidate writes them so, as code is: "8 for 256"
    # from the list item that pairs them, not from two sentences that hold one each.
    for a, b in number_pairs(text):
        _cited_where_written(chosen, [s for _, _, s in kin if together(s.text, a, b)])
    # A second source joins when it covers words the first lacks (a claim that merges two sentences), but not for
    # a name the heading of the first holds: "XML_SetHashSalt must be called before…" takes no second source for
    # the function its first stands under.
    naming = named(text) | content_words(" ".join(literals(text)))
    headed_names = naming & set().union(*(content_words(s.section or "") for s in chosen))
    for score, _, source in kin[1:3]:
        merged = coverage(text, [s.text for s in chosen] + [source.text], given | headed_names)
        if merged > coverage(text, [s.text for s in chosen], given | headed_names) + 0.15 and score >= min_support:
            chosen.append(source)
    # So do the items of the list the first is an item of that the claim names whole, however low each ranks
    # alone: "Microsoft CryptoAPI, VIA Padlock, nCipher CHIL" lists three items of two words each.
    if best.item:
        for _, _, source in kin[1:]:
            item_words = content_words(source.text)
            if same_list(best, source) and item_words and item_words <= content_words(text) and source not in chosen:
                chosen.append(source)
    # Code the claim quotes is cited where it is written, when the candidates hold it: by a source already
    # chosen if one does, else by the holder the claim is closest to.
    copied = []
    for code in CODE_SPAN.findall(text):
        holders = _cited_where_written(chosen, [s for _, _, s in scored if quotes(s.text, code)])
        if len(holders) == 1 and holders[0].code:
            copied.append(holders[0])
    for literal in literals(CODE_SPAN.sub(" ", text)):  # so is a file name or path, among the claim's kin, or
        # an identifier, which a heading over a chosen source may write for it
        _cited_where_written(chosen, [s for _, _, s in kin if any(holds(t, literal) for t in read(s))])
    # A number is cited where it is written when one of the claim's five best sources holds it and a word the
    # claim writes beside it (``beside``): "The buffer size is 16384 bytes" restates the prose about the buffer
    # and the code that sets its size; "The maximum size of a magic rule is 100" does not take its 100 from "the
    # default weight is 50, and the maximum is 100". (Not a number the question gives, as the "2" of "tern2".)
    # A brief sentence beside the one chosen may give its number (``_continues``): "…concludes it is in an infinite
    # loop." then "The default is 3000."
    # Code that sets a number may say nothing of what it counts but a name, which prose among the candidates
    # explains (``_explaining``): "The buffer size is 16384 bytes" over "#define CHUNK 16384" and "CHUNK is simply
    # the buffer size…", which is cited too.
    for number in sorted(numbers(text) - numbers(" ".join(s.text for s in chosen)) - given):
        near = beside(text, number)
        holders = [s for _, _, s in kin[:_ALIKE_AMONG] if number in numbers(s.text) and _mentions(s, near)]
        holders = holders or [s for _, _, s in kin if number in numbers(s.text) and _continues(s, chosen)]
        if not holders:
            for code in (s for _, _, s in kin[:_ALIKE_AMONG] if number in numbers(s.text)):
                if (prose := _explaining(code, text, kin)) is not None:
                    chosen.extend(s for s in (code, prose) if s not in chosen)
                    break
        _cited_where_written(chosen, holders)
    return chosen, copied


_BRIEF = 3
"""Fewer content words than this, numbers aside, and a sentence beside a chosen source speaks of what that one
does (``_continues``)."""


def _continues(source: Sentence, chosen: list[Sentence]) -> bool:
    """Whether the source, prose, stands right before or after one of the ``chosen``, under the same heading, and
    says little but its numbers (code has its own link: ``_explaining``): xsltproc's "The default is 3000." after
    "Adjust the maximum depth of the template stack before libxslt(3) concludes it is in an infinite loop." gives
    that depth."""
    brief = not source.code and len(besides_numbers(source.text)) < _BRIEF
    return brief and any(
        c.source == source.source and c.section == source.section and abs(c.index - source.index) == 1 for c in chosen
    )


_SHARED_CLAIM_WORDS = 2
"""Fewest content words of a claim that prose explaining code must hold (``_explaining``)."""


def _explaining(code: Sentence, claim: str, kin: list[Scored]) -> Sentence | None:
    """The prose among ``kin`` that names one of the ``code``'s names as the code writes it (in capitals, with an
    underscore or in camelCase: "CHUNK", not "define") and holds ``_SHARED_CLAIM_WORDS`` of the claim's content
    words: what the code's name stands for, in the claim's words. None for a source that is no code."""
    if not code.code:
        return None
    marks = {w for w in words(code.text) if len(w) > 2 and not w.isdigit() and not w.islower() and not w.istitle()}
    wanted = content_words(claim) - numbers(claim)
    for _, _, prose in kin:
        if prose.code or not marks & set(words(prose.text)):
            continue
        if len(content_words(prose.text) & wanted) >= _SHARED_CLAIM_WORDS:
            return prose
    return None


def ground(
    answer: str,
    candidates: list[Sentence],
    embeddings: Embeddings,
    candidate_vectors: dict[str, list[float]],
    min_support: float,
    min_coverage: float = 0.8,
    given: Set[str] = frozenset(),
    unmentioned: Set[str] = frozenset(),
    min_similarity: float = 0.0,
    asked: Set[str] = frozenset(),
    around: Callable[[Sentence], Set[str]] | None = None,
) -> list[Claim]:
    """Align each answer sentence to its best sources; returns every claim, in order, marked supported or not.

    Support mixes embedding similarity with content-word coverage, and is zero when the claim carries a number or a name
    that its sources lack, or names an entry of a list its sources sit beside rather than under (``misplaced``), or says
    otherwise than they do (``says_otherwise``): negates where they do not, states as a fact what its best source says
    only under a condition, says of a whole what they say of a part, or opens with a "Yes" or "No" they do not; or when
    every source it cites asks (a table of contents' "Why is lsof so slow?" states nothing, whether the claim copies it
    or answers it "Yes"). A claim is kept when its support reaches ``min_support`` and at least ``min_coverage`` of its
    content words appear in the sentences it cites (all of them, for one that answers "Yes," or "No,": the word it lacks
    may be what the question asks, as "covered" in "Yes, shipping files owned by another user than root is covered"
    over "Files shipped in the package must be owned by another user than root.", which the next line answers "Not
    covered"), and its best source is at least ``min_similarity`` similar to it: a claim that restates the question
    ("Yes, there is a warranty.") covers its few words in any sentence that holds them.
    ``given`` are the names the claim may take from the question without a source (the question's subject, which the
    documents mention): "The Acme merger is driven by…" may cite "This merger is driven by…". With ``around`` (the words
    said around a source: the sentences beside it and what its document is about), a claim that answers "Yes," or "No,"
    (and so restates the question's premise) takes a name or number of the question so only where one of its sources has
    it around: "Yes, Ninja supports Python as the build file language" takes no "Python" from "…if you're writing a
    meta-build system or supporting a new language", nor "Yes, you can install GnuPG 2.2 alongside GnuPG 2.0 by renaming
    the 1.4 version…" its "2.0" from the section on 1.4. ``unmentioned`` are the question's names that the documents
    never mention: a claim repeating one fails, since it may set that name where its sources name another thing ("Globex
    is one of the firm's suppliers", over a sentence listing suppliers without it), but is scored as if they held it, so
    that one that fails for it alone counts as narrowly missed and its sources are quoted: the sentence its draft
    restated. ``asked`` are the identifiers the question asks about (``_headed``): a claim that writes one is aligned to
    a source that does, and takes no other source that does not ("The package python-is-python3 provides
    python3-supported-min" is not "The python3 package provides python3-supported-min")."""
    texts = claims_of(answer)
    if not texts or not candidates:
        return [Claim(text=t, sources=(), support=0.0, source_support=(), supported=False) for t in texts]
    vectors = embeddings.embed_documents(texts)
    dimensions = len(vectors[0])
    cosines = (
        _unit_rows(vectors, dimensions)
        @ _unit_rows([candidate_vectors.get(s.id, []) for s in candidates], dimensions).T
    )
    claims: list[Claim] = []
    said: set[str] = set()
    sections = {s.section for s in candidates if s.section}
    siblings = entries(sections)
    for text, row in zip(texts, cosines):
        content = content_words(text)
        exact = literals(text) | numbers(text)
        if content and len(content - said) / len(content) < 0.3 and exact <= said:
            continue  # the model repeating itself adds nothing; an item of a list of files names another file
        said |= content | exact
        scored = []
        for source, cosine in zip(candidates, row):
            similarity = max(0.0, float(cosine))
            scored.append((0.5 * similarity + 0.5 * coverage(text, read(source), given), similarity, source))
        scored.sort(key=lambda item: item[0], reverse=True)
        headed = _headed(text, sections, asked)
        alike = _alike(text, scored, headed)
        scored = [alike, *(item for item in scored if item is not alike)]
        best_score, best_similarity, best = scored[0]
        chosen, copied = _chosen(text, scored, given, min_support, headed)
        restates = without_opener(text) != text  # "Yes, …" or "No, …": the question's premise
        cited = read(*chosen, asking=not restates)
        granted = given
        if around is not None and restates:
            nearby = set().union(*(around(s) for s in chosen))
            nearby |= {w.replace(",", "") for w in nearby}  # "100,000" as ``numbers`` writes it
            granted = given - {term for term in (named(text) | numerals(text)) & given if term not in nearby}
        opening = {stem(w) for w in words(text)[:1] if w[:1].isupper()}  # names() skips a claim's first word
        elsewhere = misplaced(text, chosen, siblings)
        missing = foreign(text, cited, granted) | (opening & unmentioned) | elsewhere
        missing |= substituted(text, cited, granted)
        missing |= replaced(text, best.text, [s.text for s in chosen if s is not best])
        missing |= unmeasured(text, [(s.text, heading(s)) for s in chosen if not s.code], granted)
        borrowed = missing & unmentioned
        covered = coverage(text, cited, granted | borrowed)
        # Another source states plainly what the best says under a condition only if it holds most of the claim.
        further = [s.text for s in chosen if s is not best and coverage(text, [s.text], granted) > 0.5]
        opposite = says_otherwise(text, [s.text for s in chosen], [heading(s) for s in chosen], best.text, further)
        failed = missing - borrowed or opposite or about_sources(text) or all(asks(s.text) for s in chosen)
        support = 0.0 if failed else 0.5 * best_similarity + 0.5 * covered
        # A source under the sibling of the entry the claim names supports none of it: no fallback quotes it.
        per_source = tuple(
            0.0 if elsewhere & siblings_of(c, siblings) else round(next(sc for sc, _, s in scored if s is c), 4)
            for c in chosen
        )
        claims.append(
            Claim(
                text=text,
                sources=tuple(chosen),
                support=round(support, 4),
                source_support=per_source,
                supported=not borrowed
                and support >= min_support
                and covered >= (1.0 if restates else min_coverage)
                and best_similarity >= min_similarity,
                foreign=missing,
                unmentioned=borrowed,
                copied=tuple(copied),
            )
        )
    return claims
