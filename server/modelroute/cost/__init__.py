"""cost: exact o200k token counts, estimates before a run, actual cost after it."""

from modelroute.cost.actual import Usage, actual_cost_usd
from modelroute.cost.calibration import Calibration, CalibrationEntry
from modelroute.cost.estimate import OUTPUT_PRIORS, estimate, estimate_tokens
from modelroute.cost.tokens import count_tokens, tokenizer_name

__all__ = [
    "OUTPUT_PRIORS",
    "Calibration",
    "CalibrationEntry",
    "Usage",
    "actual_cost_usd",
    "count_tokens",
    "estimate",
    "estimate_tokens",
    "tokenizer_name",
]
