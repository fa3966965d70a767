"""Small text helpers shared by retrieval and extraction: stopwords, a light stemmer, tokenising."""

from __future__ import annotations

import re

_STOPWORD_TEXT = """
    a an and are as at be by can do does for from has have how i in is it its of on or our should so that the
    their there these this to was we what when where which who why will with you your
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def stem(word: str) -> str:
    """A crude suffix stripper, enough to match "reviews", "reviewed" and "review"."""
    for suffix in ("ations", "ation", "ings", "ing", "ies", "es", "ed", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed words without stopwords."""
    return [stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS]
