"""Word-level text features shared by grounding and evaluation: content words, numbers, list counts, names."""

from __future__ import annotations

import re
from collections.abc import Iterator

STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each either few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not now of off on once only or other our ours ourselves out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your yours
    yourself yourselves one ones well may might must shall within without upon via per etc like several various
    including include includes included many much yes""".split()
)
_WORD = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+(?:['’][^\W\d_]+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
NUMBER_WORDS = frozenset(
    "zero two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred thousand "
    "million billion trillion first second third fourth fifth percent".split()
)


_KEPT_DOUBLE = frozenset("aeiouflsz")
"""Letters that end a word doubled ("install", "pass", "staff"): "-ed" and "-ing" did not double them."""


def stem(word: str) -> str:
    """A light stem, enough to match plural, possessive and simple verb forms. A final "e" goes too, as "-ed" and
    "-es" take it: "store", "stored", "stores" and "storing" are all "stor"; "agree", "agreed", "agreeing" "agre".
    So does a consonant "-ed" or "-ing" doubled: "chatting" and "chat" are "chat" ("added" stays "add"). A noun's
    "-ment" and a verb's "-ate" go, and with them "-ation" (``_derived``): "acknowledgement" meets "acknowledged",
    "allocation" "allocate", "installation" "install"."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    inflected = ""
    for suffix, repl in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("ly", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)] + repl
            if suffix in ("ed", "ing") and len(word) >= 4 and word[-1] == word[-2] and word[-1] not in _KEPT_DOUBLE:
                return word[:-1]
            inflected = suffix
            break
    derived = _derived(word, inflected)
    if derived != word:
        return derived
    if inflected in ("ed", "es"):  # the "e" it ended with is gone already
        return word
    return word[:-1] if word.endswith("e") and len(word) >= 4 else word


def _derived(word: str, inflected: str) -> str:
    """The word without a derivational ending that leaves four letters or more (five for "-ment", three for
    "-ty"): "-ability" and "-ibility" as "-able" and "-ible" would stem ("portability" meets "portable",
    "visibility" "visible"), "-ty" after an "e" ("safety" meets "safe", as "thread-safety" says what "thread-safe"
    does), "-ment" ("requirement", not "comment" or "payment"), "-ation" ("allocation", "installation", not
    "station" or "duration"), "-ate" ("allocate", "validate", not "create" or "state"), and the "-at" an "-ed",
    "-es" or "-ing" left of one ("allocated"); the root's own final "e" goes too ("requirement" is "requir", as
    "required" is)."""
    if word.endswith(("ability", "ibility")) and len(word) >= 9:
        return word[:-5] + "l"
    if word.endswith("ety") and len(word) >= 6:
        return word[:-3]
    if word.endswith("ment") and len(word) >= 9:
        root = word[:-4]
        return root[:-1] if root.endswith("e") else root
    if word.endswith("ation") and len(word) >= 9:
        return word[:-5]
    if word.endswith("ate") and len(word) >= 7:
        return word[:-3]
    if inflected in ("ed", "es", "ing") and word.endswith("at") and len(word) >= 6:
        return word[:-2]
    return word


def words(text: str) -> list[str]:
    """Word tokens in order, keeping inner apostrophes and decimals."""
    return _WORD.findall(text)


def content_words(text: str) -> set[str]:
    """Stems of the words that carry meaning: stop words removed, hyphenated parts split."""
    return set(content_stems(text))


def content_stems(text: str) -> Iterator[str]:
    """The stems of ``content_words``, in order, each as often as the text writes it."""
    for token in words(text.replace("-", " ")):
        low = token.lower()
        if low not in STOP_WORDS and len(low) > 1:
            yield stem(low)


def numbers(text: str) -> set[str]:
    """Numerals and number words, normalised for comparison."""
    found = {n.replace(",", "") for n in _NUMBER.findall(text)}
    found.update(w.lower() for w in words(text) if w.lower() in NUMBER_WORDS)
    return found


PAIR_GAP = 1
"""Most words between two numbers a claim writes together: "8 for 16", "from 1.0 to 2.0"."""
PAIR_SPAN = 10
"""Most words between the same two numbers in a source that writes them together ("version 1.0 of a particular
module but application B needs version 2.0"); further apart, they are two facts."""


