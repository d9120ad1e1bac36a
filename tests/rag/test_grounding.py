"""Grounding modes, diversity of the chosen sources, and context for sentences that lean on the one before."""

from __future__ import annotations

from collections.abc import Callable

from rag.answer import Pipeline
from rag.answer.claims import about_sources, answers_no, claims_of, settled_opener, strip_markers, without_opener
from rag.answer.compose import LIST_GOES_ON, compose, extractive_claims, with_code_introduced, with_introduced
from rag.answer.facts import foreign, quotes
from rag.answer.grounding import Claim, coverage, ground, said_around, verified_no
from rag.answer.polarity import asserted_alike
from rag.answer.select import as_written, narrowly_missed, near_question, unknown_facts
from rag.retrieval.retrieve import LISTED, diversify, with_context
from rag.store.embeddings import HashEmbeddings
from rag.store.keyword import KeywordIndex
from rag.text.words import (
    abbreviations,
    counts,
    defaults,
    literals,
    named_literals,
    negations,
    number_pairs,
    stem,
    words,
)
from rag.types import ScoredSentence, Sentence
from tests.samples import DOMAINS


def sentence(i: int, text: str) -> Sentence:
    return Sentence(id=f"s{i}", source="doc.txt", text=text, start=i * 10, end=i * 10 + 5, index=i)


def _vectors(candidates: list[Sentence]) -> dict[str, list[float]]:
    return dict(zip([s.id for s in candidates], HashEmbeddings().embed_documents([s.text for s in candidates])))


def grounded(
    draft: str,
    candidates: list[Sentence],
    min_support: float = 0.3,
    unmentioned: frozenset[str] = frozenset(),
    given: frozenset[str] = frozenset(),
    min_similarity: float = 0.0,
) -> list[Claim]:
    """The draft's claims grounded on the candidates, embedded by the hashing fake."""
    embeddings = HashEmbeddings()
    vectors = dict(zip([s.id for s in candidates], embeddings.embed_documents([s.text for s in candidates])))
    return ground(
        draft, candidates, embeddings, vectors, min_support, given=given, unmentioned=unmentioned,
        min_similarity=min_similarity,
    )  # fmt: skip


def test_names_the_documents_never_mention_are_given_as_the_question_writes_them():
    assert as_written("Does South Korea, Japan or India's navy matter?", {"korea", "india"}) == ["South Korea", "India"]
    assert as_written("What does pipenv’s Pipfile.lock add?", {"pipfile", "lock"}) == ["Pipfile.lock"]
    assert as_written("How do they deal with the People's Republic?", {"republic"}) == ["People's Republic"]
    assert as_written("What does Japan add?", {"korea"}) == []


def test_a_claim_repeating_a_name_only_the_question_gives_fails_but_keeps_its_support():
    asean = sentence(0, "They court the ASEAN countries to counterbalance China's ambitions.")
    draft = "They court the Southeast countries to counterbalance China's ambitions."
    (plain,) = grounded(draft, [asean])
    (claim,) = grounded(draft, [asean], unmentioned={"southeast"})
    assert plain.support == 0 and plain.foreign == {"southeast"} and not plain.supported
    assert claim.support > 0.5 and claim.unmentioned == {"southeast"} and not claim.supported
    assert narrowly_missed([claim], lambda c: True, 0.5) == (asean,)  # so its source is what the fallback quotes
    (invented,) = grounded(draft.replace("ambitions", "ambitions in Canberra"), [asean], unmentioned={"southeast"})
    assert invented.support == 0 and invented.unmentioned == {"southeast"}  # another unknown name still sinks it


def test_lenient_mode_keeps_unsupported_sentences_marked(essay_store, essay_settings, scripted):
    invented = "The alliance was signed by Churchill on the Moon."
    scripted.enqueue(f"{DOMAINS} [1] {invented}")
    lenient = Pipeline(essay_store, scripted, essay_settings.model_copy(update={"grounding": "lenient"}))
    answer = lenient.answer("Which new domains do Japan and the US collaborate in?")
    assert f"{invented} [unsupported]" in answer.answer and answer.dropped == [invented]
    assert [s.citations for s in answer.sentences] == [[1], []]


def test_strict_mode_never_shows_unsupported_sentences(pipeline, scripted):
    scripted.enqueue(f"{DOMAINS} [1] The alliance was signed by Churchill on the Moon.")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert "Churchill" not in answer.answer and all(s.citations for s in answer.sentences)


def test_every_citation_and_sentence_carries_a_support_score(pipeline, scripted):
    scripted.enqueue(f"{DOMAINS} [3]")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert all(0 <= c.support <= 1 for c in answer.citations) and answer.citations[0].support > 0.9
    assert all(0 <= s.support <= 1 for s in answer.sentences)


def test_diversify_skips_a_near_duplicate():
    a, b, c = sentence(0, "a"), sentence(1, "b"), sentence(2, "c")
    hits = [
        ScoredSentence(sentence=a, score=0.9),
        ScoredSentence(sentence=b, score=0.89),
        ScoredSentence(sentence=c, score=0.7),
    ]
    vectors = {"s0": [1.0, 0.0], "s1": [1.0, 0.0], "s2": [0.0, 1.0]}
    assert [h.sentence.id for h in diversify(hits, vectors, 2, 0.7)] == ["s0", "s2"]
    assert [h.sentence.id for h in diversify(hits, vectors, 2, 1.0)] == ["s0", "s1"]


def test_diversify_marks_each_rankings_first_whatever_its_cosine():
    # s3 is BM25's first: it shares the question's words, though its embedding is the least like the question's.
    a, b, c, d = (sentence(i, t) for i, t in enumerate("abcd"))
    hits = [
        ScoredSentence(sentence=a, score=0.7, leads=True),
        ScoredSentence(sentence=b, score=0.72),
        ScoredSentence(sentence=c, score=0.6),
        ScoredSentence(sentence=d, score=0.5, leads=True),
    ]
    vectors = {"s0": [1.0, 0.0], "s1": [0.0, 1.0], "s2": [0.6, 0.8], "s3": [0.8, 0.6]}
    assert [h.sentence.id for h in diversify(hits, vectors, 3, 0.7)] == ["s0", "s3", "s1"]
    assert [h.sentence.id for h in diversify(hits, vectors, 1, 0.7)] == ["s0"]  # retrieval's first comes first
    unled = [h.model_copy(update={"leads": False}) for h in hits]
    assert "s3" not in [h.sentence.id for h in diversify(unled, vectors, 3, 0.7)]


def test_a_sentence_that_leans_back_brings_the_one_before():
    first, second, third = sentence(0, "China grew."), sentence(1, "This worried Japan."), sentence(2, "Trade rose.")
    index = KeywordIndex([first, second, third])
    chosen = [ScoredSentence(sentence=second, score=0.8), ScoredSentence(sentence=third, score=0.5)]
    assert [s.id for s in with_context(chosen, index)] == ["s0", "s1", "s2"]


def test_a_context_window_gives_each_source_its_neighbours_once_in_document_order():
    s = [sentence(i, text) for i, text in enumerate(["Ann sat.", "Bo ran.", "Cy hid.", "Di sang.", "Ed ate."])]
    index = KeywordIndex(s)
    chosen = [ScoredSentence(sentence=s[3], score=0.9), ScoredSentence(sentence=s[1], score=0.5)]
    assert [x.id for x in with_context(chosen, index, window=1)] == ["s2", "s3", "s4", "s0", "s1"]
    assert [x.id for x in with_context(chosen, index, window=0)] == ["s3", "s1"]


def following_in(document: list[Sentence]) -> Callable[[Sentence], Sentence | None]:
    """The sentence after each one of ``document`` (indexed by position), as the keyword index gives it."""

    def following(s: Sentence) -> Sentence | None:
        return document[s.index + 1] if s.index + 1 < len(document) else None

    return following


def test_a_cited_sentence_that_introduces_code_brings_the_code_along():
    def unit(i: int, text: str, code: bool = False) -> Sentence:
        return Sentence(id=f"u{i}", source="README.md", text=text, start=i, end=i + 1, index=i, code=code)

    document = [unit(0, "Install it with pip:"), unit(1, "pip install tern", code=True), unit(2, "Then run it:"),
                unit(3, "It listens on a port."), unit(4, "Done.")]  # fmt: skip

    following = following_in(document)

    claims = [
        Claim("Install it with pip.", (document[0],), 0.9, (0.8,)),
        Claim("Run it.", (document[2],), 0.9, (0.7,)),  # followed by prose, not code
        Claim("The command.", (document[0], document[1]), 0.9, (0.8, 0.6)),  # already cites it
    ]
    shown = with_introduced(claims, following)
    assert [c.text for c in shown[0].sources] == ["Install it with pip:", "pip install tern"]
    assert shown[0].source_support == (0.8, 0.8)
    assert shown[1].sources == (document[2],)
    assert shown[2].sources == (document[0], document[1])


def test_an_answer_of_code_alone_comes_after_the_sentence_that_introduces_the_code():
    # zstd's CONTRIBUTING.md: "How do I run a quick local test?" was answered "`make staticAnalyze`" alone.
    def unit(i: int, text: str, code: bool = False) -> Sentence:
        return Sentence(id=f"u{i}", source="CONTRIBUTING.md", text=text, start=i, end=i + 1, index=i, code=code)

    document = [unit(0, "To check the static analysis locally, run:"), unit(1, "make staticAnalyze", code=True),
                unit(2, "Quick checks are cheap."), unit(3, "make shortest", code=True)]  # fmt: skip
    by_index = {s.index: s for s in document}

    def preceding(sentence: Sentence) -> Sentence | None:
        return by_index.get(sentence.index - 1)

    alone = [Claim("`make staticAnalyze`", (document[1],), 0.9, (0.9,))]
    shown = with_code_introduced(alone, preceding)
    assert [c.text for c in shown] == ["To check the static analysis locally, run:", "`make staticAnalyze`"]
    assert shown[0].sources == (document[0],) and shown[0].supported
    told = [Claim("Run the checks.", (document[2],), 0.9, (0.9,)), *alone]  # prose of its own: left as it is
    assert with_code_introduced(told, preceding) == told
    bare = [Claim("`make shortest`", (document[3],), 0.9, (0.9,))]  # the sentence before leads in to nothing
    assert with_code_introduced(bare, preceding) == bare


def listed_document(items: list[list[str]], intro: str = "It serves these formats:") -> list[Sentence]:
    """An introducing sentence, the list items' sentences (an item's sentences one space apart, items a break
    apart, as the loaders write them), then a paragraph."""
    texts = [(intro, False), *((t, True) for item in items for t in item), ("Every request is logged.", False)]
    starts, cursor = [], 0
    for n, item in enumerate([[intro], *items, ["Every request is logged."]]):
        for k, text in enumerate(item):
            cursor += (1 if k else 4) if n else 0
            starts.append(cursor)
            cursor += len(text)
    return [
        Sentence(id=f"l{i}", source="a.md", text=t, start=st, end=st + len(t), index=i, item=item)
        for i, ((t, item), st) in enumerate(zip(texts, starts))
    ]


