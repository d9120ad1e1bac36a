"""The answer chain with a scripted chat model over the real essay store."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ingest.sync import ingest_default
from rag.answer import InvalidQuestion, Pipeline
from rag.answer.grounding import Claim
from rag.answer.select import echoes_dropped, lead_decides, near_question, off_topic_dropped, says_more
from rag.service import open_store
from rag.settings import Settings
from rag.text.sentences import split_sentences
from rag.text.words import identifiers
from rag.types import Answer, Sentence, Turn
from tests.samples import DOMAINS, essay_text

ESSAY = essay_text()
ESSAY_SENTENCES = [ESSAY[a:b] for a, b in split_sentences(ESSAY)]


def assert_exact(answer):
    for c in answer.citations:
        assert ESSAY[c.start : c.end] == c.text and c.source == "japan_us_alliance.txt"


def test_copied_sentence_with_wrong_marker_is_cited_to_its_real_source(pipeline, scripted):
    scripted.enqueue(f"{DOMAINS} [4]")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert not answer.refused and answer.mode == "generated"
    assert [c.text for c in answer.citations] == [DOMAINS]
    assert answer.answer.endswith("[1]") and answer.citations[0].support > 0.9
    assert_exact(answer)


def test_invented_sentence_is_dropped_and_supported_one_kept(pipeline, scripted):
    invented = "The alliance was signed by Churchill on the Moon."
    scripted.enqueue(f"{DOMAINS} [1] {invented} [2]")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert answer.dropped == [invented]
    assert "Churchill" not in answer.answer
    assert [s.text for s in answer.sentences] == [DOMAINS]


def test_a_made_up_first_sentence_sinks_the_true_ones_after_it(pipeline, scripted):
    # The direct answer is made up; the true sentence after it only backs it up, and alone it answers nothing.
    scripted.enqueue(f"The two countries spend 600 billion dollars a year on it. [1] {DOMAINS} [2]")
    answer = pipeline.answer("How much do Japan and the US spend on their new domains of cooperation?")
    assert answer.refused and answer.citations == [] and "600" in answer.answer
    assert "never mention" in answer.answer


def test_the_answer_names_the_sentences_its_draft_was_aligned_to_verified_or_not(pipeline, scripted):
    ids = {s.text: s.id for s in pipeline.collection().sentences}
    scripted.enqueue(f"The two countries spend 600 billion dollars a year on it. [1] {DOMAINS} [2]", f"{DOMAINS} [4]")
    refused = pipeline.answer("How much do Japan and the US spend on their new domains of cooperation?")
    assert refused.refused and ids[DOMAINS] in refused.drafted  # the eval's headroom counts where the draft pointed
    answered = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert answered.drafted == [c.id for c in answered.citations] == [ids[DOMAINS]]


def test_a_draft_needing_a_number_the_documents_never_mention_is_refused(pipeline, scripted):
    scripted.enqueue(DOMAINS.replace("new domains", "12 new domains") + " [1]")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert answer.refused and answer.citations == [] and "12" in answer.answer
    assert "never mention" in answer.answer


def test_the_refusal_names_an_unknown_number_as_the_draft_wrote_it(pipeline, scripted):
    scripted.enqueue("The two countries spend 1,000 billion dollars a year on their new domains. [1]")
    answer = pipeline.answer("How much do Japan and the US spend on their new domains of cooperation?")
    assert answer.refused and answer.answer.count("never mention: 1,000") == 1


def test_a_name_the_documents_never_mention_sinks_only_its_sentence(pipeline, scripted):
    scripted.enqueue(f"{DOMAINS} [1] Canberra hosts the talks. [2]")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert not answer.refused and [s.text for s in answer.sentences] == [DOMAINS]
    assert answer.dropped == ["Canberra hosts the talks."]


def test_a_draft_restating_a_name_the_question_gives_is_not_refused_for_it(pipeline, scripted):
    # The essay says "ASEAN countries", never "Southeast Asian"; the question's wording is no sign it lacks the answer.
    scripted.enqueue("They court Southeast Asian nations to counterbalance China's ambitions. [21]")
    answer = pipeline.answer("Why do Japan and the US court Southeast Asian nations?")
    assert not answer.refused and answer.mode == "extractive"  # the draft's own wording still is not verified
    # The sentence it restated is quoted, and the answer says which name it could not be verified for.
    assert [c.text for c in answer.citations] == [next(s for s in ESSAY_SENTENCES if "ASEAN" in s)]
    assert answer.unmentioned == ["Southeast Asian"]
    scripted.enqueue("They court Southeast Asian nations to counterbalance China's ambitions. [21]")
    invented = pipeline.answer("Why do Japan and the US court ASEAN countries?")
    assert invented.refused and "Southeast" in invented.answer  # here the model brought the name in itself
    assert invented.unmentioned == []


def test_a_draft_opening_with_a_name_the_documents_never_mention_quotes_its_source_and_says_so(pipeline, scripted):
    asean = next(s for s in ESSAY_SENTENCES if "ASEAN" in s)
    scripted.enqueue("Vietnam is among the ASEAN countries that Japan and the US see as crucial partners. [21]")
    answer = pipeline.answer("What role does Vietnam play for Japan and the US?")
    assert answer.mode == "extractive" and answer.citations[0].text == asean
    assert answer.unmentioned == ["Vietnam"] and "Vietnam" not in answer.answer


def test_names_from_the_question_may_restate_its_subject(pipeline, scripted):
    # The source says "This enduring alliance"; the answer names it as the question does.
    source = (
        "This enduring alliance is primarily cemented by shared concerns over China's growing assertiveness, "
        "particularly in sensitive areas like the Taiwan Strait."
    )
    scripted.enqueue(source.replace("This enduring alliance", "The Japan-US alliance"))
    answer = pipeline.answer("What mainly holds the Japan-US alliance together?")
    assert answer.mode == "generated" and [c.text for c in answer.citations] == [source]


def test_unusable_model_output_falls_back_to_extractive_answer(pipeline, scripted):
    scripted.enqueue("Bananas are yellow and grow in bunches on tall plants.")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert answer.mode == "extractive" and not answer.refused
    assert [c.text for c in answer.citations] == [DOMAINS]
    assert answer.answer == f"{DOMAINS} [1]"
    assert_exact(answer)


def test_extractive_fallback_quotes_what_the_draft_was_drawn_from(pipeline, scripted):
    # A loose paraphrase fails verification; the answer quotes the sentence it paraphrased, and nothing else.
    hurdles = "Domestic pressures, economic dependencies, and differing national priorities occasionally pose hurdles."
    scripted.enqueue("Domestic politics and economic ties sometimes hinder the partners.")
    answer = pipeline.answer("What hurdles does the alliance face?")
    assert answer.mode == "extractive" and [c.text for c in answer.citations] == [hurdles]


def test_the_model_saying_not_in_document_over_weak_evidence_is_a_refusal(pipeline, scripted):
    pipeline.settings = pipeline.settings.model_copy(update={"quote_threshold": 0.99})
    scripted.enqueue("NOT IN DOCUMENT")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert answer.refused and answer.declined and answer.citations == [] and answer.suggestions
    assert "the model found no answer" in answer.answer


def test_the_model_saying_not_in_document_over_strong_evidence_quotes_it(pipeline, scripted):
    pipeline.settings = pipeline.settings.model_copy(update={"quote_threshold": 0.2})
    scripted.enqueue("NOT IN DOCUMENT")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert not answer.refused and answer.declined and answer.mode == "extractive"
    assert answer.answer == f"{DOMAINS} [1]"


def test_a_decline_over_strong_evidence_is_believed_when_the_judgement_agrees_with_it(pipeline, scripted):
    update = {"quote_threshold": 0.2, "judge_threshold": 0.4, "decline_judge_threshold": 0.15}
    pipeline.settings = pipeline.settings.model_copy(update=update)
    scripted.enqueue("NOT IN DOCUMENT").judge(0.05, 0.3)
    question = "Is the alliance written in Rust?"
    believed = pipeline.answer(question)
    assert believed.refused and believed.declined and believed.citations == [] and believed.answerable == 0.05
    assert "the model found no answer" in believed.answer and "0.05" in believed.answer
    # Judged low, but not that low: yes/no questions the documents answer are declined and judged low too. The
    # decline is not believed, and the judgement, which would refuse a draft, does not refuse the quote.
    quoted = pipeline.answer(question)
    assert not quoted.refused and quoted.declined and quoted.mode == "extractive" and quoted.citations
    assert quoted.answerable == 0.3 and len(scripted.judged) == 2


def test_the_model_judging_the_documents_silent_is_a_refusal(pipeline, scripted):
    pipeline.settings = pipeline.settings.model_copy(update={"judge_threshold": 0.5})
    scripted.enqueue(f"{DOMAINS} [1]").judge(0.2)
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert answer.refused and answer.answerable == 0.2 and "0.20" in answer.answer
    assert "Does the document state the answer" in scripted.judged[0][-1].content


def test_a_judgement_above_the_threshold_keeps_the_answer(pipeline, scripted):
    pipeline.settings = pipeline.settings.model_copy(update={"judge_threshold": 0.5})
    scripted.enqueue(f"{DOMAINS} [1]").judge(0.8)
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert not answer.refused and answer.answerable == 0.8 and answer.citations[0].text == DOMAINS


def test_a_verified_no_answers_a_yes_no_question_whatever_the_judgement(tmp_path: Path):
    # The judgement's NO to "Does the document state the answer?" is often the question's own answer, no.
    from rag.llm.fake import ScriptedChatModel
    from tests.samples import hashed_store

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "guide.txt").write_text(
        "Tern needs no Java runtime. Tern is written in Rust. Tern serves static sites.", encoding="utf-8"
    )
    settings = Settings(data_dir=folder, state_dir=tmp_path / "state", collection="guide", judge_threshold=0.4)
    scripted = ScriptedChatModel()
    pipeline = Pipeline(hashed_store(settings), scripted, settings)
    scripted.enqueue("No, Tern needs no Java runtime. [1]").judge(0.2)
    answer = pipeline.answer("Does Tern need a Java runtime?")
    assert not answer.refused and answer.answerable == 0.2
    assert answer.answer == "No, Tern needs no Java runtime. [1]"
    # A yes that a source contradicts: the documents answer, not as the model did, and the source is quoted. Over
    # libxcrypt's README, "Yes, you can use -flto when building libxcrypt." was refused instead of answered with
    # "If you build libxcrypt with either of these compilers, do not use -flto."
    scripted.replies.clear()
    scripted.enqueue("Yes, Tern needs a Java runtime. [1]").judge(0.2)
    contradicted = pipeline.answer("Does Tern need a Java runtime?")
    assert not contradicted.refused and contradicted.mode == "extractive"
    assert [c.text for c in contradicted.citations] == ["Tern needs no Java runtime."]
    # A no the sentence after it does not bear out, a yes no source contradicts, or neither: the judgement refuses
    drafts = ("No, Tern serves static sites. [3]", "Yes, Tern is written in Rust. [2]", "Tern is written in Rust.")
    for draft in drafts:
        scripted.replies.clear()
        scripted.enqueue(draft).judge(0.2)
        refused = pipeline.answer("Does Tern need a Java runtime?")
        assert refused.refused and "(confidence 0.20)" in refused.answer, draft


def answer_over(tmp_path: Path, text: str, reply: str, question: str) -> Answer:
    """The answer to ``question`` over a one-file collection holding ``text``, the model replying ``reply``, hashed
    embeddings and no judgement."""
    from rag.llm.fake import ScriptedChatModel
    from tests.samples import hashed_store

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "doc.txt").write_text(text, encoding="utf-8")
    settings = Settings(data_dir=folder, state_dir=tmp_path / "state", collection="doc", judge_threshold=None)
    return Pipeline(hashed_store(settings), ScriptedChatModel().enqueue(reply), settings).answer(question)


def test_a_yes_whose_source_denies_what_the_question_asks_is_quoted_from_the_source(tmp_path: Path):
    # libjpeg-turbo's structure.txt: "Yes, they are useful for viewers." to "Do the low-quality modes meet the JPEG
    # standard's accuracy requirements?" held every word of its source, which says they may not meet them.
    text = (
        "Tern writes fast previews. The low-quality modes may not meet the standard's accuracy requirements; "
        "nonetheless, they are useful for viewers."
    )
    question = "Do the low-quality modes meet the standard's accuracy requirements?"
    denied = answer_over(tmp_path, text, "Yes, they are useful for viewers. [2]", question)
    assert denied.mode == "extractive" and "may not meet" in denied.answer
    (tmp_path / "docs").rename(tmp_path / "before")
    said = answer_over(tmp_path, text, "They may not meet them, but they are useful for viewers. [2]", question)
    assert said.mode == "generated"  # no "Yes": nothing to deny


def test_a_lower_case_name_with_digits_the_question_gives_may_restate_its_subject(tmp_path: Path):
    answer = answer_over(
        tmp_path,
        "The tern2 server serves static sites. There is no dependency on a Java runtime.",
        "No, tern2 has no dependency on a Java runtime. [2]",
        "Does tern2 need a Java runtime?",
    )
    assert answer.mode == "generated" and answer.answer == "No, tern2 has no dependency on a Java runtime. [1]"
    assert identifiers("Is tern2 or IPv6 needed, as in 2024?") == {"tern", "2", "ipv", "6"}


def test_a_fact_related_wrongly_is_quoted_from_its_source_not_refused_as_never_mentioned(tmp_path: Path):
    # postgresql-common's README: "Debian" set where the source writes "RedHat" is no name the documents lack; the
    # answer quotes the sentence, it does not say they never mention "debian for redhat".
    answer = answer_over(
        tmp_path,
        "Debian offered a debconf choice. RedHat's installation environment is so rigid that upgrades failed.",
        "Debian's installation environment is so rigid that upgrades failed. [2]",
        "Why did upgrades fail on Debian?",
    )
    assert answer.mode == "extractive" and not answer.refused
    assert "RedHat's installation environment is so rigid" in answer.answer


def test_a_yes_takes_a_number_of_the_question_only_from_around_its_sources(tmp_path: Path):
    # GnuPG's README: "Yes, you can install GnuPG 2.2 alongside GnuPG 2.0 by renaming…" took its "2.0" from the
    # question, over the section on installing 2.2 beside 1.4.
    text = (
        "Note that the 2.0 series reached end-of-life. It is not possible to install a 2.2.x version along with any "
        "2.0.x version.\n\n" + "Unrelated words fill this paragraph. " * 8 + "\n\n"
        "Installing GnuPG 2.2 and GnuPG 1.4\n\n  To install both versions alongside, rename the 1.4 version of gpg."
    )
    draft = "Yes, you can install GnuPG 2.2 alongside GnuPG 2.0 by renaming the 1.4 version of gpg. [3]"
    answer = answer_over(tmp_path, text, draft, "Can I install GnuPG 2.2 alongside GnuPG 2.0?")
    assert "Yes" not in answer.answer and answer.dropped


def test_a_title_run_into_the_text_supports_no_claim_and_is_never_the_quote(tmp_path: Path):
    # A numbered plain-text section opens with its title: "Disclaimer of Warranty." is about as similar to "Is there
    # a warranty?" as the sentence that answers it, and holds the one word "there is a warranty" needs.
    answer = answer_over(
        tmp_path,
        "7. Disclaimer of Warranty. The Work is provided without warranties of any kind.",
        "Yes, there is a warranty. [1]",
        "Is there a warranty?",
    )
    assert answer.mode == "extractive" and "Yes" not in answer.answer
    assert [c.text for c in answer.citations] == ["The Work is provided without warranties of any kind."]


def test_a_single_capital_letter_the_question_gives_is_no_name_the_documents_lack(tmp_path: Path):
    # "Z_FINISH" is read as "Z" and "FINISH"; the keyword index, like every content word, leaves out "z", so the
    # question seemed to name something the documents never mention, and the claim repeating it failed.
    answer = answer_over(
        tmp_path,
        "Passing Z_FINISH tells the encoder that the input has ended.",
        "Z_FINISH tells the encoder that the input has ended. [1]",
        "What does Z_FINISH tell the encoder?",
    )
    assert answer.mode == "generated" and answer.answer == "Z_FINISH tells the encoder that the input has ended. [1]"


def test_over_retrieved_sentences_the_judgement_is_asked_after_the_answer_prompt_and_can_refuse(pipeline, scripted):
    # A collection too large for the document prompt is answered from retrieved sentences; the judgement extends
    # that prompt, so the model's cache of it is reused, and it refuses the same way.
    # It has its own threshold: the document prompt's is off here.
    pipeline.settings = pipeline.settings.model_copy(
        update={"prompt": "retrieved", "retrieved_judge_threshold": 0.5, "judge_threshold": None}
    )
    scripted.enqueue(f"{DOMAINS} [1]").judge(0.2)
    answer = pipeline.answer("Which AI research projects do Japan and the US fund?")
    assert answer.refused and answer.answerable == 0.2 and "(confidence 0.20)" in answer.answer
    asked, judged = scripted.calls[0], scripted.judged[0]
    assert judged[:-1] == asked[:-1] and judged[-1].content.startswith(asked[-1].content)
    assert judged[-1].content.endswith("Do these sentences state the answer to this question? Reply YES or NO.")
    scripted.judge(0.8)
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert not answer.refused and answer.answerable == 0.8 and answer.citations[0].text == DOMAINS


def test_an_unsure_judgement_asks_whether_the_draft_gives_what_was_asked(pipeline, scripted):
    pipeline.settings = pipeline.settings.model_copy(
        update={"judge_threshold": 0.4, "judge_confident": 0.8, "draft_judge_threshold": 0.55}
    )
    scripted.enqueue(f"{DOMAINS} [1]").judge(0.6).judge(0.4)  # mean 0.5
    answer = pipeline.answer("Which AI research projects do Japan and the US fund?")
    assert (
        answer.refused and (answer.answerable, answer.on_point) == (0.6, 0.4) and "(confidence 0.50)" in answer.answer
    )
    asked = scripted.judged[1][-1].content  # the draft itself, without its markers, is judged
    assert f"Proposed answer: {DOMAINS}\n" in asked and "give what the question asks for" in asked


def test_a_draft_judged_on_point_keeps_the_answer_and_a_sure_judgement_is_not_asked_again(pipeline, scripted):
    pipeline.settings = pipeline.settings.model_copy(
        update={"judge_threshold": 0.4, "judge_confident": 0.8, "draft_judge_threshold": 0.55}
    )
    scripted.enqueue(f"{DOMAINS} [1]").judge(0.6).judge(0.7)  # mean 0.65
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert not answer.refused and answer.on_point == 0.7 and answer.citations[0].text == DOMAINS
    scripted.judged.clear()
    scripted.judge(0.85)
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert not answer.refused and answer.on_point is None and len(scripted.judged) == 1


def test_weak_evidence_is_refused_without_calling_the_model(pipeline, scripted):
    pipeline.settings = pipeline.settings.model_copy(update={"refusal_threshold": 0.3})
    answer = pipeline.answer("How do I reverse a linked list in Python?")  # best hashed similarity 0.24
    assert answer.refused and answer.citations == [] and answer.mode == "refusal"
    assert "doesn't cover" in answer.answer
    assert scripted.calls == []
    assert answer.suggestions  # closest passages are offered, but not as citations


def test_document_prompt_holds_the_whole_collection_and_marks_the_retrieved_sentences(pipeline, scripted):
    scripted.enqueue(f"{DOMAINS} [1]")
    pipeline.answer("Which new domains do Japan and the US collaborate in?")
    system, question = scripted.calls[0][0].content, scripted.calls[0][-1].content
    sentences = pipeline.store.keywords().sentences
    assert all(f"[{n}] {s.text}" in system for n, s in enumerate(sentences, 1))
    number = next(n for n, s in enumerate(sentences, 1) if s.text == DOMAINS)
    assert question.startswith("Sentences most relevant to the question: [") and f"[{number}]" in question
    assert question.endswith("Question: Which new domains do Japan and the US collaborate in?")


def test_the_fixed_part_of_the_prompt_is_the_same_for_every_question(pipeline, scripted):
    scripted.enqueue("NOT IN DOCUMENT")
    pipeline.answer("Which new domains do Japan and the US collaborate in?")
    pipeline.answer("What hurdles does the alliance face?", HISTORY)
    first, second = scripted.calls
    assert first[0].content == second[0].content and first[-1].content != second[-1].content
    assert [m.type for m in second] == ["system", "human", "ai", "human"]


def test_a_collection_too_large_for_the_context_gets_the_retrieved_prompt(pipeline, scripted):
    pipeline.settings = pipeline.settings.model_copy(update={"llm_context": 1024})
    pipeline._collection = None
    scripted.enqueue(f"{DOMAINS} [1]")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    prompt = scripted.calls[0][-1].content
    assert not pipeline.uses_document_prompt() and prompt.startswith("Sentences:\n[1] ")
    window = 2 * pipeline.settings.context_window + 1  # each chosen sentence, with its neighbours either side
    assert prompt.count("\n[") <= window * pipeline.settings.top_k and answer.citations[0].text == DOMAINS


def test_failing_model_still_answers_extractively(pipeline):
    class Broken(type(pipeline.chat_model)):
        def _stream(self, *args, **kwargs):
            raise ConnectionError("backend down")
            yield

    pipeline.chat_model = Broken()
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert answer.mode == "extractive" and answer.citations[0].text == DOMAINS


@pytest.mark.parametrize("question", ["", "   \n", "x" * 2001])
def test_blank_or_huge_question_is_rejected(pipeline, question):
    with pytest.raises(InvalidQuestion):
        pipeline.answer(question)


def test_streamed_tokens_reach_the_callback(pipeline, scripted):
    scripted.enqueue(f"{DOMAINS} [1]")
    tokens: list[str] = []
    pipeline.answer("Which new domains do Japan and the US collaborate in?", on_token=tokens.append)
    assert "".join(tokens).strip() == f"{DOMAINS} [1]"


HISTORY = [Turn(role="user", content="Why does the Japan-US alliance persist?"), Turn(role="assistant", content="…")]


def test_embedded_model_follow_up_uses_the_deterministic_fallback(pipeline, scripted):
    assert pipeline.queries("What hurdles does it face?", HISTORY) == [
        "What hurdles does it face?",
        "Why does the Japan-US alliance persist? What hurdles does it face?",
    ]
    assert scripted.calls == []


def test_capable_backend_rewrites_the_follow_up(essay_store, essay_settings, scripted):
    rewritten = "What hurdles does the Japan-US alliance face?"
    scripted.enqueue(rewritten, rewritten, "NOT IN DOCUMENT")
    remote = Pipeline(essay_store, scripted, essay_settings.model_copy(update={"llm": "openai:some-model"}))
    assert remote.queries("What hurdles does it face?", HISTORY) == [
        "What hurdles does it face?",
        "What hurdles does the Japan-US alliance face?",
    ]
    assert "Last question: What hurdles does it face?" in scripted.calls[0][-1].content
    hits = remote.retrieve(remote.queries("What hurdles does it face?", HISTORY))
    assert any("pose hurdles" in h.sentence.text for h in hits[:3])


PAST = (
    "Historically, the Japan-US alliance has evolved from its post-World War II origin into a robust pillar of East "
    "Asian security."
)


@pytest.mark.parametrize("draft", [f"{DOMAINS} [1] {PAST} [2]", f"{PAST} [1] {DOMAINS} [2]"])
def test_a_true_sentence_that_does_not_answer_the_question_is_dropped(pipeline, scripted, draft):
    # Both sentences are in the essay and among the sources given to the model; only DOMAINS answers the question.
    # Written first, PAST does not take the answer after it down with it (Node's security policy: "What is the
    # disclosure policy?" opened with where third-party bugs go, and the policy's steps were dropped with it).
    pipeline.settings = pipeline.settings.model_copy(update={"relevance_margin": 0.03})
    scripted.enqueue(draft)
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert answer.mode == "generated" and [s.text for s in answer.sentences] == [DOMAINS]
    assert answer.dropped == [PAST]


def test_without_a_relevance_margin_a_true_but_off_question_sentence_is_kept(pipeline, scripted):
    pipeline.settings = pipeline.settings.model_copy(update={"relevance_margin": None})
    scripted.enqueue(f"{DOMAINS} [1] {PAST} [2]")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert [s.text for s in answer.sentences] == [DOMAINS, PAST] and answer.dropped == []


TERN = """# Tern

