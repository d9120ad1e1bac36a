"""Reading a model's draft into claims: its sentences (a semicolon's clauses, a line of code) without markers, and
its opening "Yes," or "No,"."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.text.sentences import split_sentences
from rag.text.words import content_words, negation_count, numbers

_ONE_MARKER = r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]"
# "[3]", "[2][7]", "[16], [22], [2]", "[2] and [3]"
_MARKER = re.compile(rf"\s*{_ONE_MARKER}(?:\s*[,;]?\s*(?:(?:and|or|&)\s+)?{_ONE_MARKER})*")


def strip_markers(text: str) -> str:
    """The answer text without ``[n]`` citation markers."""
    return _MARKER.sub("", text).strip()


_DANGLER = r"(?:is|are|was|were|be|been|at|in|of|to|from|by|see|the|a|an|with|on|for|under|via|as|than|into)"
_POINTING = re.compile(rf"\b({_DANGLER}){_MARKER.pattern}\s*(?=[.!?]|$)", re.IGNORECASE)
_POINTER = "⟨source⟩"


def _pointers_kept(line: str) -> str:
    """The line with each marker that stands where its sentence needs a word ("The latest version is [1][2].",
    "The policy is available at [2].") written as ``_POINTER``: a sentence that points at its sources instead of
    saying what they say, and reads cut short once its markers are gone."""
    return _POINTING.sub(rf"\1 {_POINTER}", line)


_REPORTING = r"(?:mention|state|say|note|explain|describe|highlight|indicate|show|suggest|emphasi[sz]e)s?"
_REPORTED = re.compile(rf"(^|[.!?]\s+|,\s+)(?:also\s+)?{_REPORTING}\s+(?:that\s+)?([A-Za-z])")


def _unreported(claim: str) -> str:
    """The claim with ". mentions that x" reduced to ". X", and ", mentions that x" to ", x": a model that names
    its sources by number makes one the subject of a sentence or clause ("[22] mentions that x", "Yes, [2] states
    that x"), which reads so once its marker is removed."""

    def mend(found: re.Match[str]) -> str:
        before, letter = found.group(1), found.group(2)
        return before + (letter if before.startswith(",") else letter.upper())

    return _REPORTED.sub(mend, claim)


_COMPLETE = re.compile(r"[.!?…][\"'”’)\]]*$")


_CODE_OPEN = re.compile(r"code:", re.IGNORECASE)  # the document prompt's own code form,
_CODE_CLOSE = re.compile(r"\[end of code \d+\]", re.IGNORECASE)  # which a model copies when it quotes code
CODE_SPAN = re.compile(r"`([^`\n]+)`")
_PROGRAM = re.compile(r"\.?/?[a-z][\w.+/-]*")  # "apt-get", "python3", "./configure"
_OPTION = re.compile(r"--?[A-Za-z][\w-]*(?:=\S*)?")  # "-y", "--enable-hashes=strong"


def _command(line: str) -> bool:
    """Whether a line the model wrote outside any code mark reads as a command: a program's name, then words of
    which one is an option, and no closing punctuation ("apt-get install -y dash git-core autoconf"). It is code,
    quoted as written or not at all: over GnuTLS's README a model wrote "apt-get install -y … gettext-devel
    automake patch", the Fedora line's packages after the Debian line's command."""
    tokens = line.split()
    tokens = tokens[1:] if tokens[:1] == ["$"] else tokens
    return (
        len(tokens) >= 2
        and _PROGRAM.fullmatch(tokens[0]) is not None
        and any(_OPTION.fullmatch(t) for t in tokens[1:])
        and not line.rstrip().endswith((".", "!", "?", ":", ";", ","))
    )


def _lines(answer: str) -> list[tuple[str, bool]]:
    """The answer's non-blank lines without markers, each with whether it is code: inside a ``` fence, inside the
    document prompt's "code:" ... "[end of code n]" form, wholly in backticks, or a ``_command``."""
    found: list[tuple[str, bool]] = []
    for n, segment in enumerate(answer.split("```")):
        if n % 2:  # fenced: the first line is the language, when more follow
            rows = segment.split("\n")
            found += [(row, True) for row in rows[1:]] if len(rows) > 1 else [(segment, True)]
            continue
        code = False
        for line in (strip_markers(_pointers_kept(line)) for line in segment.split("\n")):
            if _CODE_OPEN.fullmatch(line):
                code = True
            elif _CODE_CLOSE.fullmatch(line):
                code = False
            elif whole := CODE_SPAN.fullmatch(line):
                found.append((whole.group(1), True))
            elif _command(line):
                found.append((line, True))
            elif code:
                found.append((line, True))
            elif not (line[:1].islower() and found and found[-1][1]):  # not the rest of a sentence around code
                found.append((line, False))
    found = [(_unticked(line) if code or line.count("`") % 2 else line.strip(), code) for line, code in found]
    return [(line, code) for line, code in found if line]


def _unticked(line: str) -> str:
    """The line without the backticks at its ends: code's marks, or a stray one left by a fence. A line of prose
    keeps the backticks that close its code spans ("CFLAGS=`xslt-config --cflags`")."""
    return line.strip().strip("`").strip()


def _closes_code(claim: str) -> bool:
    """Whether the claim ends by closing a code span: whole, though no stop follows ("CFLAGS=`xslt-config
    --cflags` LIBS=`xslt-config --libs`")."""
    return claim.endswith("`") and claim.count("`") % 2 == 0


_SEMICOLON = re.compile(r"(?<=;)\s+")
CLAUSE_WORDS = 4
"""Fewest content words a clause between semicolons needs to be a claim of its own; a shorter one ("fast;
simple; small") stays with the clause before it."""


def _clauses_of(sentence: str) -> list[str]:
    """A sentence split after its semicolons into the clauses it joins, each a claim of its own: "You must give
    recipients a copy of this License; and you must cause modified files to carry notices; …" states as many
    facts as it has clauses, each from its own source, and a model that runs out of tokens in the last one has
    still written the others whole."""
    clauses: list[str] = []
    for part in _SEMICOLON.split(sentence):
        if clauses and (len(content_words(part)) < CLAUSE_WORDS or len(content_words(clauses[-1])) < CLAUSE_WORDS):
            clauses[-1] = f"{clauses[-1]} {part}"
        else:
            clauses.append(part)
    return clauses


def claims_of(answer: str) -> list[str]:
    """The answer's sentences, markers removed, blanks dropped; a final sentence cut off mid-way is dropped too.

    Every line is a sentence of its own: a model puts a command it quotes on a line of its own, often with no
    blank line around it. A line of code is one claim, in backticks, so that it must be quoted as written."""
    lines = _lines(answer)
    lines = [(line if code else _unreported(line), code) for line, code in lines]  # then split: ". X" ends one
    claims = [(f"`{line}`", True) if code else (clause, False) for line, code in lines
              for s, e in ([(0, len(line))] if code else split_sentences(line, lower_starts=True))
              for clause in ([line] if code else _clauses_of(line[s:e].strip()))]  # fmt: skip
    claims = [(text, code) for text, code in claims if content_words(text)]
    last, code = claims[-1] if claims else ("", True)
    if not code and not _COMPLETE.search(last) and not _closes_code(last) and not answer.rstrip().endswith("]"):
        if not (len(lines) > 1 and lines[-2][0].endswith(":") and lines[-1][0] == claims[-1][0]):
            claims.pop()  # cut off where the model ran out of tokens; code, or a line after a colon, is whole
    return [text for text, _ in claims if _POINTER not in text]  # one that points says nothing


def about_sources(claim: str) -> bool:
    """Whether the claim is about the numbered sentences the model read, which the reader never sees ("These
    sentences show that…", "The sentences most relevant to the question are…"), or about the question ("The
    question asks why…"): it states nothing of the documents as they are written, and fails as a claim (its
    sources are still where the draft drew from)."""
    return _ABOUT_SOURCES.match(claim) is not None


_ABOUT_SOURCES = re.compile(
    r"(?:these|those|both|all(?: of the)?|the (?:above|given|provided|cited|numbered|listed|relevant))\s+"
    r"(?:two\s+|three\s+|four\s+)?(?:numbered\s+)?(?:sentences|sources|passages|excerpts)\b"
    r"(?!\s+(?:of|for|from|in|on|at|to|with|and|or)\b)"
    r"|the (?:sentences|sources|passages|excerpts) (?:most relevant|above|provided|given|cited|listed)\b"
    r"|the (?:user's )?question (?:asks|is asking|is about)\b",
    re.IGNORECASE,
)


_OPENER = re.compile(rf"\s*(?:{_ONE_MARKER}\s*)*(?:A[:.]\s*)?(yes|no)\s*[,.!;:—–-]+\s*", re.IGNORECASE)
"""An opening "Yes," or "No,", after any markers the model set before it ("[2] No, it is not automated…"), or
after the "A:" or "A." of a FAQ's answer ("A:  No.  Use 7-Zip…", "A. Yes. The release managers…")."""
_WITHOUT = re.compile(r"\bwithout\b", re.IGNORECASE)


def settled_opener(answer: str, question: str, written: Sequence[str] = ()) -> str:
    """The answer with its opening "Yes," made "No," when the sentence after it says no: "Yes, the database is NOT
    intended to store preferences" to "Is the database meant to store preferences?" is "No, the database is NOT…",
    the documents' own answer once that sentence is verified (``verified_no``). An opening "No," before a sentence
    that says yes goes, and no "Yes," takes its place: "No, use --disable-static-ids" answers no yes. Judged only
    for a question with no negation of its own ("Doesn't it…?" is answered "Yes, it does" and "No, it doesn't"
    alike), by the negations of that sentence (``negation_count``: "not", "never", a negating verb as "avoid" or
    "reject"): "yes" asks for none (or an even number), "no" for one. A "without" in the question is no negation
    of what it asks ("Is foo.bar.local resolved without an mdns.allow file?"), nor one in the answer. A
    sentence that writes numbers, none of them one the question asks about, says "no" as a negation does ("Does
    it hold Node.js 20?": "Yes, it contains Node.js 18." or "No, it contains Node.js 18."). An opener and statement
    that one of the ``written`` sentences opens with as they stand are the document's own answer, and kept as they
    are. The statement is kept, to be grounded as any other."""
    found = _OPENER.match(answer)
    withouts = len(_WITHOUT.findall(question))
    if found is None or negation_count(question) > withouts:
        return answer
    rest = answer[found.end() :]
    spans = split_sentences(rest)
    if not spans:
        return answer
    statement = strip_markers(rest[: spans[0][1]])
    if any(opener(text) == found.group(1).lower() and _opens_as(without_opener(text), statement) for text in written):
        return answer  # the document's own answer, as written: a FAQ's "No.  Please read the license in zlib.h."
    if withouts:  # "Can it run without root?": "Yes, it runs without root" echoes the question's own "without"
        statement = _WITHOUT.sub(" ", statement)
    asked, stated = numbers(question), numbers(statement)
    other = bool(asked and stated) and not asked & stated  # numbers, none of them the one asked about
    says_no = says_no_to(statement, question) or other
    if says_no == (found.group(1).lower() == "no"):
        return answer
    if says_no:
        return f"No, {rest}"
    first = rest.split(maxsplit=1)[0] if rest.strip() else ""
    return rest if not first.isalpha() else rest[:1].upper() + rest[1:]  # "foo.bar.local" is a name, kept as written


def _opens_as(text: str, statement: str) -> bool:
    """Whether the text opens with the statement, but for spacing and case."""
    return " ".join(text.split()).lower().startswith(" ".join(statement.split()).lower().rstrip(". "))


_CONJUNCT = re.compile(
    r";\s*|,?\s+and\s+(?=(?:should|must|will|can|may|is|are|was|were|has|have|does|do)\b)|,?\s+but\s+", re.IGNORECASE
)
"""Where a statement goes on to say something more of its subject: "…is not supported and should be disabled", or
something else: "…must be defined outside the class body, but no diagnostic is required"."""


def says_no_to(statement: str, question: str) -> bool:
    """Whether the statement answers the question "no": the part of it that answers (``_answering``) negates an odd
    number of times (``negation_count``)."""
    return negation_count(_answering(statement, question)) % 2 == 1


def _answering(statement: str, question: str) -> str:
    """The part of the statement that answers the question: of the parts it joins with "and" before another verb, a
    "but" or a semicolon (``_CONJUNCT``), the first that shares a word with the question (the whole statement when
    none does). Its negations say yes or no; the next part's say something else: "Userspace firmware loading is not
    supported and should be disabled in the kernel" answers "Is it supported?" no, though it negates twice."""
    asked = content_words(question)
    return next((part for part in _CONJUNCT.split(statement) if content_words(part) & asked), statement)


def without_opener(text: str) -> str:
    """The text without an opening "Yes," or "No,": the statement it answers with."""
    return text[found.end() :] if (found := _OPENER.match(text)) else text


def opener(text: str) -> str | None:
    """The text's opening "yes" or "no" ("Yes,", "No.", in small letters), or None."""
    found = _OPENER.match(text)
    return found.group(1).lower() if found else None


def answers_no(answer: str) -> bool:
    """Whether the answer opens with "No,"."""
    return _opens_with(answer, "no")


def answers_yes(answer: str) -> bool:
    """Whether the answer opens with "Yes,"."""
    return _opens_with(answer, "yes")


def _opens_with(answer: str, word: str) -> bool:
    return opener(answer) == word