def test_a_cited_sentence_that_introduces_a_list_brings_its_items_each_on_a_line_of_its_own():
    document = listed_document([["HTML pages."], ["CSS files.", "They are cached."], ["Images."]])

    following = following_in(document)

    shown = with_introduced([Claim("It serves several formats.", (document[0],), 0.9, (0.7,))], following)
    assert [c.text for c in shown] == [
        "It serves several formats.", "HTML pages.", "CSS files. They are cached.", "Images."
    ]  # fmt: skip
    assert shown[2].sources == (document[2], document[3]) and shown[2].source_support == (0.7, 0.7)
    after = Claim("Every request is logged.", (document[-1],), 0.9, (0.9,))
    answer = compose([*shown, after], {}, [], "generated")
    assert answer.answer == (
        "It serves several formats. [1]\n- HTML pages. [2]\n- CSS files. They are cached. [3][4]\n- Images. [5]"
        "\n\nEvery request is logged. [6]"
    )
    assert [c.item for c in answer.citations] == [False, True, True, True, True, False]
    copied = compose([after, Claim("Images.", (document[4],), 0.9, (0.9,))], {}, [], "generated")
    assert copied.answer == "Every request is logged. [1] Images. [2]"  # an item the model wrote is not listed
    # an item the answer already cites is not quoted twice; a sentence that introduces nothing brings nothing
    again = with_introduced([Claim("Images too.", (document[4],), 0.9, (0.8,)), *shown[:1]], following)
    assert [c.text for c in again] == ["Images too.", "It serves several formats.", "HTML pages.",
                                       "CSS files. They are cached."]  # fmt: skip


def test_the_models_own_items_of_a_list_it_introduces_are_written_in_the_documents_order_with_the_quoted_ones():
    document = listed_document([["HTML pages."], ["CSS files."], ["Images."]])

    following = following_in(document)

    drafted = [
        Claim("It serves these formats:", (document[0],), 0.9, (0.9,)),
        Claim("Images.", (document[3],), 0.9, (0.9,)),
        Claim("HTML pages.", (document[1],), 0.9, (0.9,)),
        Claim("Every request is logged.", (document[4],), 0.9, (0.9,)),
    ]
    answer = compose(with_introduced(drafted, following), {}, [], "generated")
    assert answer.answer == (
        "It serves these formats: [1]\n- HTML pages. [2]\n- CSS files. [3]\n- Images. [4]"
        "\n\nEvery request is logged. [5]"
    )  # not the quoted item first and the model's after it, nor the model's as a paragraph after the list
    bulleted = [drafted[0], Claim("- Images.", (document[3],), 0.9, (0.9,))]
    assert compose(with_introduced(bulleted, following), {}, [], "generated").answer.split("\n")[1:] == [
        "- HTML pages. [2]", "- CSS files. [3]", "- Images. [4]"
    ]  # fmt: skip


def test_the_models_own_sentences_of_one_item_stay_in_its_bullet():
    # git's README: an item of two sentences ("random three-letter combination… The fact that it is a
    # mispronunciation of "get" may or may not be relevant."), copied by the model one sentence per line.
    document = listed_document([["A random combination.", "It may be a pun."], ["Stupid."]])

    following = following_in(document)

    drafted = [
        Claim("He described the name as:", (document[0],), 0.9, (0.9,)),
        Claim("A random combination.", (document[1],), 0.9, (0.9,)),
        Claim("It may be a pun.", (document[2],), 0.9, (0.9,)),
    ]
    answer = compose(with_introduced(drafted, following), {}, [], "generated")
    assert answer.answer.split("\n") == [
        "He described the name as: [1]", "- A random combination. [2] It may be a pun. [3]", "- Stupid. [4]"
    ]  # fmt: skip


def test_items_of_a_list_that_share_their_words_are_no_repetition():
    files = [
        sentence(0, "The files created are:"),
        sentence(1, "globs (contains a mapping from names to MIME types)"),
        sentence(2, "globs2 (contains a mapping from names to MIME types and glob weight)"),
        sentence(3, "<MIME>/aliases (contains a mapping from aliases to MIME types)"),
    ]
    draft = "".join(f"{s.text} [{n}]\n" for n, s in enumerate(files, 1))
    assert [c.sources for c in grounded(draft, files)] == [(s,) for s in files]
    assert len(grounded(draft + "The files created are mapping names to types. [1]", files)) == 4  # this one is


def test_a_sentence_that_speaks_of_the_following_introduces_the_list_after_it():
    def brought(intro: str) -> list[str]:
        document = listed_document([["The mailing list."], ["The blog."]], intro=intro)
        index = KeywordIndex(document)
        return [c.text for c in with_introduced([Claim(intro, (document[0],), 0.9, (0.9,))], index.following)][1:]

    assert brought("Notices go out via the following methods.") == ["The mailing list.", "The blog."]
    assert brought("Notices are sent as follows.") == ["The mailing list.", "The blog."]
    assert brought("Notices go out by mail.") == []


def test_a_long_list_brings_at_most_listed_items_says_it_goes_on_and_the_retrieved_prompt_gets_them_too():
    document = listed_document([[f"Format {n}."] for n in range(LISTED + 5)])
    index = KeywordIndex(document)
    brought = with_introduced([Claim("It serves formats.", (document[0],), 0.9, (0.7,))], index.following)
    assert len(brought) == 1 + LISTED and [c.cut for c in brought] == [False] * LISTED + [True]
    lines = compose(brought, {}, [], "generated").answer.split("\n")
    assert lines[-2:] == [f"- Format {LISTED - 1}. [{LISTED + 1}]", f"- {LIST_GOES_ON}"]
    whole = listed_document([[f"Format {n}."] for n in range(LISTED)])  # as long as it brings: not cut
    shown = with_introduced([Claim("It serves formats.", (whole[0],), 0.9, (0.7,))], KeywordIndex(whole).following)
    assert LIST_GOES_ON not in compose(shown, {}, [], "generated").answer
    # nor when its last item is quoted already, before the list
    last = Claim(whole[LISTED].text, (whole[LISTED],), 0.9, (0.9,))
    shown = with_introduced(
        [last, Claim("It serves formats.", (whole[0],), 0.9, (0.7,))], KeywordIndex(whole).following
    )
    assert len(shown) == 1 + 1 + LISTED - 1 and LIST_GOES_ON not in compose(shown, {}, [], "generated").answer
    chosen = [ScoredSentence(sentence=document[0], score=0.8)]
    for window in (0, 1):
        sources = with_context(chosen, index, window)
        assert [s.text for s in sources] == ["It serves these formats:", *(f"Format {n}." for n in range(LISTED))]
    plain = [ScoredSentence(sentence=document[-1], score=0.8)]  # a sentence that introduces nothing
    assert [s.text for s in with_context(plain, index)] == ["Every request is logged."]


def test_every_line_of_a_draft_is_a_sentence_and_a_command_after_a_colon_is_whole():
    draft = "To create one, run:\n```\npython3 -m venv tutorial-env\n```\nThis makes the folder. It also cop"
    assert claims_of(draft) == ["To create one, run:", "`python3 -m venv tutorial-env`", "This makes the folder."]
    assert claims_of("Run:\n`python3 -m venv env`") == ["Run:", "`python3 -m venv env`"]  # ends the draft, complete
    assert claims_of("It holds:\nthe interpreter and its packages") == ["It holds:", "the interpreter and its packages"]
    # A line that reads as a command is code, quoted as written or not at all, whatever marks it lacks: over
    # GnuTLS's README the model wrote the Debian line's command with the Fedora line's packages.
    assert claims_of("Run:\npython3 -m venv env") == ["Run:", "`python3 -m venv env`"]
    assert claims_of("$ apt-get install -y dash git-core [1]\nUse -j to run jobs.") == [
        "`$ apt-get install -y dash git-core`", "Use -j to run jobs."]  # fmt: skip
    assert claims_of("Install it with pip install novas.") == ["Install it with pip install novas."]
    assert claims_of("The alliance persists because of shared") == []  # cut off where the tokens ran out
    # libxslt's FAQ sets its flags in code spans inside a line of prose: the line keeps the backtick that closes
    # one, and a draft that ends on one is whole.
    flags = "Use the flags:\nCFLAGS=`xslt-config --cflags`\nLIBS=`xslt-config --libs`"
    assert claims_of(flags) == ["Use the flags:", "CFLAGS=`xslt-config --cflags`", "LIBS=`xslt-config --libs`"]
    assert claims_of("Ask xslt-config. LIBS=`xslt-config --libs`") == ["Ask xslt-config.", "LIBS=`xslt-config --libs`"]
    assert claims_of("Run `make` and then") == []  # no code span closes it


def test_markers_joined_by_and_are_one_group_and_a_sentence_pointing_at_them_says_nothing():
    # libffi's README: "This is supported by [2] and [3]." had been shown as "This is supported by and. [2]".
    draft = "Yes, libffi handles type conversions. This is supported by [2] and [3]."
    assert claims_of(draft) == ["Yes, libffi handles type conversions."]
    assert claims_of("Tokyo and Washington agree [1] and [2].") == ["Tokyo and Washington agree."]
    assert claims_of("Use pip [1] and venv [2].") == ["Use pip and venv."]  # words between: two places cited


def test_a_claim_about_the_numbered_sentences_fails_and_one_about_sources_in_the_document_does_not():
    exercises = sentence(0, "Joint military exercises are testament to their unified approach towards peace.")
    (meta,) = grounded("These sentences show that joint military exercises are testament to peace.", [exercises])
    (plain,) = grounded("Joint military exercises are testament to their unified approach towards peace.", [exercises])
    assert meta.support == 0 and not meta.supported and meta.sources == (exercises,) and plain.supported
    assert about_sources("The sentences most relevant to the question are.")
    assert about_sources("Both sources agree that it is so.")
    assert about_sources("The question asks why variables like `$var` are not expanded in a `sed` script.")
    assert not about_sources("The sources of funding are taxes.") and not about_sources("The sources are rivers.")


def test_a_draft_sentence_may_open_with_a_name_in_small_letters():
    # libxml2's README, asked "Is libiconv required on Linux?": run into the next sentence, the false first one
    # passed on the words of both.
    draft = "Yes, libiconv is required on Linux. libiconv is a character encoding conversion library. [1]"
    assert claims_of(draft) == [
        "Yes, libiconv is required on Linux.",
        "libiconv is a character encoding conversion library.",
    ]
    assert claims_of("Pass it, e.g. foo is one. [1]") == ["Pass it, e.g. foo is one."]  # an abbreviation's period
    run = "Run the tests. make check runs them."
    assert claims_of(run) == [run]  # no verb of the list after the name
    # fontconfig's guide writes "…is deprecated now. it will not be read…": a pronoun is no name.
    assert claims_of("It is deprecated now. it will not be read. [3]") == ["It is deprecated now. it will not be read."]


def test_a_source_named_as_the_subject_of_a_sentence_leaves_no_dangling_verb():
    # "[22] mentions that x", its marker removed, would read "mentions that x" after the sentence before it, and
    # run on from it: each is a sentence of its own, grounded on its own.
    draft = "Yes, it helps. [22] mentions that the strategy bolsters the alliance. [20] also highlights trade ties."
    assert claims_of(draft) == ["Yes, it helps.", "The strategy bolsters the alliance.", "Trade ties."]
    assert claims_of("It stores them. [6] mentions that LLM stores embeddings. [3] states that Tokyo agreed.") == [
        "It stores them.", "LLM stores embeddings.", "Tokyo agreed."]  # fmt: skip
    assert claims_of("The report shows that trade grew. It states growth.") == [
        "The report shows that trade grew.", "It states growth."]  # fmt: skip
    # The same inside a sentence, and where the source opens the answer.
    assert claims_of("Yes, [2] mentions that trade grew.") == ["Yes, trade grew."]
    assert claims_of("Use a hidden folder, [14] mentions the .venv directory.") == [
        "Use a hidden folder, the .venv directory."
    ]
    assert claims_of("[13] notes that ties deepened.") == ["Ties deepened."]


