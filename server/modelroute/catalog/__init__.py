"""catalog: models with prices (genai-prices), limits and strengths, every number with its source."""

from modelroute.catalog.load import Catalog, builtin_models, load_catalog
from modelroute.catalog.providers import default_providers

__all__ = ["Catalog", "builtin_models", "default_providers", "load_catalog"]