_MAN_SECTION = re.compile(r"\w\(\d\w?\)")
"""A manual page's section after its name: "libxslt(3)", "deb-triggers(5)", "ls(1p)"."""


def _numerals(text: str) -> list[tuple[int, str]]:
    """The text's numerals with their word positions; not digits written onto letters, which are part of a name
    or a literal ("LZMA2", "0x21", "CRC32"), nor a manual's section after a name ("libxslt(3)"): not a number the
    text states."""
    found = []
    for at, token in enumerate(_WORD.finditer(text)):
        start, end = token.span()
        glued = (start > 0 and text[start - 1].isalpha()) or (end < len(text) and text[end].isalpha())
        section = start >= 2 and _MAN_SECTION.match(text, start - 2) is not None
        if _NUMBER.fullmatch(token.group()) and not glued and not section:
            found.append((at, token.group().replace(",", "")))
    return found


def numerals(text: str) -> set[str]:
    """The numbers the text writes as numerals of their own, normalised as ``numbers`` does: not the digits of a
    name ("tern2", "LZMA2")."""
    return {value for _, value in _numerals(text)}


def number_pairs(text: str) -> set[tuple[str, str]]:
    """The numerals the text writes together (``PAIR_GAP``), in order: a claim that "getColorDepth returns 8 for 16
    colors" pairs 8 with 16, which no source does ("8 for 256", "4 for 16"), though some holds each number."""
    found = _numerals(text)
    return {(a, b) for (i, a), (j, b) in zip(found, found[1:]) if j - i - 1 <= PAIR_GAP and a != b}


def together(text: str, a: str, b: str) -> bool:
    """Whether the text writes numerals ``a`` and ``b`` within ``PAIR_SPAN`` words of each other, in either order."""
    found = _numerals(text)
    return any(abs(i - j) - 1 <= PAIR_SPAN for i, x in found if x == a for j, y in found if y == b)


def defaults(text: str) -> set[str]:
    """The numerals the text calls the default: the nearest to each "default" it writes (all as near, on a tie).
    "…specify the block size to be 100,000 bytes through 900,000 bytes (the default)" makes 900000 the default,
    though it writes 100000 too."""
    found = _numerals(text)
    marks = [at for at, token in enumerate(_WORD.finditer(text)) if token.group().lower() in ("default", "defaults")]
    chosen = set()
    for mark in marks:
        if found:
            nearest = min(abs(at - mark) for at, _ in found)
            chosen |= {value for at, value in found if abs(at - mark) == nearest}
    return chosen


BESIDE = 2
"""How many content words either side of a number a claim writes say what it counts (``beside``)."""
_UNCOUNTED = STOP_WORDS | NUMBER_WORDS


def beside(text: str, number: str) -> set[str]:
    """The stems of the content words nearest the numeral ``number`` in the text, ``BESIDE`` either side: what it
    counts or measures. "The maximum size of a magic rule is 100" gives "magic" and "rule"; a source whose 100 is
    "the maximum" of a weight says nothing of rules."""
    tokens = words(text.replace("-", " "))
    found: set[str] = set()
    for at, token in enumerate(tokens):
        if token.replace(",", "").lower() != number:
            continue
        for side in (reversed(tokens[:at]), tokens[at + 1 :]):
            near = [stem(w) for w in side if len(w) > 1 and w.lower() not in _UNCOUNTED and not _NUMBER.fullmatch(w)]
            found |= set(near[:BESIDE])
    return found


_IDENTIFIER = re.compile(r"\b(?=[^\W_]*\d)(?=[^\W_]*[^\W\d_])[^\W_]+\b")  # letters and digits: "bm25s", "ipv6"


def alphanumerics(text: str) -> set[str]:
    """The tokens that mix letters and digits, whole and lower-cased: "v9", "ext4", "ipv6". ``content_words`` keeps
    only their letters, and not even those when one is left ("v"), so "libjpeg v9" would read as "libjpeg"."""
    return {t.lower() for t in _IDENTIFIER.findall(text)}


def identifiers(text: str) -> set[str]:
    """Stems of the word pieces of the tokens that mix letters and digits ("bm25s" gives "bm" and "25"): names of
    things however they are capitalised."""
    return {stem(w) for token in _IDENTIFIER.findall(text) for w in words(token)}