A small HTTP server for static sites, written in Rust, that reloads pages when their files change.

With Tern you can:

- Serve a folder over HTTP
- … and much, much more
"""


def tern(tmp_path: Path, embeddings, scripted) -> Pipeline:
    """A pipeline over the Tern README, with the real embeddings and the scripted model."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text(TERN)
    settings = Settings(data_dir=tmp_path / "docs", state_dir=tmp_path / "state", relevance_margin=0.3)
    store = open_store(settings, embeddings)
    ingest_default(settings, store, progress=False)
    return Pipeline(store, scripted, settings)


def test_a_sentence_saying_no_more_than_its_heading_does_not_set_how_close_an_answer_must_be(
    tmp_path, embeddings, scripted
):
    # Embedded with its section path, "… and much, much more" under *Tern* is far closer to "What is Tern?" (0.76)
    # than the sentence that answers it (0.34): measured against it, the answer was dropped as off the question.
    pipeline = tern(tmp_path, embeddings, scripted)
    by_text = {s.text: s for s in pipeline.collection().sentences}
    assert not says_more(by_text["… and much, much more"]) and not says_more(by_text["With Tern you can:"])
    assert says_more(by_text["Serve a folder over HTTP"])
    draft = "Tern is a small HTTP server for static sites, written in Rust."
    scripted.enqueue(f"{draft} [1]")
    answer = pipeline.answer("What is Tern?")
    assert answer.mode == "generated" and [s.text for s in answer.sentences] == [draft]
    assert answer.citations[0].text.startswith("A small HTTP server")


