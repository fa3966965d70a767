"""QMM Assessment Assistant: guided self-assessment for FDA's Quality Management Maturity program."""

__version__ = "0.1.0"