def test_code_written_in_the_document_prompts_own_form_is_read_as_code():
    # The document prompt shows code as "[n] code:" ... "[end of code n]"; a model copies that form.
    draft = "For the fish shell, run:\ncode:\nsource env/bin/activate.fish\n[end of code 24]\n[23] in your shell."
    assert claims_of(draft) == ["For the fish shell, run:", "`source env/bin/activate.fish`"]
    fenced = "Install them all:\n```bash\npip install -r requirements.txt\n```"  # the language line is not code
    assert claims_of(fenced) == ["Install them all:", "`pip install -r requirements.txt`"]


def test_a_command_the_sources_do_not_hold_as_written_is_not_supported_however_it_is_written():
    block = Sentence(id="b", source="venv.html", text="$ source env/bin/activate", start=0, end=1, index=0, code=True)
    note = Sentence(id="n", source="venv.html", text="There is an activate.fish script for the fish shell.",
                    start=1, end=2, index=1)  # fmt: skip
    embeddings = HashEmbeddings()
    vectors = dict(zip("bn", embeddings.embed_documents([block.text, note.text])))
    for draft in ("code:\nsource env/bin/activate.fish\n[end of code 1]", "```\nsource env/bin/activate.fish\n```"):
        (claim,) = ground(draft, [block, note], embeddings, vectors, min_support=0.3)
        assert claim.foreign == {"`source env/bin/activate.fish`"} and not claim.supported
    (quoted,) = ground("```\nsource env/bin/activate\n```", [block, note], embeddings, vectors, min_support=0.3)
    assert quoted.supported and quoted.sources[0] == block


def test_a_failed_draft_that_copied_one_code_block_exactly_quotes_that_block():
    # The prose around the command fails verification; the command, copied as written, names the block it came from.
    why = sentence(0, "Applications sometimes need a specific version of a library.")
    pin = Sentence(id="c1", source="doc.txt", text="(env) $ python -m pip install requests==2.6.0", start=1, end=2,
                   index=1, code=True)  # fmt: skip
    other = Sentence(id="c2", source="doc.txt", text="(env) $ python -m pip install novas", start=2, end=3, index=2,
                     code=True)  # fmt: skip
    embeddings = HashEmbeddings()
    candidates = [why, pin, other]
    vectors = dict(zip(("s0", "c1", "c2"), embeddings.embed_documents([s.text for s in candidates])))
    hits = [ScoredSentence(sentence=why, score=0.6)]

    def fallback(draft: str) -> list[str]:
        drafted = ground(draft, candidates, embeddings, vectors, min_support=0.99)
        assert not any(c.supported for c in drafted)
        return [c.sources[0].id for c in extractive_claims(drafted, hits, relevant={"s0"})]

    assert fallback("To get exactly that release, use `python -m pip install requests==2.6.0` right away.") == ["c1"]
    # Code that several blocks hold names none of them: the usual fallback quotes what retrieval ranked.
    assert fallback("To get exactly that release, use `python -m pip install` right away.") == ["s0"]


def test_a_quoted_code_block_comes_after_the_sentence_that_introduces_it():
    # apt's README: "There is an extensive integration test suite available which can be run via:", then the command.
    intro = sentence(0, "There is an extensive integration test suite available which can be run via:")
    block = Sentence(id="c1", source="doc.txt", text="$ ./test/integration/run-tests", start=80, end=110, index=1,
                     code=True)  # fmt: skip
    candidates = [intro, block]
    embeddings = HashEmbeddings()
    vectors = dict(zip(("s0", "c1"), embeddings.embed_documents([s.text for s in candidates])))
    drafted = ground(
        "Use the command `./test/integration/run-tests` to run them.", candidates, embeddings, vectors, 0.99
    )
    assert drafted[0].copied == (block,) and not drafted[0].supported
    hits = [ScoredSentence(sentence=block, score=0.6)]

    def before(s: Sentence) -> Sentence | None:
        return intro if s is block else None

    def after(s: Sentence) -> Sentence | None:
        return block if s is intro else None

    quoted = extractive_claims(drafted, hits, {"c1"}, preceding=before)
    assert [c.sources for c in quoted] == [(intro,), (block,)]
    assert compose(with_introduced(quoted, after), {}, [], "extractive").answer == (
        "There is an extensive integration test suite available which can be run via: [1]\n"
        "$ ./test/integration/run-tests [2]"
    )  # the block on a line of its own, cited once
    assert [c.sources for c in extractive_claims(drafted, hits, {"c1"})] == [(block,)]  # none known: the code alone


def failed_claim(text: str, source: Sentence, support: float) -> Claim:
    """A claim that failed verification, aligned to ``source`` alone at ``support``."""
    return Claim(text=text, sources=(source,), support=support, source_support=(support,), supported=False)


def test_the_fallback_quotes_first_the_sentence_a_narrowly_failed_answer_came_from():
    name, hidden, other = (sentence(i, t) for i, t in enumerate(("A usual name is .venv.", "It stays hidden.", "Pip.")))
    failed = [failed_claim("The name is .venv.", name, 0.7), failed_claim("It stays hidden.", hidden, 1.0)]
    hits = [ScoredSentence(sentence=other, score=0.6)]

    def quoted(relevant: set[str], answered: tuple[Sentence, ...]) -> list[str]:
        return [c.sources[0].id for c in extractive_claims(failed, hits, relevant, answered)]

    assert quoted({"s1"}, (name,)) == ["s0", "s1"]
    assert quoted(set(), (name,)) == ["s0", "s2"]  # nothing drawn that retrieval marked: retrieval's best joins it
    assert quoted({"s1"}, ()) == ["s1"] and quoted(set(), ()) == ["s2"]
    assert quoted({"s1"}, (name, other)) == ["s0", "s2"]  # an answer drawn from two sentences quotes both,
    assert quoted({"s1"}, (other, name)) == ["s0", "s2"]  # in the order they were written


def test_the_fallback_does_not_quote_a_sentence_a_failed_claim_barely_aligns_to():
    # "It lists the versions." aligns to "See the manual." at 0.16 only: it was not drawn from there, even though
    # retrieval marked that sentence, and quoting it answers nothing.
    lock, manual, best = (sentence(i, t) for i, t in enumerate(("A lock file is made.", "See the manual.", "Pins.")))
    failed = [failed_claim("It lists the versions.", manual, 0.16), failed_claim("A lock file is made.", lock, 0.6)]
    hits = [ScoredSentence(sentence=best, score=0.6)]

    def quoted(min_support: float) -> list[str]:
        return [c.sources[0].id for c in extractive_claims(failed, hits, {"s0", "s1"}, min_support=min_support)]

    assert quoted(0.25) == ["s0"]
    assert quoted(0.0) == ["s1", "s0"]
    assert quoted(0.7) == ["s2"]  # nothing drawn: retrieval's best


def test_the_fallback_quotes_the_source_that_says_the_opposite_of_a_failed_claim():
    # Over Ninja's manual: "Yes, Ninja has built-in rules for compiling C code." was aligned to a sentence without
    # a negation, and the fallback quoted it instead of "Out of the box, Ninja has no rules for e.g. compiling C".
    module, none = sentence(0, "A tiny module writes rules for the pier."), sentence(1, "The pier has no cranes.")
    claim = Claim("Yes, the pier has cranes.", (module, none), 0.0, (0.57, 0.79), supported=False)
    hits = [ScoredSentence(sentence=none, score=0.8), ScoredSentence(sentence=module, score=0.5)]
    (quoted,) = extractive_claims([claim], hits, {"s0", "s1"}, min_support=0.2)
    assert quoted.sources == (none,)


def test_a_narrowly_failed_answer_that_ran_two_sentences_together_is_answered_by_quoting_both():
    names_file = sentence(0, "A common convention is to put this list in a requirements.txt file:")
    runs_it = Sentence(id="c1", source="doc.txt", text="(env) $ python -m pip install -r requirements.txt", start=10,
                       end=15, index=1, code=True)  # fmt: skip
    elsewhere = sentence(2, "Applications will sometimes need a specific version of a library.")
    lead = Claim(text="To install them all, use `install -r` with the file.", sources=(names_file, runs_it),
                 support=0.54, source_support=(0.6, 0.5), supported=False)  # fmt: skip
    near = near_question({}, None)
    answered = narrowly_missed([lead], near, min_support=0.5)
    assert answered == (names_file, runs_it)
    quoted = extractive_claims([lead], [ScoredSentence(sentence=elsewhere, score=0.6)], set(), answered)
    assert [c.sources[0].id for c in quoted] == ["s0", "c1"]
    assert narrowly_missed([lead], near, min_support=0.6) == ()  # not narrow: the usual fallback


def test_a_list_of_markers_leaves_no_commas_behind():
    assert strip_markers("It is deep and adaptable. [16], [22], [2]") == "It is deep and adaptable."
    assert strip_markers("One [1]. Two [2][3]; three [4, 5].") == "One. Two; three."


def test_a_sentence_whose_markers_stand_where_it_needs_a_word_is_no_claim():
    # Drafted over Underscore's docs and Node's security policy: shown without markers, they read cut short.
    assert claims_of("The latest version is [1][2][3].") == []
    assert claims_of("The policy is available at [2]. It names a handler. [3]") == ["It names a handler."]
    assert claims_of("Yes, it trusts the operating system. [1] This is stated in [2].") == [
        "Yes, it trusts the operating system."
    ]
    assert claims_of("You can choose which one it is built from. [2]") == ["You can choose which one it is built from."]


def test_a_word_and_its_inflections_share_a_stem_with_or_without_a_final_e():
    assert {stem(w) for w in ("store", "stored", "stores", "storing")} == {"stor"}
    assert {stem(w) for w in ("agree", "agreed", "agreeing")} == {"agre"}
    assert {stem(w) for w in ("complete", "completely", "completed")} == {"complet"}
    assert stem("use") == "use" and stem("see") == "see"  # too short to lose it
    assert {stem(w) for w in ("chat", "chatting", "chats")} == {"chat"} and stem("shipped") == stem("ship")
    assert stem("added") == stem("add") == "add" and stem("installed") == "install" and stem("passed") == "pass"
    assert {stem(w) for w in ("acknowledgement", "acknowledged", "acknowledges")} == {"acknowledg"}
    assert {stem(w) for w in ("requirements", "required", "require")} == {"requir"}
    assert {stem(w) for w in ("implement", "implemented", "implements", "implementing")} == {"impl"}
    assert len({stem(w) for w in ("comment", "come", "payment", "pay", "element")}) == 5  # no "-ment" to lose
    assert {stem(w) for w in ("allocation", "allocate", "allocated", "allocating")} == {"alloc"}
    assert stem("installation") == stem("installed") and stem("configuration") == stem("configure")
    assert stem("portability") == stem("portable") and stem("visibilities") == stem("visible")
    assert stem("safety") == stem("safe") and stem("subtlety") == stem("subtle")
    assert len({stem(w) for w in ("ability", "able", "city", "piety")}) == 4  # too short to lose an ending
    assert len({stem(w) for w in ("station", "state", "duration", "create", "format", "threat")}) == 6
    # Over llm's README the right answer failed its coverage for "stored" against "Store".
    assert coverage("Prompts and responses are stored in SQLite.", ["Store prompts and responses in SQLite"]) == 1.0


def test_a_name_the_question_gives_is_foreign_where_the_source_names_one_spelled_alike():
    # Over libtasn1's manual: "Does libtasn1 support BER encoding output?" was answered "Yes, libtasn1 supports
    # BER encoding output.", citing "The output file is a binary file with the DER encoding."
    source = "The output file is a binary file with the DER encoding."
    given = {"ber", "libtasn", "1"}  # as the pipeline gives them: its names the documents hold, and its numbers
    assert foreign("Yes, libtasn1 supports BER encoding output.", [source], given) == {"ber"}
    assert foreign("Yes, libtasn1 writes the DER encoding to a binary file.", [source], given) == frozenset()
    assert (
        foreign("Yes, libtasn1 writes BER output to a binary file.", ["The output is a binary file."], given) == set()
    )
    assert foreign("The Ber tool writes it.", ["The Bert tool writes it."], {"ber"}) == frozenset()  # not alike