def test_the_fallback_quotes_the_best_ranked_sentence_that_says_more_than_its_heading(tmp_path, embeddings, scripted):
    pipeline = tern(tmp_path, embeddings, scripted)
    question = "What is Tern?"
    assert pipeline.retrieve(question)[0].sentence.text in ("With Tern you can:", "… and much, much more")
    scripted.enqueue("Bananas are yellow and grow in bunches on tall plants.")
    answer = pipeline.answer(question)
    assert answer.mode == "extractive" and len(answer.citations) == 1
    assert answer.citations[0].text not in ("With Tern you can:", "… and much, much more")


def sentence_claim(i: int, text: str) -> Claim:
    source = Sentence(id=f"s{i}", source="doc.txt", text=text, start=i, end=i + 1, index=i)
    return Claim(text=text, sources=(source,), support=1.0, source_support=(1.0,))


def test_a_follow_up_keeps_a_sentence_close_to_its_own_words_though_far_from_the_earlier_subject():
    # Queries: the bare follow-up ("Why has it lasted?"), then the follow-up after the previous question. The
    # previous question's subject is far closer to some sentence than anything is to the bare follow-up.
    lasting, subject, aside = (sentence_claim(i, text) for i, text in enumerate(("Resilience.", "Origins.", "Aside.")))
    per_query = {"s0": np.array([0.35, 0.40]), "s1": np.array([0.10, 0.90]), "s2": np.array([0.02, 0.20])}
    kept = off_topic_dropped([lasting, subject, aside], near_question(per_query, margin=0.3))
    assert [c.supported for c in kept] == [True, True, False]
    # Under one query alone the same scores drop the follow-up's sentence: it is 0.5 below the best.
    alone = {i: row[1:] for i, row in per_query.items()}
    assert [c.supported for c in off_topic_dropped([lasting, subject], near_question(alone, margin=0.3))] == [
        False,
        True,
    ]


