"""Evaluation runners: `python -m eval retrieval` (and `qmm eval retrieval`)."""
