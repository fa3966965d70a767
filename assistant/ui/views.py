"""Pure formatting of service results for the UI: Markdown, tables and an SVG radar chart. No logic, no I/O."""

from __future__ import annotations

import html
import math
from typing import Any

from assistant.conflicts import Conflict, HeardAnswer
from assistant.extraction.models import StructuredAnswer
from assistant.guidance import GuidanceAnswer
from assistant.interview import InterviewState, Phase, label_value
from assistant.interview.replies import LOW_CONFIDENCE
from assistant.protocol.models import GateAnswerType, GateItem, Protocol, interviewee_fields
from assistant.reports.build import PROVISIONAL_AREA_SHARE, PROVISIONAL_COMPLETENESS
from assistant.retrieval.index import NO_STRONG_GUIDANCE
from assistant.retrieval.models import Passage
from assistant.rubric import SiteProfile

CARD_HEADERS = ["field", "value", "from your answer"]
NO_CONFLICTS = "**Conflicts:** none: where several interviewees answered a question, they agree."


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def source_link(url: str | None) -> str:
    """A link to the source document's public page (sources.yaml), or nothing where none is confirmed."""
    return f" · [source]({url})" if url and url.startswith("https://") and " " not in url and ")" not in url else ""


def passages_markdown(
    passages: list[Passage],
    message: str | None = None,
    highlights: dict[str, str] | None = None,
    numbered: bool = False,
) -> str:
    """Passages with their citations and source links; each expands to the passage itself (its lists as lists), its
    answering sentence highlighted. No server path is shown."""
    if not passages:
        return message or NO_STRONG_GUIDANCE
    blocks = []
    for n, p in enumerate(passages, start=1):
        tag = "linked to this question" if p.linked else f"similarity {p.dense:.2f}" if p.dense is not None else ""
        tag_html = f" <small>({tag})</small>" if tag else ""
        body = esc(p.text)
        sentence = (highlights or {}).get(p.id)
        if sentence:
            body = body.replace(esc(sentence), f"<mark>{esc(sentence)}</mark>", 1)
        number = f"[{n}] " if numbered else ""
        lead = f"\n\n> {esc(sentence)}" if sentence else ""
        link = source_link(p.url)
        blocks.append(
            f"{number}**{esc(p.title)}** · {esc(p.citation())}{link}{tag_html}{lead}\n\n"
            f"<details><summary>Open the passage</summary>\n\n{body}\n\n</details>"
            if sentence
            else f"<details><summary>{number}<b>{esc(p.title)}</b> · {esc(p.citation())}{tag_html}</summary>\n\n"
            f"{body}\n\n{link.removeprefix(' · ')}</details>"
        )
    return "\n\n".join(blocks)


def short_answer_markdown(answer: GuidanceAnswer) -> str:
    """The short answer: the sentences from the guidance that answer, each with the passage it is from ([n]), its
    citation and a link to the source; a glossary term's entry first, with the notes that use the term."""
    if not answer.answer:
        return ""
    number = {p.id: n for n, p in enumerate(answer.result.passages, start=1)}
    lines = ["**Answer** (sentences from the guidance below, chosen without an LLM; each cites its passage)", ""]
    for s in answer.answer:
        ref = f"[{number[s.note_id]}] " if s.note_id in number else ""
        lines.append(f"- {esc(s.text)}")
        lines += [f"    - {esc(item)}" for item in s.list_items]
        lines.append(f"  <small>{ref}{esc(s.citation)}{source_link(s.url)}</small>")
    if answer.glossary and answer.glossary.used_in:
        titles = "; ".join(esc(title) for _, title in answer.glossary.used_in)
        lines += ["", f"*Notes that use the term:* {titles}"]
    return "\n".join(lines)


def guidance_answer_markdown(answer: GuidanceAnswer) -> str:
    parts = [short_answer_markdown(answer)] if answer.answer else []
    if answer.written:
        parts.append("**Written answer** (by the configured LLM from the passages below; each sentence cites one)")
        parts.append(" ".join(f"{esc(c.text.strip())} [{c.passage}]" for c in answer.written))
    if answer.note:
        parts.append(f"*{esc(answer.note)}*")
    if answer.result.passages:
        parts.append("**Passages**")
    parts.append(passages_markdown(answer.result.passages, answer.result.message, answer.highlights, numbered=True))
    return "\n\n".join(parts)


