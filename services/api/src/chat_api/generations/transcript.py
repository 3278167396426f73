"""An answer as it grows, round by round: the text the model wrote, the sources it cited, the calls it made,
their results. From it come the saved parts (in order: text, citations, calls, results, text...), what the next
round sends the model (its calls and their results, as Semantic Kernel's contents), and the text alone."""

from dataclasses import dataclass, field
from typing import Any

from semantic_kernel.contents import ChatMessageContent

from chat_api.chat.events import Citation, ToolCall
from chat_api.chat.parts import CitationPart, Part, TextPart, ToolCallPart, ToolResultPart, steps_of
from chat_api.tools.calls import Call, CallOutcome


@dataclass
class _Round:
    text: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    calls: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # by id: tool, argument fragments
    results: dict[str, CallOutcome] = field(default_factory=dict)


class Transcript:
    def __init__(self) -> None:
        self.rounds = [_Round()]
        self.text: list[str] = []  # every round's text, in order (what progress saves and `content` keep)

    def add_text(self, text: str) -> None:
        self.text.append(text)
        self.rounds[-1].text.append(text)

    def add_citation(self, citation: Citation) -> None:
        self.rounds[-1].citations.append(citation)

    def add_fragment(self, fragment: ToolCall) -> None:
        _, arguments = self.rounds[-1].calls.setdefault(fragment.call_id, (fragment.tool, []))
        arguments.append(fragment.arguments)

    def calls(self) -> list[Call]:
        """The calls of the round just streamed, their arguments whole."""
        return self._of(self.rounds[-1])

    def unfinished(self) -> list[Call]:
        """The last round's calls that have no result (the answer ended while they ran, or before they could)."""
        round_ = self.rounds[-1]
        return [call for call in self._of(round_) if call.call_id not in round_.results]

    def add_result(self, call: Call, outcome: CallOutcome) -> None:
        self.rounds[-1].results[call.call_id] = outcome

    def next_round(self) -> None:
        self.rounds.append(_Round())

    @property
    def used_tools(self) -> bool:
        return any(round_.calls for round_ in self.rounds)

    def steps(self) -> list[ChatMessageContent]:
        """The rounds so far as the model is sent them back (see `chat.parts.steps_of`)."""
        return steps_of(self.stored() or [])

    def parts(self) -> list[Part] | None:
        """The answer's parts in order, as clients get them; None when it called no tool and cited nothing (its
        text is all)."""
        if not self.used_tools and not any(round_.citations for round_ in self.rounds):
            return None
        parts: list[Part] = []
        for round_ in self.rounds:
            if round_.text:
                parts.append(TextPart(text="".join(round_.text)))
            parts += [
                CitationPart(
                    number=c.number, file_id=c.file_id, file=c.file, page=c.page, section=c.section, text=c.text
                )
                for c in round_.citations
            ]
            calls = self._of(round_)
            parts += [ToolCallPart(call_id=call.call_id, tool=call.tool, arguments=call.arguments) for call in calls]
            for call in calls:
                outcome = round_.results.get(call.call_id)
                if outcome is not None:
                    parts.append(
                        ToolResultPart(
                            call_id=call.call_id,
                            tool=call.tool,
                            status=outcome.status,
                            preview=outcome.preview,
                            duration_ms=outcome.duration_ms,
                        )
                    )
        return parts

    def stored(self) -> list[dict[str, Any]] | None:
        """The parts as the database keeps them: a result also keeps what the model was given (`output`)."""
        parts = self.parts()
        if parts is None:
            return None
        outputs = {call_id: outcome.output for round_ in self.rounds for call_id, outcome in round_.results.items()}
        stored = []
        for part in parts:
            row = part.model_dump()
            if isinstance(part, ToolResultPart):
                row["output"] = outputs.get(part.call_id, "")
            stored.append(row)
        return stored

    @staticmethod
    def _of(round_: _Round) -> list[Call]:
        return [Call(call_id, tool, "".join(parts)) for call_id, (tool, parts) in round_.calls.items()]
