"""A workspace full of canaries: withheld files (.env, secrets/, keys) and code with inline credentials."""

from __future__ import annotations

from pathlib import Path

from modelroute_testing.canaries import CANARIES, rand

ORDINARY = '''import os
from dataclasses import dataclass


@dataclass
class Order:
    quantity: int
    unit_price: float


def compute_total(orders: list[Order], discount: float = 0.0) -> float:
    """Sum of the orders, less the discount."""
    subtotal = sum(o.quantity * o.unit_price for o in orders)
    return round(subtotal * (1 - discount), 2)


token = os.environ["GITHUB_TOKEN"]
api_key = settings.api_key
max_tokens = 4096
'''
CURSOR_LINE = ORDINARY.splitlines().index("def compute_total(orders: list[Order], discount: float = 0.0) -> float:")

# Files privacy.exclude withholds by default: never read, whatever they hold.
WITHHELD = {
    ".env": "\n".join(c.text for c in CANARIES[:8]) + "\n",
    ".env.production": "\n".join(c.text for c in CANARIES[8:16]) + "\n",
    "secrets/prod.json": next(c.text for c in CANARIES if c.kind == "gcp-service-account"),
    "deploy/secrets/db.yaml": "\n".join(c.text for c in CANARIES[16:24]) + "\n",
    "config/id_rsa": next(c.text for c in CANARIES if c.kind == "private-key-rsa"),
    "certs/server.pem": next(c.text for c in CANARIES if c.kind == "private-key-ec"),
    "deploy/app.key": next(c.text for c in CANARIES if c.kind == "private-key-openssh"),
    ".ssh/id_ed25519": next(c.text for c in CANARIES if c.kind == "private-key-dsa"),
    ".aws/credentials": next(c.text for c in CANARIES if c.kind == "aws-secret-access-key"),
}
# A secret that only lives in withheld files: it must not leak even through redaction gaps.
WITHHELD_ONLY = "plainword-" + rand("withheld-only", "abcdefghij", 24)
WITHHELD[".env"] += f"NOTE={WITHHELD_ONLY}\n"


def inline_file() -> str:
    """The file under the cursor: ordinary code, then every canary inline."""
    return ORDINARY + "\n" + "\n".join(c.text for c in CANARIES) + "\n"


def build(root: Path) -> Path:
    files = {
        **WITHHELD,
        "src/app.py": inline_file(),
        "config/settings.py": "\n".join(c.text for c in CANARIES if c.kind.startswith("assign-")) + "\n",
        "src/util.py": "from src.app import compute_total\n\nprint(compute_total([]))\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