def question_panel(protocol: Protocol, state: InterviewState | None) -> str:
    if state is None:
        return "Start or resume an interview to see the current question here."
    if state.phase is Phase.FACTS:
        return "### About the site\nA few yes/no questions decide which protocol questions apply."
    if state.current is None:
        return "### All done\nEvery question for your role has an answer. See the Results tab."
    q = protocol.question(state.current)
    if q is None:
        return ""
    area = protocol.area(q.area)
    return (
        f"### {q.id} · {q.topic}\n*{area.name if area else q.area}*\n\n**{q.text}**\n\n"
        f"**What a complete answer covers.** {q.respondent_guidance}"
    )


def progress_markdown(protocol: Protocol, state: InterviewState | None, progress: dict[str, tuple[int, int]]) -> str:
    if state is None:
        return ""
    lines = [f"**Progress** · {esc(state.interviewee)} ({role_label(protocol, state.role)}) · {state.protocol}"]
    for area in protocol.meta.areas:
        done, total = progress.get(area.id, (0, 0))
        if total:
            lines.append(f"- {area.name}: {done}/{total}")
    return "\n".join(lines)


def card_rows(protocol: Protocol, state: InterviewState | None) -> list[list[str]]:
    """The answer card: field label, value by its labels (the edit column accepts labels), supporting words."""
    if state is None or state.current is None:
        return []
    q = protocol.question(state.current)
    answer: StructuredAnswer | None = state.draft
    if q is None:
        return []
    rows = []
    for f in interviewee_fields(q):
        v = answer.values.get(f.id) if answer else None
        value = "" if v is None or v.value is None else label_value(f, v.value)
        support = f"\u201c{v.span}\u201d" if v is not None and v.span and v.source == "extracted" else ""
        if v is not None and v.source == "edited":
            support = "(you set this)"
        elif v is not None and v.source == "declined":
            support = "(you did not know)"
        elif v is not None and v.source == "carried":
            support = "(carried over: please reconfirm)"
        if v is not None and v.value is not None and v.source == "extracted" and v.confidence < LOW_CONFIDENCE:
            support += " \u00b7 please check"
        rows.append([f.label, value, support])
    return rows


def card_field_ids(protocol: Protocol, state: InterviewState | None) -> list[str]:
    """The field id of each card row, in the same order as ``card_rows``."""
    q = protocol.question(state.current) if state is not None and state.current else None
    return [f.id for f in interviewee_fields(q)] if q is not None else []


def question_choices(protocol: Protocol, state: InterviewState | None) -> list[tuple[str, str]]:
    """This interview's questions with their status, for the question list (label, id)."""
    if state is None:
        return []
    out = []
    for qid in state.order:
        q = protocol.question(qid)
        if qid in state.confirmed:
            mark = "\u2713"
        elif qid in state.na:
            mark = "N/A"
        elif qid == state.current:
            mark = "\u25b6"
        elif qid in state.skipped:
            mark = "skipped"
        else:
            mark = "\u25cb"
        out.append((f"{mark} {qid} \u00b7 {q.topic if q else ''}", qid))
    return out


def said_text(protocol: Protocol, answer: HeardAnswer) -> str:
    """What one interviewee said, by labels."""
    if answer.status == "na":
        return f"N/A: {answer.na_justification or ''}"
    q = protocol.question(answer.question_id)
    fields = {f.id: f for f in q.fields} if q else {}
    parts = [f"{fields[k].label}: {label_value(fields[k], v)}" for k, v in answer.values.items() if k in fields]
    return "; ".join(parts) or "nothing stated"


def role_label(protocol: Protocol, role: str) -> str:
    """A role as people read it ("Head of quality assurance"), not its id."""
    return next((r.label for r in protocol.meta.roles if r.id == role), "all questions" if role == "all" else role)


