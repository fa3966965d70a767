"""Gradio entry point: settings -> service -> UI -> launch (same as `qmm serve`)."""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.service import AssessmentService  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.ui.app import launch  # noqa: E402

if __name__ == "__main__":
    launch(AssessmentService(Settings()))
