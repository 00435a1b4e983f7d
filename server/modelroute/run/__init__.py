"""The run as a core use case: a routed action run by a model and handed back through an editor.

- `run/editor.py`: the editor interface every front end implements (ask, tell, log, progress, show,
  offer a change set, present a review, the editor's buffers);
- `run/flow.py`: the attempt primitive (plan, budget question, reserve, progress, the agent loop,
  settle) and delivery; `run_action`, the one entry point;
- `run/strategies.py`: single, cascade and best-of-n driven by `strategy.machine.advance`;
- `run/steps.py`: plans and split instructions, one checked step at a time;
- `run/check.py`: the check (verify command, tamper guard, optional lint) in the attempt's overlay;
- `run/calibrate.py`: pass rates per model and kind from the ledger's checked attempts;
- `run/workspace.py`: the attempt workspace (one copy-on-write overlay per attempt: reads through
  the editor's buffers, staged edits and commands in the overlay, the change set, the apply guard);
- `run/approval.py`: approval of each proposed command (rules, the question, the sandbox, audit);
- `run/outcome.py`: pure texts and decisions about how a run ends.

Nothing is imported here: front ends import the modules they need when a run starts, so starting
a language server does not load the run's dependencies.
"""