def conflicts_markdown(protocol: Protocol, conflicts: list[Conflict]) -> str:
    if not conflicts:
        return NO_CONFLICTS
    blocks = [f"### Conflicts ({sum(c.open for c in conflicts)} open)\nWhere interviewees' confirmed answers differ. "
              "An open conflict is scored at the lowest of their levels until an assessor chooses one."]  # fmt: skip
    for c in conflicts:
        if c.resolution is None:
            head = f"**{c.question_id} \u00b7 {esc(c.topic)}**: open"
        else:
            chosen = next((a.interviewee for a in c.answers if a.interview_id == c.resolution.chosen_interview_id), "")
            head = (f"**{c.question_id} \u00b7 {esc(c.topic)}**: resolved by {esc(c.resolution.who)}: "
                    f"{esc(chosen)}'s answer (\u201c{esc(c.resolution.reason)}\u201d)")  # fmt: skip
        lines = [
            f"- **{esc(a.interviewee)}** ({esc(role_label(protocol, a.role))})"
            f"{'' if a.level is None else f', level {a.level}'}: "
            f"{esc(said_text(protocol, a))}"
            for a in c.answers
        ]
        blocks.append(head + "\n" + "\n".join(lines))
    return "\n\n".join(blocks)


def conflict_choices(conflicts: list[Conflict]) -> list[tuple[str, str]]:
    """(label, "QUESTION:INTERVIEW") for each answer of each conflict, for the assessor's choice."""
    return [
        (f"{c.question_id}: {a.interviewee}'s answer ({'N/A' if a.level is None else f'level {a.level}'})",
         f"{c.question_id}:{a.interview_token}")
        for c in conflicts for a in c.answers
    ]  # fmt: skip


