"""Pure formatting of the Learn tab: the overview, a reading path, an opened note, a practice card, its result and
the learner's agreement. No logic, no I/O."""

from __future__ import annotations

from assistant.learning import (
    AreaAgreement,
    NoteLink,
    OverviewSection,
    PracticeCard,
    PracticeResult,
    ReadingPath,
    card_lines,
)
from assistant.learning_mock import MockQuestionResult, MockResult, MockState, Persona, brief
from assistant.learning_service import OpenNote
from assistant.protocol.models import Protocol
from assistant.ui.views import esc, source_link

INTERPRETATION = ("*The overview is our summary of FDA's public documents, with the sources named; where FDA has "
                  "published nothing (level names, sub-topics, how scores combine) this tool's rubric is our "
                  "interpretation.*")  # fmt: skip


def source_text(link: NoteLink) -> str:
    """The source document's name, with the note's year where the name does not already give it."""
    year = "" if str(link.year) in link.source else f" ({link.year})"
    return f"{esc(link.source)}{year}{source_link(link.url)}"


def note_line(link: NoteLink) -> str:
    return f"**{esc(link.title)}** · <small>{source_text(link)}</small>"


def overview_markdown(sections: list[tuple[OverviewSection, list[NoteLink]]],
                      sources: list[list[tuple[str, str | None]]]) -> str:  # fmt: skip
    blocks = ["## Start here: FDA's QMM program in six parts", INTERPRETATION]
    for (section, links), cited in zip(sections, sources, strict=True):
        named = "; ".join(esc(title) + source_link(url).replace(" · [source]", " [link]") for title, url in cited)
        reads = "\n".join(f"  - {note_line(link)}" for link in links)
        blocks.append(f"### {esc(section.heading)}\n\n{esc(section.text)}\n\n<small>Sources: {named}</small>\n\n"
                      f"- Read next:\n{reads}")  # fmt: skip
    return "\n\n".join(blocks)


def path_markdown(path: ReadingPath) -> str:
    lines = [f"### Reading path: {esc(path.name)}",
             f"{len(path.steps)} notes in order: FDA's framing first, then the standard the area rests on, then the "
             "industry models and practical notes. Each names the protocol questions it informs."]  # fmt: skip
    for step in path.steps:
        informs = ", ".join(f"{qid} {esc(topic)}" for qid, topic in step.questions) or "background for the whole area"
        lines.append(f"{step.step}. {note_line(step.note)}  \n   *Informs:* {informs}")
    if path.unlinked:
        lines.append("*Questions no note on this path is linked to:* "
                     + ", ".join(f"{qid} {esc(topic)}" for qid, topic in path.unlinked))  # fmt: skip
    return "\n\n".join(lines)


def note_markdown(note: OpenNote, protocol: Protocol) -> str:
    link = note.link
    questions = [protocol.question(q) for q in link.questions]
    informs = ", ".join(f"{q.id} {esc(q.topic)}" for q in questions if q is not None) or "no single question"
    return (
        f"### {esc(link.title)}\n\n*Source:* {source_text(link)} · {link.confidence} source\n\n"
        f"*Informs:* {informs}\n\n{esc(note.body)}"
    )


def question_notes_markdown(links: list[NoteLink]) -> str:
    if not links:
        return "*No guidance note is linked to this question yet; see the reading path of its practice area.*"
    return "#### Read first\n\n" + "\n".join(f"- {note_line(link)}" for link in links)


def card_markdown(card: PracticeCard) -> str:
    said = "\n".join(f"- {esc(line)}" for line in card.lines) or "- (no field stated)"
    return (
        f"#### {card.question_id} · {esc(card.topic)}\n\n**{esc(card.question)}**\n\n"
        f"*{esc(card.site)}* (a fictional example site) answered:\n\n{said}\n\n"
        "What level does our rubric give this answer? Pick one and check."
    )


def level_choices(protocol: Protocol) -> list[tuple[str, int]]:
    return [(f"{n} · {protocol.meta.levels[n].name}", n) for n in sorted(protocol.meta.levels)]


def result_markdown(result: PracticeResult) -> str:
    s = result.score
    verdict = ("**You agree with the rubric.**" if result.agreed else
               f"**The rubric says level {s.level}; you said {result.predicted}.**")  # fmt: skip
    reached = "\n".join(f"- ✓ {esc(n)}" for n in result.level_needs) or "- nothing above the first level was met"
    if s.next_level is None:
        nxt = "**Next level:** top level reached."
    else:
        needs = "\n".join(f"- ✗ {esc(n)}" for n in result.next_needs)
        nxt = f"**What level {s.next_level} needs that this answer lacks:**\n{needs}"
    trace = "\n".join(f"- {'✓' if r.met else '✗'} {esc(r.describe())}" + (f" — {esc(r.why)}" if r.why else "")
                      for r in s.trace)  # fmt: skip
    return (
        f"{verdict} Level {s.level} · {esc(s.level_name or '')}: {esc(s.level_description or '')}\n\n"
        f"**Why level {s.level}:**\n{reached}\n\n{nxt}\n\n"
        f"<details><summary>The rubric's criterion trace</summary>\n\n{trace}\n</details>"
    )


