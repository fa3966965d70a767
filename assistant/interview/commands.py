"""Reading the interviewee's words: commands, edits, questions back, "don't know", yes/no to site facts. Pure.

A message is a command only when the *whole* message is a command's form; anything else is an answer. An edit
(``edit FIELD = VALUE``, also ``set``/``change`` with ``=`` or ``to``) is recognised only against the fields of the
current question (``match_edit``); a message that merely starts with "set" or "change" is an answer.
"""

from __future__ import annotations

import re
from typing import Literal

from assistant.protocol.models import AnswerField

COMMANDS = {
    "skip": "skip", "skip question": "skip", "skip this question": "skip", "later": "skip", "come back later": "skip",
    "back": "back", "go back": "back", "previous": "back", "previous question": "back",
    "n/a": "na", "na": "na", "not applicable": "na", "mark n/a": "na",
    "why": "why", "why this question": "why", "why this question?": "why", "guidance": "why",
    "score": "score", "how would this score": "score", "how would this score?": "score",
    "pause": "pause", "stop": "pause", "resume": "resume", "continue": "resume",
    "confirm": "confirm", "confirm answer": "confirm", "ok": "confirm", "looks good": "confirm",
    "yes, confirm": "confirm", "accept": "confirm",
    "don't know": "decline", "dont know": "decline", "do not know": "decline", "i don't know": "decline",
    "i dont know": "decline", "i do not know": "decline", "sorry, i don't know": "decline", "no idea": "decline",
    "i have no idea": "decline", "no clue": "decline", "not sure": "decline", "i'm not sure": "decline",
    "im not sure": "decline", "i am not sure": "decline", "unsure": "decline", "unknown": "decline",
    "skip field": "decline", "don't know / skip this field": "decline", "don't know / skip these fields": "decline",
    "ask a colleague": "colleague", "ask someone else": "colleague", "leave it for a colleague": "colleague",
    "end": "end", "finish": "end", "end interview": "end", "end the interview": "end", "finish interview": "end",
    "finish the interview": "end",
}  # fmt: skip
GOTO = re.compile(r"^(?:go\s*to|question|open)\s+(?:question\s+)?([a-z]{2,4}-[0-9]{2,3})$", re.IGNORECASE)
EDIT_WORD = re.compile(r"^\s*edit\b\s*(.*)$", re.IGNORECASE | re.DOTALL)
EDIT_VERB = re.compile(r"^\s*(?:edit|set|change)\s+(.*)$", re.IGNORECASE | re.DOTALL)
EDIT_SEPARATOR = re.compile(r"^\s*=\s*|^\s+to\s+", re.IGNORECASE)
QUESTION_WORDS = frozenset(
    ["what", "which", "how", "why", "does", "do", "is", "are", "can", "could", "should", "would", "who", "where",
     "when", "whats", "what's"]
)  # fmt: skip
MEANING = re.compile(r"^(?:what do you mean|what is meant by)\b", re.IGNORECASE)


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, single spaces, no closing full stop or exclamation mark."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.strip().lower().split()).rstrip(".! ")


def parse_command(text: str) -> tuple[str, str | None] | None:
    """The question-free part of reading a message: a command when the whole message is one, else None.

    ``go to MC-03`` -> ('goto', 'MC-03'); ``edit NAME = VALUE`` (the literal word edit) -> ('edit', 'name=value').
    ``set``/``change`` edits, and edits by a field's label, need the current question: ``InterviewEngine.parse``.
    """
    key = normalise(text)
    if key in COMMANDS:
        return COMMANDS[key], None
    goto = GOTO.match(key)
    if goto:
        return "goto", goto.group(1).upper()
    edit = EDIT_WORD.match(text)
    if edit and "=" in edit.group(1):
        name, _, value = edit.group(1).partition("=")
        if name.strip():
            return "edit", f"{name.strip().lower()}={value.strip()}"
    return None


