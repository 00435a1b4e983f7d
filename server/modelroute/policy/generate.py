"""Write the generated files: `python -m modelroute.policy.generate [REPO_ROOT]`.

Rewrites schema/modelroute.schema.json and the table between the markers in docs/settings.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from modelroute.policy.export import json_schema, settings_table

SCHEMA_PATH = Path("schema/modelroute.schema.json")
DOCS_PATH = Path("docs/settings.md")
TABLE_BEGIN = "<!-- BEGIN GENERATED SETTINGS TABLE: python -m modelroute.policy.generate -->"
TABLE_END = "<!-- END GENERATED SETTINGS TABLE -->"


def render_schema_file() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def render_docs(current: str) -> str:
    """`current` with the text between the markers replaced by the generated table."""
    start = current.index(TABLE_BEGIN) + len(TABLE_BEGIN)
    end = current.index(TABLE_END)
    return current[:start] + "\n" + settings_table() + current[end:]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else Path.cwd()
    schema_file = root / SCHEMA_PATH
    schema_file.parent.mkdir(parents=True, exist_ok=True)
    schema_file.write_text(render_schema_file(), encoding="utf-8")
    docs = root / DOCS_PATH
    docs.write_text(render_docs(docs.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {schema_file} and the table in {docs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
