from hypothesis import given, settings
from hypothesis import strategies as st

from rag.text.sentences import is_title, split_sentences
from tests.samples import essay_text


def gap(text: str) -> bool:
    """Whether ``text`` may lie between two sentences: space, and the brackets of a parenthesis around sentences."""
    return all(c.isspace() or c in "()[]" for c in text)


def texts(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_essay_offsets_slice_every_sentence_exactly():
    essay = essay_text()
    spans = split_sentences(essay)
    assert len(spans) == 24
    for start, end in spans:
        sentence = essay[start:end]
        assert sentence == sentence.strip() and sentence.endswith(".")
    assert any("China’s trajectory" in essay[s:e] for s, e in spans)  # curly apostrophe kept inside the sentence
    joined = "".join(essay[s:e] for s, e in spans)
    assert joined.replace(" ", "") == "".join(essay.split())


def test_abbreviations_do_not_end_sentences():
    assert texts("The U.S. and Japan met, e.g. in Tokyo. Talks went on, i.e. for days. Mr. Abe left.") == [
        "The U.S. and Japan met, e.g. in Tokyo.",
        "Talks went on, i.e. for days.",
        "Mr. Abe left.",
    ]


def test_acronym_at_sentence_end_followed_by_new_sentence():
    assert texts("Japan trusts the U.S. The alliance holds.") == ["Japan trusts the U.S.", "The alliance holds."]


def test_decimals_and_curly_apostrophes():
    assert texts("Trade grew 3.5 percent in China’s ports. It’s 1.25 times more.") == [
        "Trade grew 3.5 percent in China’s ports.",
        "It’s 1.25 times more.",
    ]


def test_paragraph_breaks_end_sentences_even_without_punctuation():
    text = "# Heading\nFirst paragraph has no stop\n\nSecond one does. Yes!\n- a list item\n- another"
    assert texts(text) == [
        "# Heading",
        "First paragraph has no stop",
        "Second one does.",
        "Yes!",
        "- a list item",
        "- another",
    ]


def test_a_bare_yes_or_no_opens_the_sentence_after_it():
    # zlib's FAQ: "Yes." alone is no statement to cite; with what follows it, it answers "Is zlib thread-safe?".
    assert texts("Yes.  However the routines zlib uses must be thread-safe.  Of course, use one thread.") == [
        "Yes.  However the routines zlib uses must be thread-safe.",
        "Of course, use one thread.",
    ]
    assert texts("No, sorry.  You have to spawn a subprocess.\n\nYes.") == [
        "No, sorry.  You have to spawn a subprocess.",
        "Yes.",
    ]
    assert texts("No. Yesterday it rained.") == ["No. Yesterday it rained."]
    assert texts("A:  No.  Use 7-Zip for .7z files.") == ["A:  No.  Use 7-Zip for .7z files."]  # xz's FAQ
    assert texts("Nobody came. Yes, they left.") == ["Nobody came.", "Yes, they left."]


def test_a_parenthesis_around_several_sentences_is_left_out_of_both():
    text = "Run it. (This script is for bash. Fish users run activate.fish instead.) See (a) and [b]. Result (n=5)."
    assert texts(text) == [
        "Run it.",
        "This script is for bash.",
        "Fish users run activate.fish instead.",
        "See (a) and [b].",
        "Result (n=5).",
    ]


def test_a_bracketed_note_closing_a_paragraph_stays_with_its_sentence():
    # A quotation's attribution or a footnote mark is no sentence: cited alone it says nothing.
    text = '"We adopted it to serve predictions. [for Ludwig]"\n\nIt is among the fastest. (*)\n\nDone. (See below.)'
    assert texts(text) == [
        '"We adopted it to serve predictions. [for Ludwig]"',
        "It is among the fastest. (*)",
        "Done.",
        "(See below.)",  # a sentence of its own stays one
    ]


def test_symbols_closing_a_paragraph_stay_with_their_sentence():
    # Emoji after a README's last sentence are no sentence: cited alone they say nothing.
    text = "It is the FastAPI of CLIs. ⌨️ 🚀\n\nFast. --> 100%\n\nDone. → ✓"
    assert texts(text) == ["It is the FastAPI of CLIs. ⌨️ 🚀", "Fast.", "--> 100%", "Done. → ✓"]


def test_quotes_and_questions():
    assert texts('He said "Stop." Then he left? Sure.') == ['He said "Stop."', "Then he left?", "Sure."]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from(list("ab .?!\n\t’'\"US3,…)#-") + ["\n\n", "# ", "- ", "e.g.", "U.S."]), max_size=80).map(
        "".join
    )
)
def test_spans_are_ordered_disjoint_and_only_whitespace_between(text):
    spans = split_sentences(text)
    cursor = 0
    for start, end in spans:
        assert cursor <= start < end <= len(text)
        assert gap(text[cursor:start])
        assert text[start:end] == text[start:end].strip()
        cursor = end
    assert gap(text[cursor:])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_unicode_text_splits_into_exact_ordered_spans(text):
    cursor = 0
    for start, end in split_sentences(text):
        assert gap(text[cursor:start]) and start < end
        cursor = end
    assert gap(text[cursor:])


def test_a_title_run_into_the_text_is_told_from_a_statement_and_a_name():
    titles = ["Disclaimer of Warranty.", "Trademarks.", "Grant of Patent License.", "VERBATIM COPYING"]
    statements = ["It works.", "The alliance persists.", "Simon Josefsson", "Version ::= INTEGER", "Yes.", "END"]
    assert [is_title(t) for t in titles] == [True] * len(titles)
    assert [is_title(t) for t in statements] == [False] * len(statements)


def test_documents_keep_a_sentence_that_a_name_in_small_letters_follows_whole():
    text = "The module is called venv. venv will usually install the latest Python."
    assert [text[a:b] for a, b in split_sentences(text)] == [text]
    assert [text[a:b] for a, b in split_sentences(text, lower_starts=True)] == [
        "The module is called venv.",
        "venv will usually install the latest Python.",
    ]


def test_two_spaces_before_a_name_in_small_letters_open_a_documents_sentence():
    # man-db's FAQ: read as one sentence, "man uses catgets… man-db uses gettext" grounded "man-db uses catgets".
    text = "man uses the catgets system.  man-db uses gettext, which is robust.  e.g.  not a subject here."
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "man uses the catgets system.",
        "man-db uses gettext, which is robust.  e.g.  not a subject here.",
    ]