def test_a_yes_takes_the_question_s_name_only_from_around_its_source_or_from_what_the_document_is_about():
    # Over Ninja's manual: "Does ninja support Python as the build file language?" was answered "Yes, Ninja
    # supports Python as the build file language.", citing a sentence that names no Python.
    texts = [
        "Pier rules are read by the harbour office.",
        "The remainder of this guide helps if you are writing a pier generator or supporting a new language.",
        "Pier files list the berths.",
        "Pier lights are green.",
        "Pier staff check the ropes.",
        "A tiny Python module writes pier files.",
        *(f"Pier {n} takes grain." for n in range(6)),
    ]
    doc = [sentence(i, t) for i, t in enumerate(texts)]
    index = KeywordIndex(doc)
    assert index.subjects == {"pier", "doc"}  # named in every sentence, and the file's name; Python in one of twelve
    around = said_around(index.neighbours, index.subjects)
    given = frozenset({"pier", "python"})

    def claim(draft: str, candidates: list[Sentence]) -> Claim:
        return ground(draft, candidates, HashEmbeddings(), _vectors(candidates), 0.3, given=given, around=around)[0]

    assert claim("Yes, Pier supports Python as the language.", [doc[1]]).foreign == {"python"}
    assert claim("Yes, Pier supports Python as the language.", [doc[4]]).foreign == frozenset()  # beside the module
    assert claim("The Python pier generators support a new language.", [doc[1]]).foreign == frozenset()  # no premise
    assert claim("Yes, the Pier office reads the rules.", [doc[0]]).foreign == frozenset()  # the subject
    # The file's name names the subject too: libtasn1's manual writes "libtasn1" in 15 of its 713 sentences.
    named = KeywordIndex([s.model_copy(update={"source": "uploads/tern2_guide.pdf"}) for s in doc])
    assert {"tern", "guid"} <= named.subjects
    # A name with digits is a name however it is written: over GnuTLS's README "Yes, libtasn1 is required to
    # build GnuTLS." cited the sentence leading in to a list whose 19th item is "libtasn1 (optional)".
    assert foreign("The pier2 crane lifts grain.", ["The crane lifts grain."]) == {"pier", "2"}
    assert foreign("The crane lifts 0x21 tons.", ["The crane lifts 0x21 tons."]) == frozenset()


def test_a_yes_takes_no_name_from_the_rows_beside_its_tables_row():
    # zstd's CONTRIBUTING.md: "Is Cirrus CI used for Windows testing?" was answered "Yes," on Cirrus CI's row,
    # "Used for testing on FreeBSD", with "Windows" from AppVeyor's row beside it.
    rows = [
        "Travis CI | Used for testing on PowerPC | travis.yml",
        "AppVeyor | Used for some Windows testing | appveyor.yml",
        "Cirrus CI | Used for testing on FreeBSD | cirrus.yml",
    ]
    later = [f"Step {n} of the release checks the tarball." for n in range(8)]

    def claim(texts: list[str]) -> Claim:
        doc = [sentence(i, t) for i, t in enumerate(texts)]
        around = said_around(KeywordIndex(doc).neighbours, frozenset())
        cirrus = [doc[2]]
        return ground(
            "Yes, Cirrus CI is used for Windows testing.", cirrus, HashEmbeddings(), _vectors(cirrus), 0.3,
            given=frozenset({"cirrus", "window"}), around=around,
        )[0]  # fmt: skip

    assert claim([*rows, *later]).foreign == {"window"}
    prose = "Cirrus CI also runs the Windows tests."  # a sentence beside the row, not a row, still counts
    assert claim([*rows, prose, *later]).foreign == frozenset()


def test_a_count_is_supported_by_a_source_that_lists_that_many_items_and_by_no_other():
    hurdles = "Domestic pressures, economic dependencies, and differing national priorities occasionally pose hurdles."
    claim = "The alliance faces three hurdles: domestic pressures, economic dependencies and national priorities."
    assert foreign(claim, [hurdles]) == frozenset()
    assert coverage(claim, [hurdles]) >= 0.8  # the count is covered as well as not foreign
    assert foreign(claim.replace("three", "four"), [hurdles]) == {"four"}
    assert foreign(claim.replace("three", "3"), [hurdles]) == frozenset()
    two = "Japan and the US hold talks, mostly in Tokyo."  # two items, or a clause's commas, are no list
    assert foreign("Japan and the US hold three rounds of talks.", [two]) == {"three"}
    assert counts("In recent years, ties have grown, mainly due to technology and shifts in the region.") == set()
    assert counts("Apples, pears and plums; a, b, c, d, or e.") == {"3", "three", "5", "five"}


def test_code_quoted_in_backticks_must_be_in_a_source_as_written():
    sources = ["(env) $ python -m pip install requests==2.6.0", "(env) $ python -m pip show requests\nVersion: 2.7.0"]
    assert foreign("Run `python -m pip install requests==2.6.0`.", sources) == frozenset()
    assert foreign("Use `pip show requests` to see it.", sources) == frozenset()
    composed = foreign("Run `python -m pip install requests==2.7.0`.", sources)  # each piece is there, not the whole
    assert composed == {"`python -m pip install requests==2.7.0`"}


def test_file_names_paths_and_urls_are_literals_abbreviations_numbers_and_compounds_are_not():
    text = "Put fastapi[standard] in requirements.txt, run env/bin/activate, see https://t.example/d (site_packages)."
    assert literals(text) == {"fastapi[standard]", "requirements.txt", "env/bin/activate", "https://t.example/d",
                              "site_packages"}  # fmt: skip
    assert literals("E.g. the U.S. spent 3.5 billion on Japan-US ties and/or trade, i.e. more.") == set()


def test_a_file_name_path_or_url_must_be_in_a_source_as_written_and_whole():
    sources = ["A common convention is to put this list in a requirements.txt file:", "Run env/bin/activate.fish."]
    assert foreign("Put the list in a requirements.txt file.", sources) == frozenset()
    assert foreign("Requirements.txt holds the list.", sources) == frozenset()  # capitalised to open a sentence
    assert foreign("Put the list in a requirement.txt file.", sources) == {"requirement.txt"}
    assert foreign("Run env/bin/activate to start.", sources) == {"env/bin/activate"}  # another file than .fish
    assert foreign("Run bin/activate.fish to start.", sources) == frozenset()  # the end of the path is the file
    assert foreign("Keep a dev-requirements.txt too.", sources) == {"dev-requirements.txt"}
    # base-files' FAQ names its directory only in the paths under it.
    install = ["install_from_default /usr/share/base-files/dot.profile /root/.profile"]
    assert foreign("The master copies are in /usr/share/base-files.", install) == frozenset()
    assert foreign("The master copies are in /usr/share/base.", install) == {"/usr/share/base"}
    # Debian's Python policy, saved as text, wraps "/usr/bin/" at a line's end and "python" onto the next.
    wrapped = ["The packages python-is-python3 provide the /usr/bin/\npython command."]
    assert foreign("It provides the /usr/bin/python command.", wrapped) == frozenset()
    assert foreign("It provides the /usr/bin/python3 command.", wrapped) == {"/usr/bin/python3"}
    assert foreign("It provides the /usr/bin/python command.", ["It goes in /usr/bin/ with python."]) == {
        "/usr/bin/python"
    }  # a space is no line break


def test_a_file_name_is_cited_where_it_is_written():
    freeze = sentence(0, "python -m pip freeze will produce a similar list of the installed packages.")
    convention = sentence(1, "A common convention is to put this list in a requirements.txt file:")
    other = sentence(2, "Python applications will often use packages and modules.")
    draft = "The pip freeze list of the installed packages goes in requirements.txt."
    (claim,) = grounded(draft, [freeze, other, convention])
    assert claim.sources[0] == freeze and convention in claim.sources and claim.foreign == frozenset()
    (wrong,) = grounded(draft.replace("requirements.txt", "packages.txt"), [freeze, other, convention])
    assert wrong.foreign == {"packages.txt"} and not wrong.supported


def test_a_file_name_is_unknown_only_when_the_documents_never_hold_it_and_the_question_does_not_give_it():
    def unknown(literal: str, question: str, text: str) -> list[str]:
        claim = Claim(text=f"See {literal}.", sources=(), support=0.0, source_support=(), supported=False,
                      foreign=frozenset({literal}))  # fmt: skip
        return unknown_facts([claim], question, frozenset(), text)

    assert unknown("Pipfile.lock", "Where is the lock file?", "Pip reads requirements.txt.") == ["Pipfile.lock"]
    assert unknown("requirements.txt", "Where is the lock file?", "Pip reads requirements.txt.") == []
    assert unknown("Pipfile.lock", "What does Pipfile.lock hold?", "Pip reads requirements.txt.") == []


def test_a_number_the_documents_write_is_never_called_unmentioned_however_short():
    # The keyword vocabulary leaves one-letter terms out: "5" of "GPT-5" was said never to be mentioned.
    claim = Claim(text="Set it to GPT-5.", sources=(), support=0.0, source_support=(), supported=False,
                  foreign=frozenset({"5"}))  # fmt: skip
    assert unknown_facts([claim], "How do I set a default?", frozenset({"gpt"}), "Notes: GPT-5 and tools.") == []
    assert unknown_facts([claim], "How do I set a default?", frozenset({"gpt"}), "Notes: GPT-4 and tools.") == ["5"]


def test_quoted_code_is_cited_where_it_is_written():
    def unit(i: int, text: str, code: bool = False) -> Sentence:
        return Sentence(id=f"c{i}", source="venv.html", text=text, start=i, end=i + 1, index=i, code=code)

    intro = unit(0, "You can run python -m pip install --upgrade to upgrade the package to the latest version:")
    block = unit(1, "(env) $ python -m pip install --upgrade requests\nCollecting requests", code=True)
    other = unit(2, "Python applications will often use packages and modules.")
    candidates = [intro, other, block]
    draft = "To upgrade it to the latest version, run `python -m pip install --upgrade requests`."
    (claim,) = grounded(draft, candidates)
    assert block in claim.sources and claim.foreign == frozenset() and claim.supported
    (wrong,) = grounded(draft.replace("requests", "numpy"), candidates)
    assert wrong.foreign == {"`python -m pip install --upgrade numpy`"} and not wrong.supported
    # Code that the chosen source already holds brings no other holder along, wherever that one comes first.
    (held,) = grounded("You can run `python -m pip install --upgrade` to upgrade the package to the latest version.",
                       [block, intro, other])  # fmt: skip
    assert held.sources == (intro,)


def test_a_claim_that_drops_or_adds_a_negation_is_not_supported_however_many_words_it_shares():
    stored = sentence(0, "The catalogue does NOT store user preferences, such as a favourite viewer.")
    guess = sentence(1, "The type is only a guess, and an application must not trust a file for its type alone.")
    (flipped,) = grounded("The catalogue stores user preferences.", [stored])
    (kept,) = grounded("The catalogue does not store user preferences.", [stored])
    (added,) = grounded("The type is never a guess.", [guess])
    (clause,) = grounded("The type is only a guess.", [guess])
    assert not flipped.supported and flipped.support == 0
    assert not added.supported and added.support == 0
    assert kept.supported and clause.supported  # a clause with no negation is not held to its neighbour's
    (answered,) = grounded("No, the catalogue does not store user preferences.", [stored])
    (wrong,) = grounded("No, the catalogue stores user preferences.", [stored])
    assert answered.supported and not wrong.supported  # an opening "No," answers the question, negating nothing
    # A closing "or not" bears on no word before it, in a claim that copies it as in its source (man-db's manual).
    where = sentence(2, "The caches sit at the root of the cat page tree, whether this is the manual page one or not.")
    (copied,) = grounded(where.text, [where])
    assert copied.supported and copied.support > 0.9


