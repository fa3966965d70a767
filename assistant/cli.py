"""The ``qmm`` command line. Every command goes through ``AssessmentService``; heavy imports stay inside commands.

Exit status: 0 success, 1 the content or input has errors (all listed), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.extraction.models import StructuredAnswer
    from assistant.protocol.models import Protocol
    from assistant.retrieval.models import Passage


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
    from assistant.retrieval.notes import load_note_ids

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


def _newest_unreleased(settings: Settings) -> Path:
    """The highest version folder of the active protocol's id that has no released content hash."""
    from assistant.errors import ProtocolError
    from assistant.protocol.versions import recorded_hash

    base = settings.protocols_dir / settings.protocol.partition("@")[0]
    drafts = [p for p in base.glob("*") if p.name.isdigit() and p.is_dir() and not recorded_hash(p)]
    if not drafts:
        raise ProtocolError(f"no unreleased version under {base}: every version there is frozen")
    return max(drafts, key=lambda p: int(p.name))


def cmd_protocol_schema(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.protocol.schema import schema_files, write_schemas
    from assistant.protocol.versions import recorded_hash

    if args.write:
        folder = Path(args.path) if args.path else _newest_unreleased(settings)
        if recorded_hash(folder):
            print(
                f"error: {folder} is a released version (its CHANGELOG records a content hash) and is frozen; "
                "write the schema into a draft version",
                file=sys.stderr,
            )
            return 1
        for path in write_schemas(folder / "schema"):
            print(f"wrote {path}")
        return 0
    for name, text in schema_files().items():
        print(f"# {name}\n{text}")
    return 0


def _protocol_for_diff(spec: str, settings: Settings) -> Protocol:
    """A protocol named by version number (``2``: same id as the active one), ``id@version`` or a folder path.

    Only the structure layer is required, so a draft version with open semantic issues can still be compared.
    """
    from assistant.errors import ProtocolError
    from assistant.protocol.loader import load_protocol_unchecked, resolve_protocol_dir

    if spec.isdigit():
        folder = resolve_protocol_dir(settings.protocols_dir, f"{settings.protocol.partition('@')[0]}@{spec}")
    elif "@" in spec:
        folder = resolve_protocol_dir(settings.protocols_dir, spec)
    else:
        folder = Path(spec)
    protocol, issues, _ = load_protocol_unchecked(folder)
    if protocol is None or issues:
        raise ProtocolError(f"protocol at {folder} does not load ({len(issues)} error(s)):", issues)
    return protocol


def cmd_protocol_diff(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.protocol.diff import diff_protocols, render_diff

    diff = diff_protocols(_protocol_for_diff(args.old, settings), _protocol_for_diff(args.new, settings))
    if args.json:
        _print_json({**diff.model_dump(mode="json"), "summary": diff.summary()})
    else:
        print(render_diff(diff, hints=args.hints))
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


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.service import AssessmentService

    index = AssessmentService(settings).index
    status = index.status()
    if status == "fresh" and not args.rebuild:
        print(f"index is up to date ({len(index.chunks('guidance'))} notes, {len(index.site_files())} site files)")
        return 0
    print(f"building the guidance index ({'forced' if args.rebuild else status})...", file=sys.stderr)
    report = index.build(show_progress=True)
    print(f"indexed {report.notes} notes in {report.seconds:.1f} s")
    return 0


def _passage_json(p: Passage) -> dict[str, object]:
    return p.model_dump(mode="json") | {"citation": p.citation()}


def _jsonl_cases(path: str, keys: tuple[str, ...]) -> Iterator[tuple[dict[str, Any] | None, str | None]]:
    """(case, None) per good JSONL line with the keys; (None, error line) per bad one; blank lines skipped."""
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
            missing = [k for k in keys if k not in case]
        except json.JSONDecodeError as exc:
            yield None, f"error: {path}:{number}: not JSON ({exc})"
            continue
        if not isinstance(case, dict) or missing:
            yield None, f"error: {path}:{number}: needs a JSON object with {', '.join(repr(k) for k in keys)}"
            continue
        yield case, None


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """A learner's question: the short cited answer first (a glossary entry for "what is X"), then the passages."""
    from assistant.auth import Principal
    from assistant.guidance import answer_json, answer_text
    from assistant.service import AssessmentService

    service = AssessmentService(settings)
    service.ready_index(show_progress=True)
    found = service.ask(Principal.operator(), args.question, area=args.area, k=args.k)
    if args.json:
        _print_json(answer_json(found))
    else:
        print(answer_text(found))
    return 0


def cmd_learn(args: argparse.Namespace, settings: Settings) -> int:
    """The Learn tab's reading: the start-here overview, one practice area's reading path, or one note in full."""
    import html

    from assistant.auth import Principal
    from assistant.service import AssessmentService
    from assistant.ui.learn_views import note_markdown, overview_markdown, path_markdown

    service = AssessmentService(settings)
    learning, me = service.learning, Principal.operator()
    if args.note:
        note = learning.note(me, args.note)
        data: object = note.model_dump(mode="json")
        text = note_markdown(note, service.protocol)
    elif args.area:
        path = learning.path(me, args.area)
        data, text = path.model_dump(mode="json"), path_markdown(path)
    else:
        sections = learning.overview(me)
        data = [{**s.model_dump(mode="json"), "read_next": [n.model_dump(mode="json") for n in notes]}
                for s, notes in sections]  # fmt: skip
        text = overview_markdown(sections, [learning.source_titles(s.sources) for s, _ in sections])
    if args.json:
        _print_json(data)
    else:
        print(html.unescape(re.sub(r"</?(small|details|summary)>", "", text)))
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.service import AssessmentService

    index = AssessmentService(settings).ready_index(show_progress=True)
    options = {"k": args.k, "area": args.area, "source": args.source, "collection": args.collection}
    if args.batch:
        failures = 0
        for number, line in enumerate(Path(args.batch).read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                case = json.loads(line)
                case_id, query = case["id"], str(case["query"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                print(
                    f"error: {args.batch}:{number}: needs a JSON object with 'id' and 'query' ({exc})", file=sys.stderr
                )
                failures += 1
                continue
            result = index.search(query, **options)
            out = {"id": case_id, "results": [_passage_json(p) for p in result.passages], "message": result.message}
            print(json.dumps(out, ensure_ascii=False))
        return 1 if failures else 0
    if not args.query:
        print("error: give a QUERY or --batch FILE", file=sys.stderr)
        return 2
    result = index.search(args.query, **options)
    if args.json:
        _print_json(
            {
                "query": result.query,
                "floor": result.floor,
                "message": result.message,
                "results": [_passage_json(p) for p in result.passages],
            }
        )
        return 0
    if result.message:
        print(result.message)
    for rank, p in enumerate(result.passages, start=1):
        print(f"{rank}. {p.title}  [{p.citation()}]  score {p.score:.4f}, similarity {p.dense}")
        print(f"   {p.path}")
        print("   " + " ".join(p.text.split())[:300] + "...\n")
    return 0


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.service import AssessmentService

    index = AssessmentService(settings).ready_index(show_progress=True)
    paths = [Path(p) for p in args.paths]
    report = index.remove(paths) if args.remove else index.ingest(paths, show_progress=args.progress)
    for path in report.added:
        print(f"added     {path}")
    for path in report.replaced:
        print(f"replaced  {path}")
    for path in report.unchanged:
        print(f"unchanged {path}")
    for path in report.removed:
        print(f"removed   {path}")
    for path, why in report.failed:
        print(f"FAILED    {path}: {why}", file=sys.stderr)
    done = len(report.added) + len(report.replaced) + len(report.unchanged) + len(report.removed)
    print(f"{done} file(s) ok, {len(report.failed)} failed, {report.chunks} new passage(s)")
    return 1 if report.failed else 0


def _extraction_json(answer: StructuredAnswer) -> dict[str, object]:
    return {
        "question": answer.question_id,
        "extractor": answer.extractor,
        "fields": {
            fid: {"value": v.value, "span": v.span, "confidence": round(v.confidence, 2), "stated": v.stated}
            for fid, v in answer.values.items()
        },
        "notes": answer.notes,
    }


def cmd_extract(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.service import AssessmentService

    service = AssessmentService(settings)
    for warning in service.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.batch:
        failures = 0
        for case, error in _jsonl_cases(args.batch, ("id", "question", "text")):
            question = service.protocol.question(str(case["question"])) if case else None
            if case is None or question is None:
                print(error or f"error: {args.batch}: case {case and case['id']}: unknown question", file=sys.stderr)
                failures += 1
                continue
            answer = service.extractor.extract(question, str(case["text"]))
            print(json.dumps({"id": case["id"], **_extraction_json(answer)}, ensure_ascii=False))
        return 1 if failures else 0
    if not args.question or args.text is None:
        print("error: give --question ID and --text TEXT, or --batch FILE", file=sys.stderr)
        return 2
    question = service.protocol.question(args.question)
    if question is None:
        print(f"error: unknown question {args.question!r}", file=sys.stderr)
        return 1
    answer = service.extractor.extract(question, args.text)
    if args.json:
        _print_json(_extraction_json(answer))
        return 0
    for fid, v in answer.values.items():
        shown = "not stated" if v.value is None else f'{v.value}  <- "{v.span}" ({v.confidence:.2f})'
        print(f"{fid:<28} {shown}")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Run an evaluation from the repository's eval/ folder (gold data lives there, not in the package)."""
    from assistant.settings import REPO_ROOT

    if not (REPO_ROOT / "eval" / "__init__.py").is_file():
        print(f"error: no eval/ folder beside the package at {REPO_ROOT}; run from a source checkout", file=sys.stderr)
        return 1
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    import importlib

    module = importlib.import_module(f"eval.{args.which}")
    if args.which == "extraction":
        return int(module.main(show_errors=args.errors, dev_only=args.dev))
    return int(module.main())


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import os

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from assistant.service import AssessmentService
    from assistant.ui.app import launch

    if args.port:
        settings = settings.model_copy(update={"port": args.port})
    launch(AssessmentService(settings))
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
    schema.add_argument(
        "--write", action="store_true", help="write the schema files into a draft version (released ones are frozen)"
    )
    schema.add_argument("path", nargs="?", help="protocol folder to write into (default: the newest draft version)")
    schema.set_defaults(func=cmd_protocol_schema)
    diff = psub.add_parser("diff", help="what changed between two protocol versions, e.g. `qmm protocol diff 1 2`")
    diff.add_argument("old", help="version number, id@version or protocol folder")
    diff.add_argument("new", help="version number, id@version or protocol folder")
    diff.add_argument("--json", action="store_true", help="every change as JSON, with a summary")
    diff.add_argument("--hints", action="store_true", help="also list extraction-hint changes (aliases, cues)")
    diff.set_defaults(func=cmd_protocol_diff)

    score = sub.add_parser("score", help="score a file of structured answers (YAML or JSON)")
    score.add_argument("file", help="answers keyed by question id")
    score.add_argument("--json", action="store_true", help="print the profile as JSON")
    score.add_argument("--brief", action="store_true", help="area scores only")
    score.set_defaults(func=cmd_score)

    index = sub.add_parser("index", help="build the guidance index if missing or stale")
    index.add_argument("--rebuild", action="store_true", help="rebuild even when up to date")
    index.set_defaults(func=cmd_index)

    ask = sub.add_parser("ask", help="a question about QMM answered from the guidance, each sentence cited")
    ask.add_argument("question", help='for example "what is KASA" or "what are the five QMM practice areas"')
    ask.add_argument("--k", type=int, default=5, help="number of passages (default 5)")
    ask.add_argument("--area", help="practice-area id, e.g. business_continuity")
    ask.add_argument("--json", action="store_true", help="print JSON")
    ask.set_defaults(func=cmd_ask)

    learn = sub.add_parser("learn", help="the start-here overview of QMM, a practice area's reading path, or a note")
    learn.add_argument("area", nargs="?", help="practice-area id for its reading path, e.g. advanced_pqs")
    learn.add_argument("--note", help="open one guidance note in full, by id")
    learn.add_argument("--json", action="store_true", help="print JSON")
    learn.set_defaults(func=cmd_learn)

    search = sub.add_parser("search", help="search the guidance corpus and ingested site documents")
    search.add_argument("query", nargs="?", help="what to look for")
    search.add_argument("--k", type=int, default=5, help="number of passages (default 5)")
    search.add_argument("--area", help="practice-area id, e.g. business_continuity")
    search.add_argument("--source", help="source key, e.g. ich-q10")
    search.add_argument("--collection", choices=["guidance", "site"], help="only guidance notes or site documents")
    search.add_argument("--json", action="store_true", help="print JSON")
    search.add_argument("--batch", help="JSONL file of {id, query}; prints one JSONL line per query")
    search.set_defaults(func=cmd_search)

    ingest = sub.add_parser("ingest", help="add the site's own documents (md, txt, html, pdf, docx) to the index")
    ingest.add_argument("paths", nargs="+", help="files or folders")
    ingest.add_argument("--remove", action="store_true", help="take these files out of the index")
    ingest.add_argument("--progress", action="store_true", help="always show a progress bar")
    ingest.set_defaults(func=cmd_ingest)

    extract = sub.add_parser("extract", help="turn a free-text answer into structured fields (with spans)")
    extract.add_argument("--question", help="question id, e.g. MC-01")
    extract.add_argument("--text", help="the answer text")
    extract.add_argument("--json", action="store_true", help="print JSON")
    extract.add_argument("--batch", help='JSONL file of {"id", "question", "text"}; one JSONL line out per case')
    extract.set_defaults(func=cmd_extract)

    evaluate = sub.add_parser(
        "eval", help="print evaluation figures: retrieval, extraction, dialogue, bench (turn latency); or calibrate"
    )
    evaluate.add_argument("which", choices=["retrieval", "extraction", "dialogue", "calibrate", "bench"])
    evaluate.add_argument("--errors", action="store_true", help="extraction: list the dev-split mistakes")
    evaluate.add_argument("--dev", action="store_true", help="extraction: the dev split only (while tuning)")
    evaluate.set_defaults(func=cmd_eval)

    serve = sub.add_parser("serve", help="serve the app on 127.0.0.1 (QMM_HOST / QMM_PORT to change)")
    serve.add_argument("--port", type=int, help="port (default: QMM_PORT or 7860)")
    serve.set_defaults(func=cmd_serve)
    from assistant.cli_assessment import add_assessment_parser
    from assistant.cli_audit import add_audit_parser
    from assistant.cli_portfolio import add_portfolio_parser
    from assistant.cli_report import add_report_parsers
    from assistant.cli_user import add_user_parser

    add_user_parser(sub)
    add_assessment_parser(sub)
    add_audit_parser(sub)
    add_report_parsers(sub)
    add_portfolio_parser(sub)
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
