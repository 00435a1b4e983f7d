"""Which ledger to open, and who runs are charged to, from settings and the environment.

    [ledger] url (user file or client)  >  $MODELROUTE_LEDGER_URL  >  SQLite in the user data dir
    [identity] person                   >  $MODELROUTE_PERSON      >  the login name
    [identity] team                     >  $MODELROUTE_TEAM        >  "" (everyone on the ledger)

A workspace file can set none of these (policy/narrowing.py): a repository must not be able to
send the record of your runs elsewhere or charge them to someone else.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from modelroute.ledger.model import Identity, LedgerError
from modelroute.ledger.store import DEFAULT_LEASE, LedgerStore
from modelroute.policy.schema import Settings

LEDGER_URL_ENV = "MODELROUTE_LEDGER_URL"
PERSON_ENV = "MODELROUTE_PERSON"
TEAM_ENV = "MODELROUTE_TEAM"
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def ledger_url(settings: Settings | None, env: Mapping[str, str] = os.environ) -> str | None:
    """The shared ledger's URL, or None for this machine's SQLite file."""
    url = (settings.ledger.url if settings is not None else None) or env.get(LEDGER_URL_ENV) or None
    return url.strip() if url else None


def is_postgres_url(target: str) -> bool:
    return target.startswith(_POSTGRES_SCHEMES)


def identity_from(settings: Settings | None, env: Mapping[str, str] = os.environ) -> Identity:
    person = (settings.identity.person if settings is not None else None) or env.get(PERSON_ENV) or _login()
    team = (settings.identity.team if settings is not None else None) or env.get(TEAM_ENV) or ""
    return Identity(person=person.strip(), team=team.strip())


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
        return ""


def open_ledger(
    settings: Settings | None = None, env: Mapping[str, str] = os.environ, *, target: str | None = None
) -> LedgerStore:
    """The ledger the settings name (PostgreSQL or the SQLite file), with the identity and lease
    they give. `target` (a URL or a file path, e.g. `report --ledger`) overrides the choice."""
    chosen = target if target is not None else ledger_url(settings, env)
    identity = identity_from(settings, env)
    lease = timedelta(seconds=settings.ledger.lease_s) if settings is not None else DEFAULT_LEASE
    if chosen is not None and is_postgres_url(chosen):
        try:
            from modelroute.ledger.postgres import PostgresLedger
        except ImportError as exc:  # psycopg is a dependency; a broken install says so plainly
            raise LedgerError(f"a PostgreSQL ledger needs psycopg, which cannot be imported: {exc}") from exc
        return PostgresLedger(chosen, identity=identity, lease=lease)
    from modelroute.ledger.sqlite import Ledger

    return Ledger(Path(chosen).expanduser() if chosen else None, identity=identity, lease=lease)