def test_what_a_source_says_only_under_a_condition_is_no_fact_a_claim_may_state():
    # Debian's Python policy, asked "Is Python 2 still supported?".
    bullseye = sentence(0, "If Python 2 is still supported in Bullseye, selected packages may keep using Python 2.")
    (stated,) = grounded("Yes, Python 2 is still supported in Bullseye.", [bullseye])
    (kept,) = grounded("If Python 2 is still supported in Bullseye, packages may keep using it.", [bullseye])
    (after,) = grounded("Selected packages may keep using Python 2.", [bullseye])
    assert stated.support == 0 and not stated.supported
    assert kept.supported and after.supported  # the condition kept, or the clause after it taken
    version = sentence(1, "If you want a specific version, run pip install requests==2.6.0 in the environment.")
    (run,) = grounded("To get a specific version, run pip install requests==2.6.0 in the environment.", [version])
    assert run.support > 0  # words of both clauses: what the source says
    # nss-mdns's README, asked "Does nss-mdns register the local host name?": the registering is under an "if"
    # that closes the sentence, after its subject.
    client = sentence(
        2,
        "nss-mdns provides client functionality only, which means that you have to run a mDNS responder daemon "
        "seperately from nss-mdns if you want to register the local host name via mDNS.",
    )
    (registers,) = grounded("Yes, nss-mdns registers the local host name via mDNS.", [client])
    (daemon,) = grounded(
        "You have to run a mDNS responder daemon if you want to register the local host name.", [client]
    )
    (only,) = grounded("nss-mdns provides client functionality only.", [client])
    assert registers.support == 0 and daemon.supported and only.supported
    # The same README, asked "How can I test that mDNS resolution works?": aligned first to that sentence, a claim
    # that another of its sources states plainly is stated as that one does.
    plainly = "Replace foo whith a host name that has been registered with an mDNS responder."
    claim = (
        "Run getent hosts foo.local and replace foo with a host name that has been registered with an mDNS responder."
    )
    assert not asserted_alike(claim, [client.text]) and asserted_alike(claim, [client.text], [plainly])
    assert not asserted_alike(registers.text, [client.text], ["nss-mdns provides client functionality only."])
    # libtasn1's manual, asked "How do I decode DER data into a structure?": sources sharing a few of the claim's
    # words ("der", "decode", "function"), none holding more than half of it, do not state it plainly.
    manual = [
        "I mean that if you have a der encoding and you have already used the function asn1_der_ decoding() to fill "
        "a structure, it may happen that you want to find the piece of string concerning an element of the structure.",
        "start: the position of the first byte of NAME ELEMENT decoding ( ider [*start]) end: the position of the last "
        "byte of NAME ELEMENT decoding ( ider [*end]) Find the start and end point of an element in a DER encoding "
        "string.",
        "[Function]int asn1_get_tag_der (const unsigned char * der, int der_len, unsigned char * cls, int * len, "
        "unsigned long * tag) der: DER data to decode.",
        "[Function]long asn1_get_length_der (const unsigned char * der, int der_len, int * len)",
    ]
    (decoded,) = grounded(
        "To decode DER data into a structure, you can use the `asn1_get_length_der` function to find the start and "
        "end points of an element in the DER encoding string, and then use the `asn1_get_tag_der` function to "
        "extract the tag of the element.",
        [sentence(5 + i, text) for i, text in enumerate(manual)],
    )
    assert decoded.support == 0


def test_an_abbreviation_the_claim_spells_out_itself_needs_no_source():
    assert abbreviations("It is a foreign function interface (FFI) library.") == {stem("FFI")}
    assert abbreviations("The Department of Defense (DD) and the thing (FFI).") == {stem("DD")}
    # libffi's README, asked "What is libffi?": the source defines the interface without the abbreviation.
    popular = sentence(
        0,
        "A foreign function interface is the popular name for the interface that allows code written in one "
        "language to call code written in another language.",
    )
    claim = "Libffi is a foreign function interface (FFI) library that allows code written in one language to call "
    (spelled,) = grounded(claim + "code written in another language.", [popular], given=frozenset({"libffi"}))
    (bare,) = grounded("Libffi is an FFI library that allows code written in one language to call code.", [popular])
    assert spelled.supported and not spelled.foreign
    assert bare.foreign == {stem("FFI")} and not bare.supported


def test_without_negates_what_follows_it():
    assert len(negations(words("It loads the index without loading it into memory."))) == 1
    mapped = sentence(0, "The option loads the index without loading the full index into memory.")
    (dropped,) = grounded("The option loads the full index into memory.", [mapped])
    (kept,) = grounded("The option does not load the full index into memory.", [mapped])
    assert not dropped.supported and kept.supported


def test_a_word_that_negates_what_it_governs_counts_as_a_not_but_not_inside_an_option_name():
    # man-db's manual: "--disable-manual / Don't build or install the man-db manual."
    option = sentence(0, "--disable-manual\n     Don't build or install the man-db manual.")
    (disabled,) = grounded("The `--disable-manual` option disables building the man-db manual.", [option])
    (built,) = grounded("The `--disable-manual` option builds the man-db manual.", [option])
    (prevented,) = grounded("Use `--disable-manual` to prevent building the man-db manual.", [option])
    assert disabled.supported and prevented.support > 0  # "prevent" is no word of the source, but negates alike
    assert not built.supported and built.support == 0
    # Debian's Python policy: the opposite of "programs should use it", whatever words the two share.
    shebang = sentence(1, "As noted in Interpreter_Location, the form #!/usr/bin/env python3 is deprecated.")
    (use,) = grounded("Programs should use the form #!/usr/bin/env python3.", [shebang])
    (avoid,) = grounded("The form #!/usr/bin/env python3 is deprecated.", [shebang])
    assert use.support == 0 and avoid.supported
    # libjpeg-turbo's README: "ignored" is the opposite of "used".
    ignored = sentence(2, "DCT scaling in compressor: cinfo.scale_num and cinfo.scale_denom are silently ignored.")
    (used,) = grounded("Yes, cinfo.scale_num and cinfo.scale_denom are used in DCT scaling.", [ignored])
    (unused,) = grounded("cinfo.scale_num and cinfo.scale_denom are ignored in DCT scaling.", [ignored])
    assert used.support == 0 and unused.supported
    # xsltproc's manual: "stops … from fetching" says what "--nonet: Do not use the Internet to fetch DTDs" says.
    nonet = sentence(3, "--nonet: Do not use the Internet to fetch DTDs, entities or documents.")
    (stops,) = grounded("The --nonet option stops xsltproc from fetching DTDs over the Internet.", [nonet])
    (fetches,) = grounded("The --nonet option lets xsltproc fetch DTDs over the Internet.", [nonet])
    assert stops.support > 0 and fetches.support == 0


def test_a_word_that_calls_what_it_governs_an_error_counts_as_a_not():
    # Expat's reference: the claim states as a fact what the source calls a mistake.
    mistake = sentence(
        0,
        "A common first-time mistake with any of the event-oriented interfaces to an XML parser is to expect all the "
        "text contained in an element to be reported by a single call to the character data handler.",
    )
    (wrong,) = grounded(
        "Expat reports all the text contained in an element in a single call to the handler.", [mistake]
    )
    (right,) = grounded(
        "It is a mistake to expect all the text in an element to be reported by a single call.", [mistake]
    )
    assert wrong.support == 0 and right.supported


def test_a_name_taken_from_the_question_does_not_stand_where_a_source_writes_another():
    # postgresql-common's README: "Why was a new architecture needed for PostgreSQL upgrades on Debian?"
    rigid = sentence(
        0, "RedHat's installation environment is so rigid that it is not practicable for the RedHat packages to "
        "attempt an automatic upgrade.",
    )  # fmt: skip
    draft = "Debian's installation environment is so rigid that it is not practicable to attempt an automatic upgrade."
    (swapped,) = grounded(draft, [rigid], given=frozenset({"debian"}))
    assert "debian for redhat" in swapped.foreign and not swapped.supported
    both = (
        "Upgrades failed on Debian because Debian's installation environment is so rigid, as for the RedHat packages."
    )
    assert "debian for redhat" in grounded(both, [rigid], given=frozenset({"debian"}))[0].foreign  # the draft's words
    own = sentence(1, "Debian offered a debconf choice for whether to attempt automatic upgrading.")
    (kept,) = grounded("Debian offered a debconf choice for whether to attempt automatic upgrading.", [own, rigid])
    assert kept.supported and not kept.foreign


def test_a_word_from_another_source_does_not_stand_where_the_best_writes_another_between_the_same_words():
    # dpkg's triggers spec: one state does not satisfy Depends, and another sentence names the state the draft
    # asked about; pieced together they said the opposite of the spec's table.
    awaited = sentence(0, "Packages in ‘triggers-awaited’ do not satisfy Depends dependencies.")
    states = sentence(
        1, "A package which awaits trigger processing but would otherwise be ‘installed’ or ‘triggers-pending’ is "
        "considered to be in state ‘triggers-awaited’.",
    )  # fmt: skip
    (pieced,) = grounded("Packages in 'triggers-pending' do not satisfy Depends dependencies.", [awaited, states])
    assert "pend for await" in pieced.foreign and not pieced.supported
    (own,) = grounded("Packages in 'triggers-awaited' do not satisfy Depends dependencies.", [awaited, states])
    assert own.supported and not own.foreign
    # A word of the claim's own that no source holds is left to coverage: it may say the same thing.
    (worded,) = grounded("Packages in 'triggers-awaited' do not meet Depends dependencies.", [awaited, states])
    assert not worded.foreign


def test_no_second_source_joins_for_the_name_the_first_stands_under():
    # Expat's reference: the sentence under XML_SetHashSalt says "this"; the note that names the function negates
    # something else, and joined, it sank the claim.
    under = sentence(0, "In order to have an effect this must be called before parsing has started.")
    under = under.model_copy(update={"section": "Expat Reference › Miscellaneous functions › XML_SetHashSalt"})
    note = sentence(1, "Note: One should not call XML_SetHashSalt with a hash salt value of 0.")
    (claim,) = grounded("XML_SetHashSalt must be called before parsing has started.", [under, note])
    assert claim.supported and claim.sources == (under,)


def test_a_number_called_the_default_must_be_the_one_a_source_calls_so():
    # bzip2's manual: two block sizes, and the default written beside the second.
    flags = sentence(
        0, "The flags -1 through -9 specify the block size to be 100,000 bytes through 900,000 bytes (the default) "
        "respectively.",
    )  # fmt: skip
    (wrong,) = grounded("The default block size is 100,000 bytes.", [flags])
    (right,) = grounded("The default block size is 900,000 bytes.", [flags])
    assert wrong.foreign == {"100000 as the default"} and not wrong.supported
    assert right.supported and not right.foreign
    (smallest,) = grounded("The smallest block size is 100,000 bytes.", [flags])
    assert "100000 as the default" not in smallest.foreign  # a claim that calls nothing the default