def agreement_markdown(rows: list[AreaAgreement]) -> str:
    total = sum(r.tried for r in rows)
    if not total:
        return "*Your agreement with the rubric shows here after your first round.*"
    agreed = sum(r.agreed for r in rows)
    lines = [f"**Your agreement with the rubric:** {agreed} of {total} round{'s' * (total != 1)} exactly "
             f"({agreed / total:.0%}), {sum(r.within_one for r in rows)} within one level.", ""]  # fmt: skip
    for r in rows:
        if not r.tried:
            lines.append(f"- {esc(r.name)}: no rounds yet")
            continue
        rounds = "1 round" if r.tried == 1 else f"{r.tried} rounds"
        lines.append(f"- {esc(r.name)}: {rounds}, {r.agreed} at the same level ({r.share or 0:.0%}), "
                     f"{r.within_one} within one")  # fmt: skip
    return "\n".join(lines)


# --- mock interview ------------------------------------------------------------------------------------------------
def mock_question_markdown(state: MockState, protocol: Protocol, persona: Persona | None) -> str:
    """Where the mock interview stands: what was heard in the last reply, then the current question with what the
    learner, as the site's staff, knows for it."""
    done = len({r.question_id for r in state.replies})
    area = protocol.area(state.area)
    lines = [f"### Mock interview: you are the staff of *{esc(state.site)}*",
             f"{done} of {len(state.questions)} questions answered · {esc(area.name if area else state.area)} · "
             f"{esc(state.protocol)}"]  # fmt: skip
    if state.replies:
        last = state.replies[-1]
        question = protocol.question(last.question_id)
        heard = card_lines(question, last.heard) if question else []
        said = "\n".join(f"- {esc(h)}" for h in heard) or "- nothing the rubric scores (it counts as level 1)"
        lines.append(f"**Heard in your answer to {last.question_id}:**\n\n{said}")
    if state.finished:
        lines.append("This mock interview is finished; its result is below.")
    elif state.current is None:
        lines.append("**Every question has your answer.** Finish to see how your answers scored.")
    else:
        question = protocol.question(state.current)
        known = brief(question, persona) if question and persona else []
        facts = "\n".join(f"- {esc(k)}" for k in known) or "- (the site's file says nothing more)"
        lines.append(
            f"#### {state.current} · {esc(question.topic if question else '')}\n\n"
            f"**{esc(question.text if question else '')}**\n\n"
            f"<details open><summary>What you know, as this site's staff (from its file)</summary>\n\n{facts}\n"
            "</details>\n\nAnswer in your own words, as you would to an assessor: the details you give are what "
            "the interview can score."
        )  # fmt: skip
    return "\n\n".join(lines)


def mock_result_markdown(result: MockResult) -> str:
    """How the answers scored beside the site's own, and for each question the details that would have raised it."""
    if not result.replied:
        return "**No question was answered in this mock interview**, so there is nothing to score."
    yours = f"{result.your_score:.2f}" if result.your_score is not None else "none"
    site = f"{result.site_score:.2f}" if result.site_score is not None else "none"
    lines = [f"### How your answers scored: {esc(result.area_name)} at {esc(result.site)}",
             f"Your answers: **{yours}** on average over {result.replied} question{'s' * (result.replied != 1)}; "
             f"the site's own answers to the same questions: **{site}**. Same level on {result.matched} of "
             f"{result.replied}. Scored by the rubric of {esc(result.protocol)} (our interpretation, not FDA's)."]
    for q in result.questions:
        if q.replied:
            lines.append(_mock_question(q))
    unanswered = [f"{q.question_id} {esc(q.topic)} (the site's level {q.site_level})" for q in result.questions
                  if not q.replied]  # fmt: skip
    if unanswered:
        lines.append("**Not answered:** " + "; ".join(unanswered) + ".")
    return "\n\n".join(lines)


def _mock_question(q: MockQuestionResult) -> str:
    mine = q.your_level or 1
    parts = [f"#### {q.question_id} · {esc(q.topic)}: your level {mine}, the site's {q.site_level}",
             f"*Heard:* {'; '.join(esc(h) for h in q.heard) or 'nothing the rubric scores'}"]
    raised = q.raised_by
    if raised:
        parts.append("**Details you left out that would have raised your level:**\n"
                     + "\n".join(f"- {esc(d.label)}: {esc(d.site_said)} → level {d.raises_to}"
                                 + (f" (heard as {esc(d.heard_as)})" if d.heard_as else "") for d in raised))
    elif q.together_level is not None:
        parts.append(f"**Together, the details you left out would have reached level {q.together_level}:** "
                     + "; ".join(f"{esc(d.label)}: {esc(d.site_said)}" for d in q.left_out))
    if q.site_level is not None and mine > q.site_level:
        parts.append("**Your level is above the site's:** your answer claimed more than the site's file supports; "
                     "in a real assessment that is a finding waiting to happen.")
    rest = [d for d in q.left_out if d.raises_to is None] if raised or q.together_level is None else []
    different = [d for d in rest if d.heard_as]
    missing = [d for d in rest if not d.heard_as]
    if different:
        parts.append("*Said differently from the site's file:* " + "; ".join(
            f"{esc(d.label)} (the site: {esc(d.site_said)}; heard: {esc(d.heard_as or '')})" for d in different))
    if missing:
        parts.append("<small>Also in the site's answer, not heard in yours (no change of level on its own): "
                     + "; ".join(esc(d.label) for d in missing) + "</small>")
    if q.next_needs and not raised and q.together_level is None:
        parts.append("**What the next level needs:** " + " ".join(esc(n) for n in q.next_needs))
    return "\n\n".join(parts)
