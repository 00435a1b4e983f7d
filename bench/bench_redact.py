"""The secret redactor on a 10,000-line file with 50 secrets, against one tokenising regex pass.

    .venv/bin/python bench/bench_redact.py [--rounds 20]

Moved here from tests/trust/test_redact_kinds.py, which now asserts that every secret of the same
file becomes a marker and ordinary lines stay. The baseline splits the same text into
whitespace-separated words with one regex (`\\S+`), the least a scanner for tokens must do.
False positives on real code: `python -m tests.trust.measure_redaction` (docs/privacy.md).
"""

from __future__ import annotations

import argparse
import re
import sys

from benchlib import HEADER, compare, use_test_support

use_test_support()

from modelroute.prompt.redact import redact  # noqa: E402
from modelroute_testing.canaries import file_with_secrets  # noqa: E402

_WORDS = re.compile(r"\S+")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    text, planted = file_with_secrets(10_000, every=200)
    print(f"{len(text.splitlines()):,} lines, {len(text) / 1e6:.2f} MB, {planted} secrets planted\n")
    print(HEADER)
    print(compare("redact 10,000 lines", lambda: redact(text), lambda: _WORDS.findall(text), args.rounds).row())
    return 0


if __name__ == "__main__":
    sys.exit(main())