def test_a_negation_before_but_bears_on_nothing_after_it():
    # jq's README: the "not" is of using git; of the released tarball the sentence says "won't need".
    tarball = sentence(
        0, "If you're not using the latest git version but instead building a released tarball, then you won't "
        "need to run autoreconf.",
    )  # fmt: skip
    (wrong,) = grounded("Yes, you need to run autoreconf when building a released tarball.", [tarball])
    (right,) = grounded("You won't need to run autoreconf when building a released tarball.", [tarball])
    assert wrong.support == 0 and right.supported


def test_a_claim_answering_yes_or_no_must_find_every_word_it_says_in_its_sources():
    # dpkg's rootless-builds spec lists the case, then answers it "Not covered" on the next line.
    case = sentence(0, "Files shipped in the package must be owned by another user than root.")
    (answered,) = grounded("Yes, shipping files owned by another user than root is covered.", [case])
    (stated,) = grounded("Shipping files owned by another user than root is covered.", [case])
    assert min(answered.support, stated.support) >= 0.5  # one word of seven missing
    assert stated.supported and not answered.supported


def test_a_negation_inside_a_condition_bears_on_nothing_after_it():
    # Valgrind's FAQ: "not" is of how long the traces are; of what to use it says nothing negative.
    longer = sentence(0, "If they're not long enough, use --num-callers to make them longer.")
    (right,) = grounded("Use --num-callers to make them longer.", [longer])
    (wrong,) = grounded("Do not use --num-callers to make them longer.", [longer])
    assert right.supported and wrong.support == 0
    # GCC's bug notes: the "wasn't" of a condition after the claim's words still bears on them.
    after = sentence(
        1, "C++ exceptions don't work with C libraries, if the C code wasn't designed to be thrown through."
    )
    (kept,) = grounded("C++ exceptions don't work with C libraries if the C code wasn't designed for it.", [after])
    assert kept.supported


def test_a_negation_right_after_the_words_a_claim_shares_bears_on_them():
    # Wget's README: it requires *no* additional software; the claim that it requires some drops that "no".
    perl = sentence(0, "Wget is written entirely in C, thus requiring no additional software, such as Perl.")
    optional = sentence(1, "The external software it does work with, such as OpenSSL, is optional.")
    (wrong,) = grounded("Yes, OpenSSL is required to use Wget.", [perl, optional], given=frozenset({"openssl"}))
    (right,) = grounded("Wget requires no additional software.", [perl, optional])
    assert wrong.support == 0 and right.supported
    # Only the word right after, in the same clause: "…written in C, not in Perl" says nothing against "in C".
    (c,) = grounded("Wget is written in C.", [sentence(2, "Wget is written in C, not in Perl.")])
    assert c.supported


def test_a_claim_that_says_of_the_whole_what_its_source_says_of_a_part_is_not_supported():
    # The sed FAQ: Eric Raymond wrote one of the earliest versions of sed, not sed.
    early = sentence(0, "Eric Raymond <esr@snark.thyrsus.com> wrote one of the earliest versions of sed.")
    (whole,) = grounded("Eric Raymond wrote sed.", [early])
    (part,) = grounded("Eric Raymond wrote one of the earliest versions of sed.", [early])
    assert whole.support == 0 and part.supported
    # A part set off in a clause of its own is said of something else.
    aside = sentence(1, "Lee McMahon, one of the Bell Labs researchers, wrote sed in 1974.")
    (wrote,) = grounded("Lee McMahon wrote sed in 1974.", [aside])
    assert wrote.supported


def test_a_claim_opening_with_the_yes_or_no_its_source_does_not_is_not_supported():
    # zlib's FAQ, under "1. Is zlib Y2K-compliant?": the draft's "Yes." was made "No," for the "doesn't" after it.
    y2k = sentence(0, "Yes. zlib doesn't handle dates.")
    (no,) = grounded("No, zlib doesn't handle dates.", [y2k])
    (yes,) = grounded("Yes, zlib doesn't handle dates.", [y2k])
    (plain,) = grounded("zlib doesn't handle dates.", [y2k])
    assert no.support == 0 and yes.supported and plain.supported


def test_a_yes_is_not_grounded_on_a_heading_that_asks_what_it_restates():
    # xz's FAQ: under "Do XZ Utils support the .7z format?" the answer is "A:  No."; a line of the next question
    # held only ".7z", and the heading the rest.
    faq = "XZ Utils FAQ › Do XZ Utils support the .7z format?"
    other = sentence(0, "Q:  I have many .tar.7z files.").model_copy(update={"section": faq})
    (yes,) = grounded("Yes, XZ Utils support the .7z format.", [other])
    assert not yes.supported
    answer = sentence(1, "A:  No.  Use 7-Zip to handle .7z files.").model_copy(update={"section": faq})
    (wrong,) = grounded("Yes, use 7-Zip to handle .7z files.", [answer])
    assert wrong.support == 0  # the FAQ's "A:  No." is its answer


def test_not_only_and_not_without_negate_nothing():
    assert negations(words("The pact is not only military but also economic.")) == []
    assert negations(words("It is not without its complexities.")) == []
    assert negations(words("It isn't without its complexities.")) == []
    assert len(negations(words("It doesn't store them, and never did; nothing is kept."))) == 3


def test_a_source_that_negates_nothing_the_claim_says_is_read_under_its_heading():
    # GCC's README.Bugs lists what a bug report should not hold under "What we do not want".
    def under(i: int, text: str, heading: str) -> Sentence:
        return sentence(i, text).model_copy(update={"section": f"How to report a bug › {heading}", "item": True})

    archive = under(0, "An attached archive (tar, zip) containing all of the above.", "What we do not want")
    (wanted,) = grounded("Yes, you should attach an archive to a bug report.", [archive])
    (unwanted,) = grounded("An attached archive containing all of the above is not wanted.", [archive])
    assert wanted.support == 0 and unwanted.supported
    assembly = under(1, "Assembly files (*.s) produced by the compiler.", "What we do not want")
    (two,) = grounded(
        "Yes, you want assembly files produced by the compiler and an attached archive.", [assembly, archive]
    )
    assert two.support == 0 and len(two.sources) == 2  # one heading over both: one "not"
    # OpenSSL's README-ENGINES: a heading's noun is no "not".
    note = sentence(3, "The ENGINE API was introduced in version 0.9.6.").model_copy(
        update={"section": "Engines › Deprecation Note"}
    )
    (introduced,) = grounded("The ENGINE API was introduced in version 0.9.6.", [note])
    assert introduced.supported
    # Sources that negate for themselves are read as they are: "Not supported" over "…is silently ignored".
    ignored = under(2, "SmartScale: cinfo.block_size is silently ignored.", "Not supported")
    (claim,) = grounded("SmartScale's cinfo.block_size is ignored.", [ignored])
    assert claim.supported
    # A heading that asks states nothing: the sed FAQ's "Why don't my variables get expanded?" denies no answer.
    faq = sentence(4, "Sed prints the entire file by default.").model_copy(
        update={"section": "5. WHY ISN'T THIS WORKING? › 5.1. Why don't my variables get expanded?"}
    )
    (prints,) = grounded("Sed prints the entire file by default.", [faq])
    assert prints.supported


def test_a_nor_after_a_negation_carries_it_on_rather_than_adding_one():
    assert len(negations(words("It is neither fast nor small."))) == 1
    assert len(negations(words("It has not shown use as a format nor as a means of enhancement."))) == 1
    assert len(negations(words("Nor is it small."))) == 1
    (dropped,) = grounded(
        "Yes, SmartScale is supported.",
        [sentence(0, "SmartScale has not shown usefulness as a format nor as a means of enhancement, so our "
                     "interest in providing it would be as a means of supporting more scaling factors.")],
    )  # fmt: skip
    assert dropped.support == 0
    (litotes,) = grounded(
        "Navigating the pact has its complexities.",
        [sentence(0, "Navigating the pact is not without its complexities.")],
    )
    assert litotes.supported


def test_an_opening_yes_that_the_sentence_after_it_contradicts_says_no_and_such_a_no_is_dropped():
    asked = "Is the catalogue meant to store user preferences?"
    assert settled_opener("Yes, the catalogue is NOT meant to store them. [1]", asked) == (
        "No, the catalogue is NOT meant to store them. [1]"
    )
    assert settled_opener("No, the catalogue is not meant to store them. [1]", asked).startswith("No, the")
    assert settled_opener("Yes, [2] applications may define elements. [2]", "Can applications define elements?")[
        :4
    ] == ("Yes,")
    assert settled_opener("No. Applications may define elements.", "Can applications define elements?") == (
        "Applications may define elements."
    )
    # zlib's FAQ answers "Is zlib under the GNU license?" with "No.  Please read the license in zlib.h.": a draft
    # that copies the document's own answer keeps its "No.", which the sentence after it does not say.
    written = ["Yes.  Please read the license in zlib.h.", "No.  Please read the license in zlib.h."]
    draft = "No. Please read the license in zlib.h. [2]"
    assert settled_opener(draft, "Is zlib under the GNU license?", written) == draft
    assert (
        settled_opener(draft, "Is zlib under the GNU license?", written[:1]) == "Please read the license in zlib.h. [2]"
    )
    assert settled_opener("No global variables are used.", "Are globals used?") == "No global variables are used."
    assert settled_opener("Yes, it does. [1]", "Doesn't it store them?") == "Yes, it does. [1]"  # asked negatively
    # Over base-passwd's guide: a negating verb says "no" as a "not" does, and the "No," that the model opened
    # "No, packages should avoid requesting global static ids where possible" with answers the question.
    asked = "Should packages request global static ids?"
    assert settled_opener("No, packages should avoid requesting them. [4]", asked).startswith("No, packages")
    assert settled_opener("Yes, packages should avoid requesting them. [4]", asked).startswith("No, packages")
    assert settled_opener("No, use --disable-static-ids. [4]", asked).startswith("Use")  # an option, not a verb
    # nss-mdns's README: "rejected" says no; the question's "without" negates nothing it asks, and a name the
    # answer opens with keeps its small letter.
    asked = "Is foo.bar.local resolved without an mdns.allow file?"
    assert settled_opener("Yes, foo.bar.local is rejected. [1]", asked) == "No, foo.bar.local is rejected. [1]"
    assert settled_opener("No, foo.bar.local is rejected. [1]", asked).startswith("No,")
    asked = "Can I build it without root?"
    assert settled_opener("Yes, you can build it without root. [1]", asked).startswith("Yes,")
    # Node.js's README: a "Yes," to a number the answer does not write, writing another.
    asked = "Does the latest-hydrogen directory hold Node.js 20?"
    assert (
        settled_opener("Yes, it holds the Node.js 18 release. [1]", asked) == "No, it holds the Node.js 18 release. [1]"
    )
    assert settled_opener("No, it holds the Node.js 18 release. [1]", asked).startswith("No,")
    assert settled_opener("Yes, it holds Node.js 20 and 20.1. [1]", asked).startswith("Yes,")
    assert settled_opener("Yes, it holds the latest release. [1]", asked).startswith("Yes,")
    assert settled_opener("Yes, every 6 months. [1]", "Is it released often?").startswith("Yes,")  # none asked
    # systemd's README: a statement that goes on to say more of its subject ("and should be disabled") answers
    # with its first part; its second part's negation is no second "not" of the first.
    asked = "Is userspace firmware loading supported?"
    draft = "Yes, userspace firmware loading is not supported and should be disabled in the kernel. [1]"
    assert settled_opener(draft, asked).startswith("No, userspace firmware loading is not")
    assert settled_opener("Yes, it is supported and should not be disabled. [1]", asked).startswith("Yes,")
    assert settled_opener("No, it does not load and run firmware. [1]", asked).startswith("No,")
    # OpenSSL's README-ENGINES: the model set a marker before its "No,"; the answer still opens with it.
    draft = "[2] No, it is not automated in OpenSSL's build process. [3] It can be done by hand."
    assert answers_no(draft) and without_opener(draft).startswith("it is not")
    assert settled_opener("[1] Yes, it is not automated. [2]", "Is it automated?") == "No, it is not automated. [2]"
    # GCC's README.Bugs: a "but" goes on to something else; its "no" is no answer to what was asked.
    asked = "Must a static data member be defined outside the class body?"
    draft = "Yes, a static data member must be defined outside the class body, but no diagnostic is required. [1]"
    assert settled_opener(draft, asked) == draft
    # jq's README: "Yes, developers should not use it" is the "no" the judgement gave, verified.
    asked = "Should developers use --disable-maintainer-mode?"
    draft = "Yes, developers should not use --disable-maintainer-mode."
    assert settled_opener(draft, asked) == "No, developers should not use --disable-maintainer-mode."


