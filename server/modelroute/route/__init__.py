"""Route: pick the model for a classified action under the workspace policy."""

from modelroute.route.decide import RouteInput, Spend, decide, is_allowed
from modelroute.route.model import Candidate, Decision, Unroutable

__all__ = ["Candidate", "Decision", "RouteInput", "Spend", "Unroutable", "decide", "is_allowed"]
