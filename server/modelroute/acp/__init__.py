"""modelroute as an Agent Client Protocol agent (`modelroute acp`), the third thin adapter over the run
core after the language server and the command line.

- `acp/prompt.py`: what a prompt asks for (its text, the files it mentions or embeds, a selection);
- `acp/choices.py`: the session's config options (the priced model choice, the mode, strategies)
  and the texts shown before a run, pure;
- `acp/notebook.py`: a notebook as one document to the run, and its change written back as cells;
- `acp/editor.py`: the run core's editor spoken in ACP (permission requests, session updates);
- `acp/agent.py`: the ACP agent (sessions, prompts, config options, cancel);
- `acp/main.py`: the stdio entry point;
- `acp/jupyter.py`: the Jupyter AI persona that starts this agent (entry point `jupyter_ai.personas`).

Nothing is imported here: `modelroute acp` loads the SDK only when it starts.
"""
