"""catalog: models with prices (genai-prices), limits and strengths, every number with its source.

The names load on first use, so importing `modelroute.catalog.model` (the pydantic models) does not
import the price library; `load_catalog` imports it only when the built-in prices are not in the
user cache (catalog/facts_cache.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelroute.lazy import lazy_names

if TYPE_CHECKING:
    from modelroute.catalog.load import Catalog, builtin_models, load_catalog
    from modelroute.catalog.providers import default_providers

__all__ = ["Catalog", "builtin_models", "default_providers", "load_catalog"]
_HOME = {"Catalog": "load", "builtin_models": "load", "load_catalog": "load", "default_providers": "providers"}


__getattr__ = lazy_names(__name__, _HOME, globals())
