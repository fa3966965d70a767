"""JSON Schema of protocol files, generated from the pydantic models. Never edit the generated files by hand."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from assistant.protocol.models import ProtocolMeta, QuestionFile

SCHEMAS: dict[str, type[BaseModel]] = {"protocol.schema.json": ProtocolMeta, "questions.schema.json": QuestionFile}


def schema_files() -> dict[str, str]:
    """File name -> JSON text, deterministic."""
    return {
        name: json.dumps(model.model_json_schema(by_alias=True), indent=2, sort_keys=True) + "\n"
        for name, model in SCHEMAS.items()
    }


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_files().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
