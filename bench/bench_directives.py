"""Directive comments (`AI!`/`AI?`) found in large files, against one regex pass for the marker.

    .venv/bin/python bench/bench_directives.py [--rounds 30]

Moved here from tests/context/test_directives.py, which now asserts only what is found. The
baseline is the least any finder must do: one compiled-regex scan of the same text for the marker;
the ratio says how much the comment-syntax checks cost on top of it.
"""

from __future__ import annotations

import argparse
import re
import sys

from benchlib import HEADER, compare
from modelroute.context.directives import find_directives

_MARKER = re.compile(r"AI[!?]", re.IGNORECASE)

TEXTS = {
    "10,000 lines, 5,000 near misses, 1 directive": "\n".join(
        f"def f{i}(x):  # helper {i}\n    return x * {i}  # 'quoted' AI" for i in range(5000)
    )
    + "\n# finally AI!\n",
    "10,000 directive lines": "\n".join(f"x{i} = {i}  # step {i} AI?" for i in range(10_000)),
    "1 MB of code, no directive": "\n".join(f"value_{i} = compute(value_{i - 1}, {i})" for i in range(40_000)),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    print(HEADER)
    for label, text in TEXTS.items():
        result = compare(
            label, lambda t=text: find_directives(t, "python"), lambda t=text: _MARKER.findall(t), args.rounds
        )
        print(result.row(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
