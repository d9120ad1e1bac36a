"""What a claim states that its sources must write: its numbers and names, the code and literals it quotes, and
the relations between them (two numbers written together, a number called the default, a name set in another's
place). ``foreign`` lists what the sources lack; any one of them sinks the claim (``grounding.py``)."""

from __future__ import annotations

import re
from collections.abc import Set

from rag.answer.claims import CODE_SPAN
from rag.text.words import (
    STOP_WORDS,
    abbreviations,
    beside,
    capitalised,
    content_words,
    counts,
    defaults,
    identifiers,
    literals,
    names,
    number_pairs,
    numbers,
    stem,
    together,
    words,
)


def quotes(text: str, code: str) -> bool:
    """Whether ``text`` holds ``code`` as written, however either one wraps its lines. A call with empty brackets
    names the function, whatever arguments the text writes: "writeStream.hasColors()" is in
    "writeStream.hasColors([count][, env])", "hasColors()" in "process.stdout.hasColors(256)"."""
    code, text = " ".join(code.split()), " ".join(text.split())
    if code in text:
        return True
    return code.endswith("()") and re.search(rf"(?<!\w){re.escape(code[:-2])}\(", text) is not None


_WRAPPED_PATH = re.compile(r"/[ \t]*\n\s*(?=\w)")
"""A path a plain-text file wrapped after one of its slashes ("/usr/bin/" at a line's end, "python" on the next)."""


def holds(text: str, literal: str) -> bool:
    """Whether ``text`` holds ``literal`` (``literals``) as written, but for case (a model capitalises a file name
    that opens its sentence) and for a line break after a slash (``_WRAPPED_PATH``), and not as the start of a
    longer one: "env/bin/activate" is not in "env/bin/activate.fish", nor "requirements.txt" in
    "dev-requirements.txt"; "bin/activate" is in "env/bin/activate", and a directory in the paths under it:
    "/usr/share/base-files" in "/usr/share/base-files/dot.profile"."""
    whole = rf"(?<![\w-]){re.escape(literal)}(?![\w\\-]|\.\w)"
    return re.search(whole, _WRAPPED_PATH.sub("/", text), re.IGNORECASE) is not None


def foreign(claim: str, sources: list[str], given: Set[str] = frozenset()) -> frozenset[str]:
    """The numbers and names in the claim found neither in the sources nor among the ``given`` words (nor among
    them when the sources name something spelled alike instead: ``swapped``), the code it quotes in backticks
    that no source contains as written (a command is quoted exactly or not at all), and the file names, paths
    and other ``literals`` outside backticks that no source holds as written. A number a source does not write is
    still found when it counts the items of a list there (``counts``): "three new domains" from "Cybersecurity,
    space exploration, and AI are new domains". An abbreviation the claim defines by its own words ("a foreign
    function interface (FFI)") is no name it needs a source for (``abbreviations``). A number the claim calls the
    default is missing where the sources call another the default (``defaults``): "The default block size is 100,000
    bytes" over "…100,000 bytes through 900,000 bytes (the default)"."""
    joined = " ".join(sources)
    counted = set().union(*(counts(s) for s in sources))
    held = content_words(joined) | names(joined)
    missing_names = named(claim) - held - (given - swapped(names(claim), names(joined))) - abbreviations(claim)
    code = CODE_SPAN.findall(claim)
    missing_code = {f"`{c}`" for c in code if not quotes(joined, c)}
    missing_literals = {t for t in literals(CODE_SPAN.sub(" ", claim)) if not holds(joined, t)}
    missing_numbers = numbers(claim) - numbers(joined) - given - counted
    missing_pairs = {
        paired(a, b) for a, b in number_pairs(claim) if {a, b} - given and not any(together(s, a, b) for s in sources)
    }
    # A number the claim calls the default must be the one a source calls so, where a source calls any the default.
    marked = [found for found in map(defaults, sources) if found]
    missing_defaults = {
        relation(n, "as the default", "") for n in defaults(claim) if marked and not any(n in d for d in marked)
    }
    missing_relations = missing_pairs | missing_defaults
    return frozenset(missing_numbers | missing_names | missing_code | missing_literals | missing_relations)


def swapped(claimed: Set[str], cited: Set[str]) -> set[str]:
    """The names of ``claimed`` that a name of ``cited`` is spelled like, one letter apart ("BER" and "DER"): a
    claim that writes the question's "BER" where its source writes "DER" has swapped one for the other, however
    often the documents name both."""
    return {
        name
        for name in claimed - cited
        for other in cited - claimed
        if len(name) == len(other) >= 3 and sum(a != b for a, b in zip(name, other)) == 1
    }