_COUNTS = ("three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
_CLAUSE = re.compile(r"[;:.!?()]")
_JOINER = re.compile(r"(?:^|\s)(?:and|or)\s+\S")
SHORT_ITEM = 3
"""Most words in a list's middle items: longer, a comma more likely closes an opening phrase or a clause ("In
recent years, ties have grown, mainly due to x and y" is no list). A list of longer items goes uncounted."""


def counts(text: str) -> set[str]:
    """How many items each list in the text names, as numerals and number words: "Cybersecurity, space
    exploration, and AI are new domains" gives {"3", "three"}. A list is three or more items joined by commas, with
    "and" or "or" before the last ("a, b, and c" or "a, b and c"), its middle items short (``SHORT_ITEM``); the first
    and last items may be of any length, since the commas do not show where they begin and end. Two items ("x and
    y") are too common to count as a list. Commas alone cannot tell every list from a clause ("However, x remains
    and grows" counts three), so a count found here only lets a claim's count word stand (``foreign``); the claim
    still needs its words in its sources."""
    found: set[str] = set()
    for clause in _CLAUSE.split(text):
        parts = [p.strip() for p in clause.split(",")]
        for end in range(1, len(parts)):
            joiner = _JOINER.search(parts[end])
            if joiner is None:
                continue
            middle = parts[1:end] + ([parts[end][: joiner.start()]] if joiner.start() > 0 else [])
            items = len(middle) + 2
            if 3 <= items < 3 + len(_COUNTS) and all(0 < len(words(p)) <= SHORT_ITEM for p in middle):
                found |= {str(items), _COUNTS[items - 3]}
            break  # the first "and" closes the clause's list
    return found


NEGATIONS = frozenset("not no never none nothing nobody nowhere neither nor cannot without".split())
_NOT_NEGATING = frozenset("only just merely simply without".split())
"""Words after which a "not" negates nothing: "not only x but y", "not without its complexities"."""


NEGATING_VERBS = frozenset(
    stem(w)
    for w in "disable prevent stop suppress avoid deprecate discourage forbid forbidden prohibit reject deny refuse "
    "ignore mistake misconception myth wrongly mistakenly erroneously incorrectly".split()
)
"""The stems of verbs that negate what they govern, as a "not" does: "--disable-manual: Don't build the manual"
says what "the option disables building the manual" says, xsltproc's "--nonet: Do not use the Internet to fetch
DTDs" what "the option that stops xsltproc from fetching DTDs" says, "the form #!/usr/bin/env is deprecated" the
opposite of "programs should use #!/usr/bin/env", and "cinfo.scale_num is silently ignored" the opposite of "it is
used". So do
the words that call what they govern an error: "a common first-time mistake is to expect all the text… to be reported
by a single call" says the opposite of "Expat reports all the text in a single call". Not in a compound
("--disable-manual" names an option)."""


def negation_count(text: str) -> int:
    """How many times the text negates: its ``negations``, and its ``NEGATING_VERBS`` outside compounds."""
    verbs = [t for t in text.split() if "-" not in t.strip("-") and any(stem(w) in NEGATING_VERBS for w in words(t))]
    return len(negations(words(text))) + len(verbs)


def negations(tokens: list[str]) -> list[int]:
    """The positions of the tokens (``words``) that negate: "not", "never", "no", "cannot", "without", any "-n't"…
    but the "not" of "not only", both words of "not without", and a "nor" after a negation, which carries it on
    rather than adding one: "has not demonstrated usefulness as a format nor as a means of enhancement" says one
    "not", as "neither … nor" does."""
    found = []
    for at, token in enumerate(tokens):
        low = token.lower().replace("’", "'")
        if not (low in NEGATIONS or low.endswith("n't")):
            continue
        following = tokens[at + 1].lower() if at + 1 < len(tokens) else ""
        if (low == "not" or low.endswith("n't")) and following in _NOT_NEGATING:
            continue
        before = tokens[at - 1].lower().replace("’", "'") if at else ""
        if low == "without" and (before == "not" or before.endswith("n't")):
            continue  # "not without": the two cancel
        if low == "nor" and found:
            continue
        found.append(at)
    return found


_CAMEL = re.compile(r"[a-z][A-Z]")  # within a word: "getColorDepth", "isTTY", "iPhone"


def names(text: str) -> set[str]:
    """Lower-cased capitalised words that are not the first word of the text: a cheap proxy for named entities. A
    single letter is none ("C" of "written in C", "Z" of "Z_FINISH"): like ``content_words``, the keyword index
    leaves it out, so a question naming it would seem to name what the documents never mention. A word with a
    capital after a small letter ("getColorDepth", "isTTY") is a name wherever it stands: an identifier in code
    or a brand, never an ordinary word at the start of a sentence."""
    return _capitalised(words(text)[1:]) | camel_names(text)


def capitalised(text: str) -> set[str]:
    """The stems of the text's capitalised words that are no stop words, the first among them: how often a
    document names something, wherever a sentence names it."""
    return _capitalised(words(text))


def _capitalised(tokens: list[str]) -> set[str]:
    return {stem(t) for t in tokens if t[:1].isupper() and len(t) > 1 and t.lower() not in STOP_WORDS}


_ABBREVIATED = re.compile(r"((?:[\w'-]+\s+){1,8})\(([A-Z]{2,8})s?\)")
"""Words, then an abbreviation in brackets: "a foreign function interface (FFI)"."""


def abbreviations(text: str) -> set[str]:
    """The stems of the abbreviations the text defines where it writes them: in brackets after the words whose
    initials spell them, stop words left out or not ("foreign function interface (FFI)", "Department of Defense
    (DD)"). Such a name says nothing its words do not."""
    found = set()
    for before, short in _ABBREVIATED.findall(text):
        spelled = before.split()
        ordinary = [w for w in spelled if w.lower() not in STOP_WORDS]
        if any("".join(w[0] for w in ws[-len(short) :]).upper() == short for ws in (spelled, ordinary)):
            found.add(stem(short))
    return found


def camel_names(text: str) -> set[str]:
    """The stems of the words with a capital after a small letter: "getColorDepth", "isTTY"."""
    return {stem(t) for t in words(text) if _CAMEL.search(t)}


_TOKEN_EDGES = "\"'`“”‘’,;:!?()<>*"
_LITERAL = re.compile(r"\w[\[\]=/\\_]|[\[\]=/\\_]\w|[a-z]\.[a-z]", re.IGNORECASE)
_ABBREVIATION = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]?")  # "e.g.", "U.S."
_WORD_PAIR = re.compile(r"[^\W\d_]+/[^\W\d_]+")  # "and/or", "client/server"