def test_a_sentence_that_introduces_a_list_is_as_near_the_question_as_its_items():
    # "It is designed to be:" says nothing of its subject; its items do, and they are what the answer quotes.
    intro, fast, other = (
        sentence_claim(i, t) for i, t in enumerate(("It is designed to be:", "Fast: it is", "Aside."))
    )
    items = {"s0": fast.sources[0].model_copy(update={"item": True})}
    per_query = {"s0": np.array([0.20]), "s1": np.array([0.90]), "s2": np.array([0.10])}
    assert [c.supported for c in off_topic_dropped([intro, other], near_question(per_query, 0.3))] == [False, False]
    near = near_question(per_query, 0.3, following=lambda s: items.get(s.id))
    assert [c.supported for c in off_topic_dropped([intro, other], near)] == [True, False]


def test_a_list_item_is_as_near_the_question_as_the_sentence_introducing_its_list():
    # "(b) You must cause modified files to carry notices" shares few words with "What are the conditions for
    # redistribution?"; the sentence introducing the conditions shares many.
    texts = ("Provided you meet the following conditions:", "(a) Give a copy.", "(b) Mark it.", "No more.")
    written = [sentence_claim(i, t).sources[0].model_copy(update={"item": 0 < i < 3}) for i, t in enumerate(texts)]
    second, aside = (Claim(text=s.text, sources=(s,), support=1.0, source_support=(1.0,)) for s in written[2:])
    per_query = {"s0": np.array([0.90]), "s1": np.array([0.70]), "s2": np.array([0.20]), "s3": np.array([0.10])}
    before = {s.id: written[n - 1] for n, s in enumerate(written) if n}
    assert [c.supported for c in off_topic_dropped([second, aside], near_question(per_query, 0.3))] == [False, False]
    near = near_question(per_query, 0.3, preceding=lambda s: before.get(s.id))
    assert [c.supported for c in off_topic_dropped([second, aside], near)] == [True, False]


