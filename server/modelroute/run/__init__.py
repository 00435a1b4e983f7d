"""The run as a core use case: a routed action run by a model and handed back through an editor.

- `run/editor.py`: the editor interface every front end implements (ask, tell, log, progress, show,
  offer a change set, present a review, the editor's buffers);
- `run/flow.py`: the attempt primitive (plan, budget question, reserve, progress, the agent loop,
  settle) and the strategies over it (`single` today);
- `run/workspace.py`: the attempt workspace (reads through the editor's buffers, staged edits,
  commands in the sandbox, the change set);
- `run/approval.py`: approval of each proposed command (rules, the question, the sandbox, audit);
- `run/outcome.py`: pure texts and decisions about how a run ends;
- `run/sandboxing.py`: the one import of the sandbox.

Nothing is imported here: front ends import the modules they need when a run starts, so starting
a language server does not load the run's dependencies.
"""
