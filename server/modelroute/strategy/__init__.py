"""strategy: how a run is made (single, cascade, best-of-n, plan), priced and decided. Pure, no I/O.

One module per concern: `model` (the data), `joint` (what several models give together), `choose`
(the cascade rule), `offers` (a routing decision -> priced strategies), `machine` (what to run next),
`calibration` (pass rates from the ledger), `replay` and `fit` (public per-task outcomes), `tamper`
(tests changed during a fix), `verify` (the check command), `plan` and `split` (steps), `synth`
(best-of-n's synthesiser), `feedback` (what the next model is told), `untrusted` (command and model
output made safe to show a model), `budget` (what fits).
"""
