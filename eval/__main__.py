"""python -m eval retrieval"""

import sys

USAGE = ("usage: python -m eval retrieval | extraction [--errors] [--dev] | calibrate | dialogue | bench | "
         "bench-portfolio | bench-load [--users N] [--turns T] [--interval S] [--processes P] | "
         "answers [--dev] [--misses] [--tune]")


def main(argv: list[str]) -> int:
    if argv[:1] == ["retrieval"]:
        from eval.retrieval import main as retrieval

        return retrieval()
    if argv[:1] == ["bench"]:
        from eval.bench import main as bench

        return bench()
    if argv[:1] == ["bench-portfolio"]:
        from eval.bench_portfolio import main as bench_portfolio

        return bench_portfolio()
    if argv[:1] == ["bench-load"]:
        from eval.bench_load import main as bench_load

        return bench_load(argv[1:])
    if argv[:1] == ["answers"]:
        from eval.answers import main as answers

        return answers(dev_only="--dev" in argv, show_misses="--misses" in argv, tune_dev="--tune" in argv)
    if argv[:1] == ["calibrate"]:
        from eval.calibrate import main as calibrate

        return calibrate()
    if argv[:1] == ["dialogue"]:
        from eval.dialogue import main as dialogue

        return dialogue()
    if argv[:1] == ["extraction"]:
        from eval.extraction import main as extraction

        return extraction(show_errors="--errors" in argv, dev_only="--dev" in argv)
    print(USAGE, file=sys.stderr)
    return 2


raise SystemExit(main(sys.argv[1:]))