def test_a_verified_no_negates_what_the_question_asks_however_often_it_negates_more():
    # systemd's README: "not supported and should be disabled" says one "no" to "Is it supported?".
    source = sentence(0, "Userspace firmware loading is not supported and should be disabled in the kernel.")
    answer = "No, userspace firmware loading is not supported and should be disabled in the kernel."
    claims = grounded(answer, [source])
    assert claims[0].supported
    assert verified_no(answer, claims, "Is userspace firmware loading supported?")
    twice = grounded(
        "No, it is not true that it is not supported.", [sentence(1, "It is not true that it is not supported.")]
    )
    assert not verified_no("No, it is not true that it is not supported.", twice, "Is it supported?")
    # zlib's FAQ answers "Does zlib support the new "Deflate64" format?" with "No." and what PKWare did.
    section = 'FAQ › 40. Does zlib support the new "Deflate64" format introduced by PKWare?'
    faq = sentence(2, "No.  PKWare has apparently decided to keep that format proprietary.")
    faq = faq.model_copy(update={"section": section})
    answer = "No. PKWare has apparently decided to keep that format proprietary."
    assert verified_no(answer, grounded(answer, [faq]), "Does zlib support Deflate64?")
    assert not verified_no(answer, grounded(answer, [faq]), "Does zlib support encryption?")  # another question
    plain = sentence(3, "PKWare has apparently decided to keep that format proprietary.")
    assert not verified_no(answer, grounded(answer, [plain]), "Does zlib support Deflate64?")


def test_a_claim_that_restates_the_question_needs_a_source_that_means_it_not_only_its_words():
    accepting = sentence(
        0, "In accepting such obligations, You act on Your own behalf, by reason of your accepting any such warranty."
    )
    given = frozenset({"warranty"})  # "Is there a warranty?"
    (loose,) = grounded("Yes, there is a warranty.", [accepting], min_support=0.5, given=given)
    assert loose.supported  # its one content word is covered: words alone let it through
    (held,) = grounded("Yes, there is a warranty.", [accepting], min_support=0.5, given=given, min_similarity=0.3)
    assert not held.supported and held.support == loose.support
    close = "By accepting such obligations, you act on your own behalf."
    (kept,) = grounded(close, [accepting], min_support=0.5, given=given, min_similarity=0.3)
    assert kept.supported


def test_a_number_is_cited_where_it_is_written_by_one_of_the_best_sources():
    prose = sentence(0, "The buffer size is simply the size of the buffer for feeding data to the routines.")
    code = sentence(1, "#define BUFFER 16384")
    # The code aligns too weakly to join as a second source for its words (below 0.6); it holds the number.
    (claim,) = grounded("The buffer size is 16384.", [prose, code], min_support=0.6)
    assert claim.supported and claim.sources == (prose, code) and not claim.foreign
    (wrong,) = grounded("The buffer size is 32768.", [prose, code])  # a number none of them holds
    assert not wrong.supported and wrong.foreign == {"32768"}


def test_a_number_set_in_code_is_cited_with_the_prose_that_explains_the_codes_name():
    # zlib's zpipe walkthrough: the code names CHUNK and the number, the prose says what CHUNK is.
    prose = sentence(0, "CHUNK is simply the buffer size for feeding data to and pulling data from the zlib routines.")
    code = sentence(1, "#define CHUNK 16384").model_copy(update={"code": True})
    draft = "The buffer size for feeding data to the zlib routines is 16384."
    (claim,) = grounded(draft, [prose, code])
    assert claim.supported and sorted(s.id for s in claim.sources) == ["s0", "s1"] and not claim.foreign
    other = sentence(1, "#define LIMIT 16384").model_copy(update={"code": True})  # a name no prose explains
    (unexplained,) = grounded(draft, [prose, other])
    assert not unexplained.supported and unexplained.foreign == {"16384"}


def test_a_number_is_not_kept_from_the_best_source_when_it_says_nothing_of_what_the_claim_counts_with_it():
    # systemd's UIDS-GIDS.md: the homed range, given to system users by a claim whose other words the note beside
    # it held.
    homed = sentence(0, "60001…60513 → UIDs for home directories managed by systemd-homed.service(8).")
    note = sentence(1, "The maximum UID used for this range is hence 1879048191, which system users never reach.")
    (wrong,) = grounded("The UID range used for system users is 60001…60513.", [homed, note])
    assert {"60001 for system user", "60513 for system user"} <= wrong.foreign and not wrong.supported
    (right,) = grounded("The UIDs for home directories managed by systemd-homed are 60001…60513.", [homed, note])
    assert right.supported and not right.foreign


def test_a_brief_sentence_beside_the_chosen_source_gives_its_number():
    # xsltproc's manual: each option's description, then "The default is 3000." under the same heading.
    section = "xsltproc › OPTIONS › --maxdepth VALUE"
    depth = sentence(0, "Adjust the maximum depth of the template stack before libxslt(3) concludes it is in an "
                        "infinite loop.").model_copy(update={"section": section})  # fmt: skip
    default = sentence(1, "The default is 3000.").model_copy(update={"section": section})
    other = sentence(5, "The default is 15000.").model_copy(update={"section": "xsltproc › OPTIONS › --maxvars VALUE"})
    draft = "The default maximum depth of the template stack before libxslt(3) concludes it is in an infinite loop is "
    (right,) = grounded(draft + "3000.", [depth, default, other], min_support=0.5)
    assert right.supported and [s.id for s in right.sources] == ["s0", "s1"]
    (wrong,) = grounded(draft + "15000.", [depth, default, other], min_support=0.5)  # another option's
    assert not wrong.supported and "15000" in wrong.foreign
    assert defaults(draft + "3000.") == {"3000"}  # a manual's section, "libxslt(3)", is no number it states


def test_a_number_is_not_taken_from_a_source_that_says_nothing_of_what_the_claim_counts_with_it():
    rules = sentence(0, "Top-level magic rules have an indent of zero.")
    weight = sentence(1, "The default weight value is 50, and the maximum is 100.")
    # The weight sentence aligns too weakly to join for its words (below 0.5); it holds the number.
    (claim,) = grounded("The maximum indent of a magic rule is 100.", [rules, weight], min_support=0.5)
    assert not claim.supported and claim.foreign == {"100"} and claim.sources == (rules,)
    (size,) = grounded("Top-level magic rules have an indent of zero and a size of at most 100.", [rules, weight])
    assert size.foreign == {"100"}
    (kept,) = grounded("Top-level magic rules have an indent of zero and a weight of at most 100.", [rules, weight])
    assert kept.sources == (rules, weight) and not kept.foreign  # "weight", written beside it, is that source's


def test_a_claim_quoting_no_code_is_not_aligned_to_a_code_comment_for_its_negation():
    prose = sentence(0, "The mmap option loads the index without loading the full index into memory.")
    comment = "# mmap reduces the overhead of loading the full index into memory\nload(mmap=True)"
    code = sentence(1, comment).model_copy(update={"code": True})
    (claim,) = grounded("Yes, the mmap option loads the full index into memory.", [prose, code], min_support=0.5)
    assert not claim.supported and claim.sources[0] == prose


def test_a_claim_that_introduces_a_list_is_aligned_to_a_source_that_introduces_one():
    simple = sentence(0, "Simple: tern is designed to be easy to use and understand.")
    intro = sentence(1, "Above all, the library was designed with these goals:")
    claim, _ = grounded("Tern is designed to be:\n- Fast.", [simple, intro], given=frozenset({"tern"}))
    assert claim.supported and claim.sources == (intro,)
    # A claim that introduces nothing keeps its best source, a sentence that introduces code included.
    (plain,) = grounded("Tern is designed to be easy to use.", [simple, intro], given=frozenset({"tern"}))
    assert plain.sources[0] == simple


def test_a_negated_claim_is_aligned_to_the_source_that_negates_as_it_does():
    install = sentence(0, "Tern does need the server extra when you use the server.")
    java = sentence(1, "There is no dependency on Java or PyTorch - all you need is Numpy and optional extras.")
    (claim,) = grounded("No, tern does not need Java.", [install, java], given=frozenset({"tern", "java"}))
    assert claim.supported and claim.sources == (java,)
    # The negation bears on every word after it in its clause, the last of a list as much as the first.
    (last,) = grounded("No, tern does not need PyTorch.", [install, java], given=frozenset({"tern", "pytorch"}))
    assert last.supported and last.sources == (java,)
    (flipped,) = grounded("Tern needs PyTorch.", [java], given=frozenset({"tern", "pytorch"}))
    assert not flipped.supported and flipped.support == 0
    # ... and not across the dash that ends its clause: the source says tern needs Numpy.
    (numpy,) = grounded("Tern needs Numpy and optional extras.", [java], given=frozenset({"tern"}))
    assert numpy.supported


def test_a_word_with_a_capital_inside_is_a_name_wherever_it_stands():
    colors = sentence(0, "Returns true if the stream supports as many colors as provided.")
    (claim,) = grounded("getColorDepth returns true if the stream supports as many colors as provided.", [colors])
    assert not claim.supported and claim.foreign == {"getcolordepth"}  # its words are all there but the name
    (held,) = grounded(
        "hasColors returns true if the stream supports as many colors.",
        [
            colors.model_copy(
                update={"text": "hasColors returns true if the stream supports as many colors as provided."}
            )
        ],
    )
    assert held.supported and not held.foreign


def test_a_sources_section_path_is_its_subject_for_the_names_a_claim_takes_from_it():
    plain = sentence(0, "It is written in Rust and serves over HTTP/2.")
    under = plain.model_copy(update={"section": "Alternative servers › Granian"})
    draft = "The Granian server is written in Rust."
    (outside,) = grounded(draft, [plain])
    (inside,) = grounded(draft, [under])
    assert not outside.supported and outside.foreign == {"granian"}
    assert inside.supported and inside.sources == (under,) and not inside.foreign
    # A claim naming one API is aligned to the sentence under that API's heading, not to one under another's.
    has = sentence(1, "Returns true if the stream supports colors.").model_copy(update={"section": "API › hasColors"})
    depth = sentence(2, "Returns a number of colors.").model_copy(update={"section": "API › getColorDepth"})
    (api,) = grounded("getColorDepth returns a number of colors.", [has, depth])
    assert api.supported and api.sources == (depth,)


