"""The ``qmm`` command line. Every command goes through ``AssessmentService``; heavy imports stay inside commands.

Exit status: 0 success, 1 the content or input has errors (all listed), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from assistant.errors import AssistantError
from assistant.settings import Settings


def _print_json(data: object) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False))


def cmd_protocol_check(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.protocol.loader import check_protocol, resolve_protocol_dir

    folder = Path(args.path) if args.path else resolve_protocol_dir(settings.protocols_dir, settings.protocol)
    if not folder.is_dir():
        print(f"error: {folder} is not a protocol folder", file=sys.stderr)
        return 1
    protocol, issues = check_protocol(folder, _note_ids(settings))
    if issues or protocol is None:
        print(f"{folder}: {len(issues)} error(s)", file=sys.stderr)
        for issue in issues:
            print(f"  {issue}", file=sys.stderr)
        return 1
    active = protocol.active_questions
    per_area = ", ".join(f"{a.prefix} {sum(q.area == a.id for q in active)}" for a in protocol.meta.areas)
    fields = sum(len(q.fields) for q in active)
    print(f"ok: {protocol.ref}: {len(active)} active questions ({per_area}), {fields} fields, 0 errors")
    return 0


def _note_ids(settings: Settings) -> set[str] | None:
    """Ids of the corpus notes, for the dangling-reference check; None when there is no corpus yet."""
    from assistant.corpus import load_note_ids

    return load_note_ids(settings.corpus_dir)


def cmd_protocol_show(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.service import AssessmentService

    protocol = AssessmentService(settings).protocol
    data = {
        "id": protocol.meta.id,
        "version": protocol.meta.version,
        "ref": protocol.ref,
        **protocol.meta.model_dump(mode="json", exclude={"id", "version"}),
        "questions": [q.model_dump(mode="json", by_alias=True) for q in protocol.active_questions],
    }
    if args.json:
        _print_json(data)
        return 0
    print(f"{protocol.meta.title} ({protocol.ref})")
    for area in protocol.meta.areas:
        print(f"\n{area.name}")
        for q in protocol.active_questions:
            if q.area == area.id:
                print(f"  {q.id:<7} {q.topic}: {q.text}")
    return 0


def cmd_protocol_schema(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.protocol.loader import resolve_protocol_dir
    from assistant.protocol.schema import schema_files, write_schemas

    folder = resolve_protocol_dir(settings.protocols_dir, settings.protocol)
    if args.write:
        for path in write_schemas(folder / "schema"):
            print(f"wrote {path}")
        return 0
    for name, text in schema_files().items():
        print(f"# {name}\n{text}")
    return 0


def cmd_score(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.report import render_profile
    from assistant.service import AssessmentService

    profile = AssessmentService(settings).score_file(Path(args.file))
    if args.json:
        print(profile.model_dump_json(indent=2))
    else:
        print(render_profile(profile, details=not args.brief))
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import os

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from assistant.service import AssessmentService
    from assistant.ui.app import launch

    if args.port:
        settings = settings.model_copy(update={"port": args.port})
    service = AssessmentService(settings)
    print(f"QMM Assessment Assistant: {service.protocol.ref} on http://{settings.host}:{settings.port}")
    launch(service)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qmm", description="QMM Assessment Assistant")
    sub = parser.add_subparsers(dest="command", required=True)

    proto = sub.add_parser("protocol", help="check, show or export the protocol")
    psub = proto.add_subparsers(dest="protocol_command", required=True)
    check = psub.add_parser("check", help="validate a protocol folder, listing every error")
    check.add_argument("path", nargs="?", help="protocol folder (default: the active protocol)")
    check.set_defaults(func=cmd_protocol_check)
    show = psub.add_parser("show", help="print the active protocol")
    show.add_argument("--json", action="store_true", help="the whole protocol as JSON")
    show.set_defaults(func=cmd_protocol_show)
    schema = psub.add_parser("schema", help="print (or --write) the JSON Schema of protocol files")
    schema.add_argument("--write", action="store_true", help="write the schema files beside the protocol")
    schema.set_defaults(func=cmd_protocol_schema)

    score = sub.add_parser("score", help="score a file of structured answers (YAML or JSON)")
    score.add_argument("file", help="answers keyed by question id")
    score.add_argument("--json", action="store_true", help="print the profile as JSON")
    score.add_argument("--brief", action="store_true", help="area scores only")
    score.set_defaults(func=cmd_score)

    serve = sub.add_parser("serve", help="serve the app on 127.0.0.1 (QMM_HOST / QMM_PORT to change)")
    serve.add_argument("--port", type=int, help="port (default: QMM_PORT or 7860)")
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
        code: int = args.func(args, settings)
        return code
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `qmm score FILE | head`: the reader left; stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