def test_the_direct_answer_from_a_sentence_leaning_on_the_one_before_is_as_near_as_that_one():
    # less's LESSOPEN notes: the input preprocessor is named in one sentence, what it lets less do in the next.
    texts = ("Less gives your input preprocessor a chance.", "What this means is that less opens tar files.")
    named, means = (sentence_claim(i, t) for i, t in enumerate(texts))
    also = sentence_claim(2, "This also means you wait.")
    per_query = {"s0": np.array([0.90]), "s1": np.array([0.40]), "s2": np.array([0.40])}
    before = {"s1": named.sources[0], "s2": named.sources[0]}  # each leans on the naming sentence
    near = near_question(per_query, 0.3, preceding=lambda s: before.get(s.id), lead=means.text)
    assert [c.supported for c in off_topic_dropped([means, also], near)] == [True, False]  # elaborations: on their own
    unled = near_question(per_query, 0.3, preceding=lambda s: before.get(s.id))
    assert [c.supported for c in off_topic_dropped([means], unled)] == [False]


def test_a_claim_with_nothing_but_the_words_of_a_question_asking_what_answers_nothing():
    question = "What changed about the ordering of include directories in make 4.3-3?"
    echo, answer, lead_in = (
        sentence_claim(i, t)
        for i, t in enumerate(
            (
                "The ordering of include directories in make 4.3-3 changed.",
                "Now /usr/local/include comes before /usr/include.",
                "To see the ordering, run:",
            )
        )
    )
    kept = echoes_dropped([echo, answer, lead_in], question)
    assert [(c.supported, c.support) for c in kept] == [(False, 0.0), (True, 1.0), (True, 1.0)]
    # A word written more often than the question writes it may be the answer (base-passwd's README).
    games = sentence_claim(4, "The games high score files are owned by the group games.")
    assert echoes_dropped([games], "What group owns the games high score files?") == [games]
    # Answered yes or no, a claim restates the question: "Does /usr/local/include come first?"
    restated = sentence_claim(3, "/usr/local/include now comes first.")
    assert echoes_dropped([restated], "Does /usr/local/include now come first?") == [restated]


