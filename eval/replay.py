"""Record the model's drafts during an eval and replay them, so that a change to retrieval, grounding or composing
is measured on both gold sets in a couple of minutes instead of the model's quarter of an hour.

    python -m eval.replay record DRAFTS.json -- --configs eval/configs-quick.json
    python -m eval.replay replay DRAFTS.json -- --configs eval/configs-quick.json --out /tmp/after
    python -m eval.compare BEFORE_REPORT_FOLDER AFTER_REPORT_FOLDER

Everything after ``--`` goes to ``alliance-qa eval``. Decoding is greedy and the eval asks its questions in the same
order, so a prompt gets the same reply every time: the recording keeps each reply and judgement under the SHA-256
of the prompt and of the judgements' prompts. A change that alters a prompt (a new hint, other marked sentences)
misses the recording: ``replay`` asks the model then and adds its reply; with ``--only-recorded`` the draft is left
empty (the answer quotes the sources) and the miss is counted. The model is still loaded either way, since the
pipeline asks it how long the document prompt is. Replayed answers take no time to write: compare their quality,
never their timings.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage

from eval import runner
from rag.answer import Pipeline
from rag.answer.judge import Judgement, Judges
from rag.answer.prompt import Reply

Generated = tuple[Reply, Judgement, str | None]  # what Pipeline._generate returns: the failure is None unless it failed


def prompt_key(messages: list[BaseMessage], judges: Judges | None) -> str:
    """The SHA-256 of the prompt, and of what decides the judgements: their first prompt, whether the second is
    asked, and the first's threshold."""
    judging = None if judges is None else [_plain(judges.answerable), judges.on_point is not None, judges.threshold]
    text = json.dumps([_plain(messages), judging], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(messages: list[BaseMessage]) -> list[tuple[str, Any]]:
    return [(m.type, m.content) for m in messages]


@dataclass
class Recording:
    """The recorded replies and judgements by ``prompt_key`` (only the model's successes are recorded), and what a
    run did with them."""

    replies: dict[str, tuple[Reply, Judgement]] = field(default_factory=dict)
    replayed: int = 0
    asked: int = 0
    missed: int = 0

    @classmethod
    def load(cls, path: Path) -> Recording:
        """The recording in ``path``, or an empty one when there is no such file."""
        if not path.exists():
            return cls()
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
            replies = {r["key"]: (Reply(r["text"], r["declined"]), Judgement(*r["judgement"])) for r in rows}
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path} is not a recording of drafts: {exc}") from exc
        return cls(replies)

    def save(self, path: Path) -> None:
        """Written whole to a temporary file first, so that an interrupted save leaves the old recording."""
        rows = [
            {"key": k, "text": reply.text, "declined": reply.declined, "judgement": list(judged)}
            for k, (reply, judged) in self.replies.items()
        ]
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(rows, ensure_ascii=False, indent=0), encoding="utf-8")
        os.replace(temporary, path)

    def summary(self) -> str:
        return f"replayed {self.replayed}, asked the model {self.asked}, left empty {self.missed}"


@contextmanager
def replaying(recording: Recording, ask_model: bool = True) -> Iterator[Recording]:
    """Within the block every pipeline takes its drafts from ``recording``. A prompt not recorded is sent to the
    model when ``ask_model`` (and its reply recorded unless the model failed); otherwise its draft is empty."""
    real = Pipeline._generate

    def generate(pipeline: Pipeline, messages: list[BaseMessage], judges: Judges | None, on_token: Any) -> Generated:
        key = prompt_key(messages, judges)
        if key in recording.replies and not (ask_model and _unjudged_decline(recording.replies[key], judges)):
            recording.replayed += 1
            reply, judged = recording.replies[key]
            if on_token and reply.text:
                on_token(reply.text)
            return reply, judged, None
        if not ask_model:
            recording.missed += 1
            return Reply("", False), Judgement(), None
        recording.asked += 1
        reply, judged, failure = real(pipeline, messages, judges, on_token)
        if failure is None:
            recording.replies[key] = (reply, judged)
        return reply, judged, failure

    Pipeline._generate = generate  # type: ignore[method-assign]
    try:
        yield recording
    finally:
        Pipeline._generate = real  # type: ignore[method-assign]


def _unjudged_decline(recorded: tuple[Reply, Judgement], judges: Judges | None) -> bool:
    """Whether a recorded reply declined without the judgement that declines now get (recorded before they did):
    the model is asked again, as for a prompt not recorded."""
    reply, judged = recorded
    return reply.declined and judges is not None and judged.answerable is None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["record", "replay"], help="record: every draft from the model, anew")
    parser.add_argument("drafts", type=Path, help="the recording (JSON), written after the run")
    parser.add_argument("--only-recorded", action="store_true", help="never ask the model: a miss is an empty draft")
    parser.add_argument("eval_args", nargs=argparse.REMAINDER, help="-- then the arguments of alliance-qa eval")
    args = parser.parse_args(argv)
    if args.only_recorded and (args.mode == "record" or not args.drafts.exists()):
        parser.error(f"--only-recorded replays a recording, and there is none at {args.drafts}")
    recording = Recording() if args.mode == "record" else Recording.load(args.drafts)
    eval_args = args.eval_args[1:] if args.eval_args[:1] == ["--"] else args.eval_args
    try:
        with replaying(recording, ask_model=not args.only_recorded):
            return runner.main(eval_args)
    finally:  # an interrupted run keeps the drafts it paid for
        if recording.asked:
            recording.save(args.drafts)
        print(f"drafts: {recording.summary()} ({args.drafts})")


if __name__ == "__main__":
    raise SystemExit(main())