def match_edit(fields: list[AnswerField], text: str) -> tuple[AnswerField, str] | None:
    """(field, raw value) when the message is ``edit|set|change FIELD = VALUE`` or ``... FIELD to VALUE`` and FIELD
    is one of ``fields`` by id or by label (case-insensitive); else None. The longest matching name wins."""
    verb = EDIT_VERB.match(text)
    if not verb:
        return None
    rest = verb.group(1)
    names = sorted(((name, f) for f in fields for name in (f.id, f.label)), key=lambda p: -len(p[0]))
    for name, field in names:
        if not rest.lower().startswith(name.lower()):
            continue
        separator = EDIT_SEPARATOR.match(rest[len(name) :])
        if separator:
            value = rest[len(name) + separator.end() :].strip()
            if value:
                return field, value
    return None


def is_question(text: str) -> bool:
    """A question back to the interviewer: "what do you mean by ...", or a '?'-ended message opening with a
    question word (what, which, how, why, does, do, is, can, could, should, ...)."""
    key = normalise(text)
    if MEANING.match(key):
        return True
    words = re.findall(r"[a-z']+", key)
    return key.endswith("?") and bool(words) and words[0] in QUESTION_WORDS


def is_dont_know(text: str) -> bool:
    return COMMANDS.get(normalise(text)) == "decline"


# --- yes / no to a site fact ---------------------------------------------------------------------------------------
FactReply = Literal["yes", "no", "unsure"]
UNSURE_START = re.compile(
    r"^(?:i'?m |i am )?(?:not sure|unsure|not certain|no idea|no clue|maybe|perhaps|possibly|probably|"
    r"(?:i )?(?:don'?t|do not) know|i think so|i believe so|it depends|depends|hard to say|i can'?t say|"
    r"(?:i'?d|i would|i will|i'?ll|i need to|i have to|i'?ll have to|have to|need to) (?:have to )?check)\b"
)
UNSURE_ANYWHERE = re.compile(
    r"\b(?:not sure|unsure|no idea|(?:don'?t|do not) know|(?:have|need) to check|not certain|it depends)\b"
)
NEGATION = re.compile(
    r"\b(?:not|no|none|never|nothing|nobody|cannot|neither|\w+n't|dont|doesnt|didnt|havent|hasnt|isnt|arent|"
    r"cant|wont)\b"
)
NO_START = frozenset({"no", "n", "nope", "nah", "none", "never", "not", "false", "negative", "nothing"})
YES_START = frozenset({"yes", "y", "yep", "yeah", "yup", "ya", "correct", "true", "sure", "absolutely",
                       "definitely", "indeed", "certainly", "affirmative", "right"})  # fmt: skip
AFFIRMATIVE = re.compile(
    r"^(?:we|they|it|there|the site) (?:do|does|did|have|has|are|is|use|uses|rely|relies|run|runs|outsource)\b"
    r"|^of course\b|^that(?:'s| is) (?:right|correct|true)\b"
)


def fact_reply(text: str) -> FactReply | None:
    """Yes, no, or unsure for a yes/no site fact; None when the reply says neither.

    Negative forms are no ("we do not use contract organisations", "we don't", "no, we ...", "not", "none",
    "we have none"); hedges are unsure ("not sure", "don't know", "I'd have to check"). Only the first clause
    counts, so "Yes, but not for sterile products" is yes.
    """
    key = normalise(text)
    if not key:
        return None
    if UNSURE_START.match(key):
        return "unsure"
    clause = re.split(r"[,.;:!?\u2014]| - | but ", key, maxsplit=1)[0].strip()
    words = re.findall(r"[a-z']+", clause)
    first = words[0] if words else ""
    negated = NEGATION.search(clause) is not None
    if first in NO_START:
        return "no"
    if first in YES_START:
        if words[1:2] == ["not"]:  # "absolutely not", "certainly not"
            return "no"
        return "unsure" if negated else "yes"
    if UNSURE_ANYWHERE.search(key):
        return "unsure"
    if negated:
        return "no"
    if AFFIRMATIVE.match(clause):
        return "yes"
    return None