def test_none_in_the_environment_turns_an_optional_check_off(monkeypatch):
    assert Settings().relevance_margin == 0.3 and Settings().judge_threshold is not None
    monkeypatch.setenv("ALLIANCE_QA_RELEVANCE_MARGIN", "none")
    monkeypatch.setenv("ALLIANCE_QA_JUDGE_THRESHOLD", "none")
    assert Settings().relevance_margin is None and Settings().judge_threshold is None


def test_a_count_the_documents_do_not_spell_out_is_answered_from_the_listing_sentence_and_a_wrong_one_quotes_it(
    pipeline, scripted
):
    listed = "new domains are named: cybersecurity, space exploration, and AI. [15]"
    scripted.enqueue(f"Three {listed}", f"Four {listed}")
    answer = pipeline.answer("How many new domains of cooperation are named?")
    assert answer.mode == "generated" and [c.text for c in answer.citations] == [DOMAINS]
    answer = pipeline.answer("How many new domains of cooperation are named?")
    assert not answer.refused and answer.mode == "extractive" and [c.text for c in answer.citations] == [DOMAINS]


def test_extractive_fallback_ignores_a_draft_drawn_from_a_sentence_retrieval_did_not_rank(pipeline, scripted):
    # The failed draft loosely paraphrases the Taiwan sentence, which retrieval found but did not rank among the
    # most relevant: the answer quotes the sentence retrieval ranked first, not the one the draft aligned with.
    scripted.enqueue("Taiwan stands for the wider trouble with China that drew the two partners together.")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert answer.mode == "extractive" and [c.text for c in answer.citations] == [DOMAINS]