def test_numbers_written_together_must_be_written_together_in_one_source():
    assert number_pairs("It returns 8 for 16 colors, and 24 bits.") == {("8", "16")}
    assert number_pairs("from 1.0 to 2.0") == {("1.0", "2.0")}
    assert number_pairs("version 1.0 of this module, and later for the other version 2.0") == set()
    # Digits written onto letters are part of a name or literal: xz's "Filter ID: 0x21" under "LZMA2".
    assert number_pairs("The filter ID of LZMA2 is 0x21, and CRC32 is 4 bytes.") == set()
    lzma = sentence(3, "Filter ID: 0x21").model_copy(update={"section": "Filters › LZMA2"})
    (filter_id,) = grounded("The filter ID of LZMA2 is 0x21.", [lzma])
    assert filter_id.supported and not filter_id.foreign
    items = [sentence(0, "8 for 256,"), sentence(1, "4 for 16,"), sentence(2, "Returns the number of colors:")]
    (wrong,) = grounded("It returns 8 for 16 colors.", items)
    assert not wrong.supported and "8 with 16" in wrong.foreign  # each number is written, never the two together
    assert (
        unknown_facts([wrong], "What does it return for 16 colors?", {"color", "return"}, "8 for 256, 4 for 16,") == []
    )
    (right,) = grounded("It returns 8 for 256 colors.", items)
    assert right.supported and items[0] in right.sources and not right.foreign
    far = [sentence(3, "Version 1.0 of a particular module but application B needs version 2.0.")]
    (spread,) = grounded("Application B needs 1.0 or 2.0.", far)
    assert "1.0 with 2.0" not in spread.foreign  # nine words apart in the source still counts as together


def test_a_claim_naming_an_identifier_is_aligned_to_the_source_under_it_not_to_a_near_twin():
    variadic = sentence(0, "This initializes cif according to the given parameters for a call to a variadic function.")
    variadic = variadic.model_copy(update={"section": "Function: ffi_prep_cif_var (cif, abi, nfixed, ntotal)"})
    plain = sentence(1, "This initializes cif according to the given parameters.")
    plain = plain.model_copy(update={"section": "Function: ffi_prep_cif (cif, abi)"})
    (claim,) = grounded("ffi_prep_cif initializes cif according to the given parameters.", [variadic, plain])
    assert claim.supported and claim.sources == (plain,)  # the twin does not join for its words either
    # A capitalised name is no identifier: prose writes "their approach" where a claim writes "Japan and the US".
    prose = [
        sentence(2, "Joint exercises are testament to their unified approach."),
        sentence(3, "Japan and the US meet."),
    ]
    (named,) = grounded("Japan and the US hold joint exercises as testament to their unified approach.", prose)
    assert named.sources[0] == prose[0]


def test_a_claim_naming_one_entry_of_a_list_fails_on_a_source_under_its_sibling():
    def under(i: int, text: str, heading: str) -> Sentence:
        return sentence(i, text).model_copy(update={"section": f"Chapter 2. Users and Groups › {heading}"})

    adm = under(0, "Perhaps policy should say so users may be safely added to this group to read logs.", "adm")
    staff = under(1, "It allows local changes to /usr/local without root privileges.", "staff")
    tty = under(2, "Tty devices are owned by this group.", "tty")
    (swapped,) = grounded("Adding users to the staff group is safe.", [adm, staff, tty])
    assert swapped.sources[0] == adm and swapped.source_support[0] == 0  # nor is it drawn from there
    assert swapped.foreign == {"staff"} and not swapped.supported
    (own,) = grounded("Users may be safely added to the adm group to read logs.", [adm, staff, tty])
    assert own.supported and own.sources[0] == adm
    (named,) = grounded("Users may be safely added to the adm group to read logs.", [adm, staff])
    assert named.supported  # two one-word headings are no list of entries


def test_a_claim_listing_items_cites_each_item_of_the_list_it_comes_from():
    # OpenSSL's README-ENGINES: three items of two words each, none ranking high alone.
    intro = sentence(0, "There are currently built-in ENGINE implementations for the following crypto devices:")
    items = [
        sentence(i, text).model_copy(update={"item": True})
        for i, text in [(1, "Microsoft CryptoAPI"), (2, "VIA Padlock"), (3, "nCipher CHIL")]
    ]
    other = [
        sentence(i, f"ENGINE implementations of crypto devices such as {w} are built in.")
        for i, w in [(4, "a"), (5, "b")]
    ]
    (listed,) = grounded("Microsoft CryptoAPI, VIA Padlock, nCipher CHIL. [1]", [intro, *items, *other])
    assert listed.supported and sorted(s.id for s in listed.sources) == ["s1", "s2", "s3"]


def test_a_claim_naming_an_identifier_takes_its_other_sources_from_under_that_identifier_too():
    def under(i: int, text: str, heading: str) -> Sentence:
        return sentence(i, text).model_copy(update={"section": f"API › {heading}", "item": True})

    depth = [under(0, "24 for 16,777,216 colors supported.", "getColorDepth"), under(1, "8 for 256,", "getColorDepth")]
    has = [
        under(2, "Returns true if the stream supports at least as many colors as provided.", "hasColors"),
        under(3, "hasColors(256) returns true if the stream supports 256 colors or more.", "hasColors"),
    ]
    (claim,) = grounded("getColorDepth returns 8 for 256 colors supported.", [*has, *depth])
    assert claim.supported and sorted(s.id for s in claim.sources) == ["s0", "s1"]
    (unnamed,) = grounded("It returns true if the stream supports 256 colors.", [*has, *depth])
    assert has[1] in unnamed.sources  # a claim naming no identifier is not scoped


def test_a_quoted_sentence_is_shown_on_one_line_and_cited_exactly_while_code_keeps_its_lines():
    wrapped = sentence(0, "You are solely responsible for determining the\n      appropriateness of using the Work.")
    code = sentence(1, "if x:\n    run(x)").model_copy(update={"code": True})
    hits = [ScoredSentence(sentence=wrapped, score=0.6), ScoredSentence(sentence=code, score=0.5)]
    (prose,) = extractive_claims([], hits, relevant=set())
    answer = compose([prose], {}, [], "extractive")
    assert answer.answer == "You are solely responsible for determining the appropriateness of using the Work. [1]"
    assert answer.citations[0].text == wrapped.text
    (block,) = extractive_claims([], hits[1:], relevant=set())
    assert compose([block], {}, [], "extractive").answer == "if x:\n    run(x) [1]"


def test_clauses_joined_by_semicolons_are_claims_of_their_own_and_a_cut_off_last_one_leaves_the_others():
    draft = (
        "You must give recipients a copy of this License; and you must cause modified files to carry notices; "
        "and you must retain all copyright notices from the Source form of the"
    )
    assert claims_of(draft) == [
        "You must give recipients a copy of this License;",
        "and you must cause modified files to carry notices;",
    ]
    assert claims_of("It is fast; simple; small. It works offline; really.") == [
        "It is fast; simple; small.",
        "It works offline; really.",
    ]
    copy = sentence(0, "(a) You must give any other recipients of the Work a copy of this License; and")
    notices = sentence(1, "(b) You must cause any modified files to carry prominent notices; and")
    first, second = grounded(draft, [copy, notices])
    assert first.supported and first.sources == (copy,) and second.supported and second.sources == (notices,)


def test_the_models_own_list_items_stay_on_lines_of_their_own():
    intro, give, keep = (
        sentence(0, "Redistribution is allowed provided that you meet the following conditions:"),
        sentence(1, "(a) You must give any other recipients a copy of this License; and"),
        sentence(2, "(c) You must retain all copyright notices of the Work; and"),
    )
    draft = (
        "Redistribution is allowed provided you meet the following conditions:\n"
        "- You must give any other recipients a copy of this License.\n"
        "- You must retain all copyright notices of the Work.\nThat is all."
    )
    claims = [c for c in grounded(draft, [intro, give, keep]) if c.supported]
    assert compose(claims, {}, [], "generated").answer == (
        "Redistribution is allowed provided you meet the following conditions: [1]\n"
        "- You must give any other recipients a copy of this License. [2]\n"
        "- You must retain all copyright notices of the Work. [3]"
    )


def test_a_package_name_with_a_digit_is_a_literal_and_the_one_a_question_asks_about_scopes_the_claim():
    assert literals("python-is-python3 and python3-pip-whl; Japan-US, state-of-the-art, a 10-year plan") == {
        "python-is-python3",
        "python3-pip-whl",
    }
    assert named_literals("What do python-is-python3 and requirements.txt provide?") == {"python-is-python3"}
    other = sentence(0, "The python3 package provides python3-supported-min virtual packages.")
    named = sentence(1, "The packages python-is-python3 and python-dev-is-python3 provide the /usr/bin/python command.")
    draft = "The package python-is-python3 provides python3-supported-min virtual packages."
    (loose,) = grounded(draft, [other, named])
    assert loose.supported  # the name is cited where it is written, the rest where it is said of another package
    (claim,) = ground(
        draft, [other, named], HashEmbeddings(), _vectors([other, named]), 0.3, asked={"python-is-python3"}
    )
    assert not claim.supported
    hits = [ScoredSentence(sentence=other, score=0.7), ScoredSentence(sentence=named, score=0.5)]
    (quoted,) = extractive_claims([claim], hits, {"s0", "s1"}, asked={"python-is-python3"})
    assert quoted.sources == (named,)  # not the sentence the draft took for its subject's


def test_a_call_with_empty_brackets_names_the_function_whatever_arguments_the_source_writes():
    assert quotes("Use writeStream.hasColors([count][, env]) to check.", "writeStream.hasColors()")
    assert quotes("process.stdout.hasColors(256);", "hasColors()")
    assert not quotes("process.stdout.hasColorsNow(256);", "hasColors()")
    assert not quotes("It has colors (many).", "colors()") and not quotes("hasColors(256)", "hasColors(2)")
    method = sentence(0, "Returns true if the stream supports at least two colors.")
    method = method.model_copy(update={"section": "API › writeStream.hasColors([count][, env])"})
    (claim,) = grounded(
        "The `writeStream.hasColors()` method returns true if the stream supports two colors.", [method]
    )
    assert not claim.foreign


def test_the_fallback_does_not_quote_a_row_of_field_names():
    row = sentence(0, "8*N_ALIASES AliasListEntry")  # a binary format's table, read from a PDF as text
    prose = sentence(1, "The aliases file maps each alias to its canonical type.")
    hits = [ScoredSentence(sentence=row, score=0.7), ScoredSentence(sentence=prose, score=0.6)]
    assert [c.sources for c in extractive_claims([], hits, relevant=set())] == [(prose,)]
    (only,) = extractive_claims([], hits[:1], relevant=set())  # with nothing else retrieved, the best it has
    assert only.sources == (row,)


def test_a_source_that_asks_states_nothing_a_claim_may_rest_on():
    # lsof's FAQ lists its questions in a table of contents: "Yes, lsof is vulnerable…" took every word from one.
    listed = sentence(0, "1.7\tIs lsof vulnerable to the standard I/O descriptor attack?")
    answer = sentence(1, "Lsof revisions 4.63 and above are not vulnerable.")
    for draft in ("Yes, lsof is vulnerable to the standard I/O descriptor attack.", "1.7 Is lsof vulnerable?"):
        (claim,) = grounded(draft, [listed, answer])
        assert claim.sources[0] == listed and not claim.supported and claim.support == 0.0
    (claim,) = grounded("Lsof revisions 4.63 and above are not vulnerable.", [listed, answer])
    assert claim.supported
    hits = [ScoredSentence(sentence=listed, score=0.9), ScoredSentence(sentence=answer, score=0.6)]
    assert [c.sources for c in extractive_claims([], hits, relevant=set())] == [(answer,)]
    (drawn,) = grounded("Lsof is vulnerable to the standard I/O descriptor attack.", [listed])
    assert extractive_claims([drawn], hits, {"s0", "s1"}, answered=(listed,))[0].sources == (answer,)