def literals(text: str) -> set[str]:
    """The tokens that must be written exactly to mean anything: file names, paths, URLs, package specifiers and
    identifiers ("requirements.txt", "env/bin/activate", "fastapi[standard]", "site_packages"). A reader copies
    them as they stand, so a claim that alters one states what its source does not say, however many of its words
    the source shares."""
    tokens = (token.strip(_TOKEN_EDGES).rstrip(".").strip(_TOKEN_EDGES) for token in text.split())
    return {token for token in tokens if is_literal(token)}


_HYPHENED = re.compile(r"[^\W_]+(?:-[^\W_]+)+")


def named_literals(text: str) -> set[str]:
    """The literals that name a thing, lower-cased: identifiers and package names ("ffi_prep_cif",
    "python-is-python3"), not file names, paths, URLs or version specifiers, which hold a dot, slash or colon."""
    return {t.lower() for t in literals(text) if not set("./\\:") & set(t)}


def is_literal(token: str) -> bool:
    """Whether a token is a file name, path, URL or identifier (``literals``): a word joined to another by one of
    ``[]=/\\_`` or a dot; an abbreviation, a number or two words either side of a slash aside. Or a package name,
    words joined by hyphens one of which mixes letters and digits ("python-is-python3", "python3-pip-whl"): unlike
    "client-server" or "state-of-the-art", it names one thing, which "the python3 package" is not."""
    plain = (_ABBREVIATION, _NUMBER, _WORD_PAIR)
    if _HYPHENED.fullmatch(token) and any(_IDENTIFIER.fullmatch(part) for part in token.split("-")):
        return True
    return bool(_LITERAL.search(token)) and not any(p.fullmatch(token) for p in plain)
