"""Test support shared by `tests/` and `bench/`: the fake model provider, the secret canaries, the
synthetic workspaces, the one rule for which environment variables a test process must not inherit,
and process measurements.

Lives in `tests/support/` so it never ships in the wheel; pytest puts that folder on `sys.path`
(`pythonpath` in pyproject.toml) and each bench script adds it with one line. Nothing here imports
from `tests`, so benchmarks never depend on test modules.
"""
