"""Route: pick the model for a classified action under the workspace policy.

The names below load on first use, so importing `modelroute.route.format` (titles, tables) does not
import the router and the catalog behind it: the language server answers `initialize` without them.
(No submodule may share a name with one of them: importing it would rebind that name to the module.)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelroute.route.model import Candidate, Decision, Unroutable
    from modelroute.route.router import RouteInput, Spend, decide, is_allowed

_HOME = {
    "RouteInput": "router",
    "Spend": "router",
    "decide": "router",
    "is_allowed": "router",
    "Candidate": "model",
    "Decision": "model",
    "Unroutable": "model",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = ["Candidate", "Decision", "RouteInput", "Spend", "Unroutable", "decide", "is_allowed"]