def substituted(claim: str, sources: list[str], granted: Set[str]) -> set[str]:
    """The names the claim takes from the question (``granted``, so no source need hold them) and sets where a
    source writes another name before the same words: "because Debian's installation environment is so rigid", over
    "RedHat's installation environment is so rigid that…", gives Debian a fact of RedHat's. Two content words of the
    three after each name must match."""
    claimed = (capitalised(claim) & granted) - names(" ".join(sources))
    if not claimed:
        return set()
    tokens = words(claim)
    found = set()
    for at, token in enumerate(tokens):
        name = stem(token)
        after = content_words(" ".join(tokens[at + 1 : at + 4]))
        if name not in claimed or len(after) < 2:
            continue
        for source in sources:
            held = words(source)
            found |= {
                relation(name, "for", stem(other))
                for k, other in enumerate(held)
                if capitalised(other) - {name} and len(after & content_words(" ".join(held[k + 1 : k + 4]))) >= 2
            }
    return found


def unmeasured(claim: str, sources: list[tuple[str, str | None]], given: Set[str] = frozenset()) -> set[str]:
    """The numerals of the claim whose every holder among the ``sources`` (prose, each with its heading) says
    nothing of what the claim counts with it: none of the words the claim writes ``beside`` it, though it writes
    ``_SAYS_ELSE`` words of its own. "The UID range used for system users is 60001…60513" does not come from
    "60001…60513 → UIDs for home directories managed by systemd-homed", however many of its other words another
    source holds. A number the question gives is left alone, as is one no source holds (``foreign`` reports it)."""
    found = set()
    for number in sorted(n for n in numbers(claim) - set(given) if n[:1].isdigit()):
        near = beside(claim, number)
        holders = [(text, f"{text} {heading or ''}") for text, heading in sources if number in numbers(text)]
        if near and holders and not any(_measures(h, near) for h in holders):
            found.add(relation(number, "for", " ".join(sorted(near))))
    return found


_SAYS_ELSE = 2
"""Fewest content words besides numbers a source must write to say what else it counts (``unmeasured``): "8 for
256," under a function's heading says nothing against "It returns 8 for 256 colors"."""


def _measures(holder: tuple[str, str], near: Set[str]) -> bool:
    text, read = holder
    return bool(near & content_words(read)) or len(besides_numbers(text)) < _SAYS_ELSE


def besides_numbers(text: str) -> set[str]:
    """The text's content words but its numbers: how much a sentence says beyond them ("The default is 3000."
    says "default")."""
    return content_words(text) - numbers(text)


_FRAME = 4
"""Fewest words a claim and its source must write alike around a word one sets where the other sets another, two
of them content words (``replaced``)."""


def replaced(claim: str, source: str, others: list[str]) -> set[str]:
    """The words the claim sets where its source writes another between the same words, taking them from the
    ``others`` it cites: "No, packages in 'triggers-pending' do not satisfy Depends" pieced together from "Packages
    in 'triggers-awaited' do not satisfy Depends" and another sentence naming 'triggers-pending' says of one state
    what the document says of the other. The words around must match on both sides, ``_FRAME`` of them at least. A
    word no source holds is left to coverage: it may be the claim's own word for the same thing."""
    said, written = _tokens(claim), _tokens(source)
    held, claimed = content_words(source), content_words(claim)
    elsewhere = content_words(" ".join(others))
    found = set()
    for at, word in enumerate(said):
        own = stem(word)
        if word in STOP_WORDS or own in held or own not in elsewhere:
            continue
        for k, other in enumerate(written):
            if other in STOP_WORDS or stem(other) in claimed:
                continue
            left = _matched(said[at - 1 :: -1] if at else [], written[k - 1 :: -1] if k else [])
            right = _matched(said[at + 1 :], written[k + 1 :])
            frame = left + right
            if left and right and len(frame) >= _FRAME and sum(w not in STOP_WORDS for w in frame) >= 2:
                found.add(relation(own, "for", stem(other)))
    return found


def _tokens(text: str) -> list[str]:
    return [w.lower() for w in words(text.replace("-", " "))]


def _matched(a: list[str], b: list[str]) -> list[str]:
    """The words ``a`` and ``b`` open with alike."""
    run = []
    for x, y in zip(a, b):
        if x != y:
            break
        run.append(x)
    return run


def named(text: str) -> set[str]:
    """The stems of what the text names: its ``names``, and the word pieces of its identifiers ("libtasn1" names
    "libtasn"; its digits are numbers, and "0x21"'s "x" is too short to name anything)."""
    return names(text) | {piece for piece in identifiers(text) if not piece.isdigit() and len(piece) > 1}


def paired(a: str, b: str) -> str:
    """How ``foreign`` reports two numbers a claim writes together and no source does: "8 with 16"."""
    return relation(a, "with", b)


def relation(a: str, link: str, b: str) -> str:
    """How ``foreign`` reports two things the claim relates as no source does ("8 with 16", "100000 as the
    default", "debian for redhat"), each of which the documents may write."""
    return f"{a} {link} {b}".strip()


def is_relation(fact: str) -> bool:
    """Whether a fact ``foreign`` reports is a ``relation``, not one thing the sources lack: words with spaces
    between them, outside backticks (a file name or path has none)."""
    return not fact.startswith("`") and " " in fact
