"""What the console needs from the hub's configuration, handed in by whoever builds the app
(the api layer does not read settings itself)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from channelhub.core.profit import FinanceConfig
from channelhub.core.rulebook import Rulebook
from channelhub.jobs.engine.runner import JobOptions
from channelhub.store.crypto import Vault


@dataclass(frozen=True)
class ConsoleConfig:
    """``secure_cookies``: set when the console is served behind TLS (a proxy), so the
    session cookie is never sent over plain HTTP. ``job_every``: the config's job intervals
    (seconds per job kind), for the schedule the Jobs page shows."""

    secure_cookies: bool = False
    job_every: dict[str, int] = field(default_factory=dict)
    session_lifetime: timedelta = timedelta(hours=12)
    login_attempts: int = 5
    login_window: timedelta = timedelta(minutes=15)
    job_options: JobOptions | None = None
    #: ``[engine] kind`` and its stalled threshold: the Jobs page reads that engine's state
    engine: str = "embedded"
    stalled_after: timedelta = timedelta(seconds=60)
    #: the order-flow rules (``<home>/rules.toml``): what approve, release, split, merge and
    #: bind plan with, as the CLI's ``--rules`` default
    rulebook: Rulebook = field(default_factory=Rulebook)
    #: the credentials vault: the Accounts screen encrypts what it is given (None: read only)
    vault: Vault | None = None
    #: ``[finance]``: the reporting currency, allocation rule and fee schedules (Settlement)
    finance: FinanceConfig = field(default_factory=FinanceConfig)
