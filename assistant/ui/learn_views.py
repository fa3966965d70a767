"""Pure formatting of the Learn tab: the overview, a reading path, an opened note, a practice card, its result and
the learner's agreement. No logic, no I/O."""

from __future__ import annotations

from assistant.learning import AreaAgreement, NoteLink, OverviewSection, PracticeCard, PracticeResult, ReadingPath
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