def test_extractive_fallback_ignores_a_sentence_a_failed_draft_barely_aligns_to(pipeline, scripted):
    # The vague draft shares a word or two with a sentence retrieval marked, "In recent years, this partnership
    # has intensified…": it was not drawn from there, and quoting it answers nothing.
    scripted.enqueue("They collaborate in many things. The partners also like weather forecasts and future concerns.")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert answer.mode == "extractive" and [c.text for c in answer.citations] == [DOMAINS]


def test_support_coverage_sets_how_much_of_a_sentence_its_sources_must_contain(pipeline, scripted):
    # Seven of the draft's nine content words are in the hurdles sentence (0.78).
    draft = "Domestic pressures, economic dependencies and differing priorities sometimes create hurdles."
    hurdles = "Domestic pressures, economic dependencies, and differing national priorities occasionally pose hurdles."
    scripted.enqueue(draft)
    assert pipeline.answer("What hurdles does the alliance face?").dropped == [draft]  # default: 0.8
    pipeline.settings = pipeline.settings.model_copy(update={"support_coverage": 0.75})
    scripted.enqueue(draft)
    answer = pipeline.answer("What hurdles does the alliance face?")
    assert answer.mode == "generated" and [s.text for s in answer.sentences] == [draft]
    assert [c.text for c in answer.citations] == [hurdles]


