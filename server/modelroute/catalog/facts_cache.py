"""The built-in models' library facts (context window, limits source, price on a UTC day) kept in the
user cache, so a new process builds the catalog without importing genai-prices (its package also
imports its price-update client and an HTTP library) or reading its data.

Only what comes from the library is stored; names, APIs, strengths and everything the settings change
are computed from modelroute's own code each time, so the cache cannot make a model local or change a
privacy rule. Key: the UTC day and a fingerprint of the code that produces the facts (modelroute's
version, the size and modification time of every module of `modelroute.catalog` and of the
genai_prices package), so an upgrade or an edited source rebuilds. One file
(`$XDG_CACHE_HOME/modelroute/catalog/builtin-facts.json`), read and written as usercache.py
describes; a file that does not check out field by field (a positive whole context window, finite
non-negative prices) is ignored and rebuilt. Someone who can write the user's own cache folder can
change prices and windows, as they could change the user's settings.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from modelroute.catalog.model import ModelPrice
from modelroute.usercache import cache_folder, code_fingerprint, read_private, write_atomic

log = logging.getLogger(__name__)

FORMAT = 1


@dataclass(frozen=True)
class LibraryFacts:
    """What the price library says about one built-in model."""

    context_window: int
    limits_source: str
    price: ModelPrice

    def to_json(self) -> dict[str, Any]:
        return {"context_window": self.context_window, "limits_source": self.limits_source,
                "price": self.price.model_dump(mode="json")}  # fmt: skip

    @classmethod
    def from_json(cls, raw: Any) -> LibraryFacts:
        """ValueError unless every field is what the library could have said."""
        if not isinstance(raw, dict):
            raise ValueError("not an object")
        window, source = raw.get("context_window"), raw.get("limits_source")
        if type(window) is not int or window <= 0 or not isinstance(source, str):
            raise ValueError("bad context window or source")
        try:
            price = ModelPrice.model_validate(raw.get("price"))
        except ValidationError as exc:
            raise ValueError(str(exc)) from None
        for tier in price.tiers:
            rates = (tier.input_mtok, tier.output_mtok, tier.cache_read_mtok, tier.cache_write_mtok)
            if any(r is not None and not (math.isfinite(r) and r >= 0) for r in rates):
                raise ValueError("bad price")
        if not price.tiers or price.tiers[0].above_input_tokens != 0:
            raise ValueError("bad price tiers")
        return cls(window, source, price)


def fingerprint() -> str:
    """Changes when the code that produces the facts may have changed (without importing it)."""
    from modelroute import __version__

    return code_fingerprint(folders=[Path(__file__).parent], packages=["genai_prices"], extra=f"{FORMAT} {__version__}")


class FactsCache:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def default(cls) -> FactsCache:
        return cls(cache_folder("catalog") / "builtin-facts.json")

    def load(self, day: date, ids: list[str]) -> dict[str, LibraryFacts] | None:
        """The facts of every id in `ids` on `day`, or None (absent, stale, damaged, incomplete)."""
        data = read_private(self.path)
        if data is None:
            return None
        try:
            raw = json.loads(data)
            if raw.get("key") != fingerprint() or raw.get("day") != day.isoformat():
                return None
            facts = raw["facts"]
            return {model_id: LibraryFacts.from_json(facts[model_id]) for model_id in ids}
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            log.info("ignoring catalog cache %s: %s", self.path, exc)
            return None

    def save(self, day: date, facts: dict[str, LibraryFacts]) -> bool:
        raw = {"key": fingerprint(), "day": day.isoformat(),
               "facts": {model_id: f.to_json() for model_id, f in facts.items()}}  # fmt: skip
        return write_atomic(self.path, json.dumps(raw, sort_keys=True).encode())
