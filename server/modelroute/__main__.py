"""`python -m modelroute ...` is the `modelroute` command."""

import sys

from modelroute.cli import main

sys.exit(main())