def test_when_the_first_sentence_fails_the_true_ones_after_it_are_not_shown_without_it():
    # "This name keeps the directory hidden" answers nothing once "The usual name is .venv." is gone.
    lead = replace(sentence_claim(0, "The usual directory name is .venv."), supported=False, support=0.7)
    after = sentence_claim(1, "This name keeps the directory hidden.")
    assert [c.supported for c in lead_decides([lead, after])] == [False, False]
    assert lead_decides([after, lead]) == [after, lead]  # a failed sentence later on sinks only itself
    # A line that introduces the code after it is not the answer: the code is.
    intro = replace(sentence_claim(2, "Activate it with:"), supported=False)
    code = sentence_claim(3, "`source env/bin/activate`")
    assert [c.supported for c in lead_decides([intro, code])] == [False, True]
    # A first sentence that is true but off the question (dropped as such) is no direct answer: the next one is.
    # Node's security policy: "What is the disclosure policy?" opened with where third-party bugs go.
    aside = replace(sentence_claim(4, "Bugs in third-party modules go to their maintainers."), supported=False)
    steps = sentence_claim(5, "The report is assigned a primary handler.")
    assert [c.supported for c in lead_decides([aside, steps], aside={0})] == [False, True]
    assert [c.supported for c in lead_decides([aside, steps])] == [False, False]  # failed verification: it sinks all


def test_a_first_sentence_that_failed_narrowly_is_answered_by_quoting_its_source(pipeline, scripted):
    # The answer is the first sentence, a loose paraphrase; the true sentence after it does not answer on its own.
    resolve = next(s for s in ESSAY_SENTENCES if s.startswith("However, the shared resolve"))
    hurdles = next(s for s in ESSAY_SENTENCES if s.startswith("Domestic pressures"))
    loose = "A shared resolve to keep the Indo-Pacific free and open outweighs such challenges for them."
    scripted.enqueue(f"{loose} [1] {hurdles} [2]")
    answer = pipeline.answer("What keeps the alliance going despite its hurdles?")
    assert answer.mode == "extractive" and answer.citations[0].text == resolve
    assert loose in answer.dropped
    assert_exact(answer)
