"""The Jupyter AI 3 persona that starts `modelroute acp`: registered by our package's entry point
(group `jupyter_ai.personas`, the group Jupyter AI's persona manager reads), so installing modelroute
next to `jupyter-ai` makes "modelroute" appear as an agent in JupyterLab's chat (@modelroute).

Everything else is Jupyter AI's ACP client: it shows our model option (the routed model first, the
alternatives priced) in the chat's model picker, our permission requests as buttons (the priced
choice before a run, each command, Apply/Reject on the diff) and our usage updates' cost.

The agent runs under the same Python as JupyterLab (`python -m modelroute`), so it does not depend on
PATH. Jupyter AI prepends a note about its notebook MCP tools to the first prompt of a session; this
agent does not use MCP tools, and the note would only blur the classification, so it is left out.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from jupyter_ai_acp_client.base_acp_persona import BaseAcpPersona
from jupyter_ai_persona_manager import PersonaDefaults

AVATAR = Path(__file__).with_name("modelroute.svg")


class ModelroutePersona(BaseAcpPersona):  # type: ignore[misc]  # Jupyter AI ships no type hints
    NOTEBOOK_EDITING_GUIDANCE = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, executable=[sys.executable, "-m", "modelroute", "acp"], **kwargs)

    @property
    def defaults(self) -> PersonaDefaults:
        return PersonaDefaults(
            name="modelroute",
            description="Routes each request to the best-fit model and shows the estimated cost and the "
                        "alternatives before anything runs.",
            avatar_path=str(AVATAR),
            system_prompt="unused",  # the agent builds its own prompts
        )


__all__ = ["ModelroutePersona"]