def turn_summary(protocol: Protocol, state: InterviewState | None, messages: list[str],
                 quick: list[str], form: list[Any], refs: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """The Interview tab as data, for API clients (the last output of every interview endpoint). The interview
    and assessment are named by their tokens (``refs``); numeric ids stay on the server."""
    if state is None:
        return {}
    return {
        "interview": (refs or {}).get("interview", ""), "assessment": (refs or {}).get("assessment", ""),
        "revision": state.revision,
        "phase": state.phase.value, "question": state.current, "messages": messages, "quick_replies": quick,
        "form": [f.model_dump() for f in form], "card": card_rows(protocol, state),
        "open_questions": [q for q in state.order if q not in state.confirmed and q not in state.na],
    }  # fmt: skip


def chat_message(role: str, text: str) -> dict[str, str]:
    """One chat bubble. The text is escaped: an answer, a name or a quoted span is shown as typed, never as markup."""
    return {"role": role, "content": esc(text)}


def chat_messages(lines: list[str]) -> list[dict[str, str]]:
    return [chat_message("assistant", line) for line in lines if line]


def profile_rows(profile: SiteProfile) -> list[list[str]]:
    rows = []
    for a in profile.areas:
        dist = " ".join(f"L{k}:{v}" for k, v in a.distribution.items() if v)
        score = "-" if a.score is None else f"{a.score:.2f}"
        if a.score is not None and a.applicable and a.assessed / a.applicable < PROVISIONAL_AREA_SHARE:
            score += " (provisional)"
        rows.append([a.name, score, a.level_name or "-", f"{a.assessed}/{a.applicable}", str(a.na), dist])
    return rows


def profile_summary(profile: SiteProfile) -> str:
    overall = "-" if profile.overall is None else f"{profile.overall:.2f}"
    evidence = "-" if profile.evidence_share is None else f"{profile.evidence_share * 100:.0f}%"
    scored = sum(q.status == "scored" for q in profile.questions)
    provisional = profile.overall is not None and profile.completeness < PROVISIONAL_COMPLETENESS
    note = (f"\n\n**Provisional:** only {profile.completeness * 100:.0f}% of the applicable questions are answered; "
            f"a score stands from {PROVISIONAL_COMPLETENESS * 100:.0f}%.") if provisional else ""  # fmt: skip
    return (
        f"**Overall {overall}{' (provisional)' if provisional else ''}** · completeness "
        f"{profile.completeness * 100:.0f}% · answers with evidence {evidence} · validated by an assessor "
        f"{len(profile.validated)} of {scored} · {profile.protocol}{note}\n\n"
        "*Our self-assessment rubric (our interpretation of QMM), not an FDA rating.*"
    )


def gate_markdown(profile: SiteProfile) -> str:
    """The compliance gate beside the profile (never part of a score); empty for a protocol without a gate."""
    summary = profile.gate_summary
    if summary is None:
        return ""
    lines = [f"#### Compliance gate · checked {summary.checked_on} · never scored", f"**{esc(summary.headline)}**"]
    lines += [f"- {esc(p)}" for p in summary.problems]
    if summary.unanswered:
        lines.append(f"\n*Not answered yet:* {esc(', '.join(summary.unanswered))} (answer them under "
                     "\"Compliance gate answers\" below).")  # fmt: skip
    return "\n".join(lines)


def gate_choices(item: GateItem) -> list[str] | None:
    """The choices a gate item's control offers (by label), or None for a text box (dates, free text)."""
    if item.type is GateAnswerType.YES_NO:
        return ["Yes", "No"]
    if item.type is GateAnswerType.SINGLE_CHOICE:
        return [o.label for o in item.options or []]
    return None


def gate_shown(item: GateItem, answer: str | None) -> str | None:
    """A saved gate answer as its control shows it (the option's label, "Yes", the date)."""
    if answer is None:
        return None
    if item.type is GateAnswerType.YES_NO:
        return answer.capitalize()
    if item.type is GateAnswerType.SINGLE_CHOICE:
        return next((o.label for o in item.options or [] if o.id == answer), answer)
    return answer


def question_traces(profile: SiteProfile) -> str:
    blocks = []
    for q in profile.questions:
        if q.status == "scored":
            trace = "\n".join(f"- {'✅' if r.met else '❌'} {esc(r.describe())}" + (f" — {esc(r.why)}" if r.why else "")
                              for r in q.trace)  # fmt: skip
            need = "; ".join(esc(r.why or r.describe()) for r in q.missing_for_next) or "top level reached"
            blocks.append(
                f"<details><summary>{q.question_id} · {esc(q.topic)}: <b>level {q.level} ({q.level_name})</b>"
                f"</summary>\n\n**Next level needs:** {need}\n\n{trace}\n</details>"
            )
        elif q.status == "na":
            blocks.append(f"- {q.question_id} · {esc(q.topic)}: N/A ({esc(q.na_justification or '')})")
        else:
            blocks.append(f"- {q.question_id} · {esc(q.topic)}: {q.status.replace('_', ' ')}")
    return "\n\n".join(blocks)


def radar_svg(profile: SiteProfile, prefixes: dict[str, str] | None = None, size: int = 360) -> str:
    """The five area scores on a 0-5 radar, as inline SVG (no plotting library needed)."""
    areas = profile.areas
    n = len(areas)
    cx = cy = size / 2
    radius = size / 2 - 70

    def point(i: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return cx + radius * value / 5 * math.cos(angle), cy + radius * value / 5 * math.sin(angle)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" role="img" '
             f'aria-label="Practice-area scores">']  # fmt: skip
    for level in range(1, 6):
        ring = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, level) for i in range(n)))
        parts.append(f'<polygon points="{ring}" fill="none" stroke="#ccc" stroke-width="1"/>')
    for i, a in enumerate(areas):
        x, y = point(i, 6.6)
        label = (prefixes or {}).get(a.area, a.name[:12])
        score = "-" if a.score is None else f"{a.score:.1f}"
        parts.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="12" text-anchor="middle"><title>{esc(a.name)}</title>'
                     f"{esc(label)} {score}</text>")  # fmt: skip
    scores = [a.score or 0.0 for a in areas]
    shape = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, s) for i, s in enumerate(scores)))
    parts.append(f'<polygon points="{shape}" fill="rgba(37,99,235,0.3)" stroke="#2563eb" stroke-width="2"/>')
    parts.append("</svg>")
    return "".join(parts)
