"""python -m eval retrieval"""

import sys

USAGE = "usage: python -m eval retrieval"


def main(argv: list[str]) -> int:
    if argv[:1] == ["retrieval"]:
        from eval.retrieval import main as retrieval

        return retrieval()
    print(USAGE, file=sys.stderr)
    return 2


raise SystemExit(main(sys.argv[1:]))
