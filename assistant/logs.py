"""Where the app's log goes: ``QMM_DATA_DIR/logs/qmm.log`` (rotated at 1 MB, 5 kept) and warnings on stderr.

What is logged: errors and refusals with their cause (the kind of error, the call, the database's own reason),
never an answer's text, a password or a document's content, so an operator can see what happened without the log
becoming a second copy of confidential answers.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER_NAME, _CONSOLE_NAME = "qmm-file", "qmm-console"


def configure(data_dir: Path, level: int = logging.INFO) -> Path:
    """Send the ``assistant`` loggers to the log file (replacing an earlier one of this process); its path."""
    folder = data_dir / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "qmm.log"
    root = logging.getLogger("assistant")
    root.setLevel(level)
    for old in [h for h in root.handlers if h.get_name() in (_HANDLER_NAME, _CONSOLE_NAME)]:
        root.removeHandler(old)
        old.close()
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    console = logging.StreamHandler()
    console.set_name(_CONSOLE_NAME)
    console.setLevel(logging.WARNING)
    console.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(console)
    return path
