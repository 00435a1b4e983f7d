"""The model catalog: a cold build and a cached `load_catalog`, against serialising the settings.

    .venv/bin/python bench/bench_catalog.py [--rounds 200]

Moved here from tests/catalog/test_catalog.py, which now asserts only that equal settings give the
same catalog object. A cached call costs about one serialisation of the settings the catalog depends
on (its cache key), so the baseline is `Settings.model_dump(mode="json")` of the same settings.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta

from benchlib import HEADER, compare
from modelroute.catalog import load_catalog
from modelroute.policy.schema import Settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    settings = Settings()
    days = iter(date(2026, 1, 1) + timedelta(days=i) for i in range(10**6))  # a new day is a cache miss
    print(HEADER)
    cold = compare(
        "cold build (25 models)", lambda: load_catalog(settings, day=next(days)),
        lambda: settings.model_dump(mode="json"), max(args.rounds // 10, 5),
    )  # fmt: skip
    print(cold.row())
    dump = lambda: settings.model_dump(mode="json")  # noqa: E731
    cached = compare("cached call", lambda: load_catalog(settings), dump, args.rounds)
    print(cached.row())
    return 0


if __name__ == "__main__":
    sys.exit(main())
