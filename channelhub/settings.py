"""Hub home and settings: ``config.toml`` overlaid by ``CHANNELHUB_*`` environment variables.

The hub home (``~/.channelhub``, or ``CHANNELHUB_HOME``, or ``--home``) holds ``config.toml``,
``secret.key`` and ``hub.db``. Settings are loaded by :func:`load_settings` on demand and
passed along explicitly: there is no global singleton, so tests and several hubs in one
process never share state. The environment is injectable for the same reason.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from channelhub.core.errors import ConfigError
from channelhub.core.profit import FinanceConfig
from channelhub.core.push_safety import DEFAULT_MASS_DROP_SHARE

ENV_PREFIX = "CHANNELHUB_"
HOME_ENV = "CHANNELHUB_HOME"
CONFIG_FILE = "config.toml"
SECRET_KEY_FILE = "secret.key"
DATABASE_FILE = "hub.db"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


def _not_below(value: float, info: ValidationInfo, other: str, why: str) -> float:
    """``value``, unless it is below the already validated field ``other`` (then ``why``)."""
    floor = info.data.get(other)
    if floor is not None and value < floor:
        raise ValueError(f"it is shorter than {other} ({floor:g}), {why}")
    return value


class HttpSettings(BaseModel):
    """Every connector's HTTP timeouts and retries (``[http]``); the defaults are the client's.

    A dead or silent platform must fail within ``budget_seconds``; a seller behind a slow proxy
    raises ``timeout_seconds`` (and the budget with it).
    """

    model_config = ConfigDict(extra="forbid", validate_default=True)

    connect_timeout_seconds: float = Field(default=5.0, gt=0, le=600)  # one attempt's connect
    timeout_seconds: float = Field(default=10.0, gt=0, le=600)  # one attempt's read and write
    max_retries: int = Field(default=3, ge=0, le=20)  # after the first attempt (429, 5xx, network)
    budget_seconds: float = Field(default=15.0, gt=0, le=3_600)  # one request's attempts and waits

    @field_validator("budget_seconds")
    @classmethod
    def _budget_holds_an_attempt(cls, value: float, info: ValidationInfo) -> float:
        return _not_below(
            value, info, "timeout_seconds", "which would cut every attempt to it: raise "
            "budget_seconds too",
        )  # fmt: skip


class InboundSettings(BaseModel):
    """Limits on what the HTTP routes take in (``[inbound]``): body sizes per route, the
    evidence kept of refused requests, and the rate of refusals one source may cause."""

    model_config = ConfigDict(extra="forbid")

    webhook_max_bytes: int = Field(default=1_048_576, ge=1_024, le=64 * 1_048_576)
    callback_max_bytes: int = Field(default=262_144, ge=1_024, le=64 * 1_048_576)
    evidence_head_bytes: int = Field(default=4_096, ge=0, le=65_536)  # first bytes kept
    evidence_days: int = Field(default=14, ge=1, le=3_650)
    evidence_per_account: int = Field(default=1_000, ge=1, le=1_000_000)
    refusals_per_minute: float = Field(default=30.0, gt=0, le=60_000)  # per source address
    refusal_burst: int = Field(default=20, ge=1, le=100_000)
    #: peers (your reverse proxy) whose X-Forwarded-For names the real source
    trusted_proxies: list[str] = Field(default_factory=list)


class JobIntervals(BaseModel):
    """Seconds between two runs of each job per account; 0 turns the job off.

    One field per ``channelhub.jobs.JobKind`` (a test keeps the two in step).
    """

    model_config = ConfigDict(extra="forbid")

    pull_orders: int = Field(default=300, ge=0, le=86_400 * 7)
    pull_listings: int = Field(default=3_600, ge=0, le=86_400 * 7)
    push_stock: int = Field(default=300, ge=0, le=86_400 * 7)
    dispatch_outbox: int = Field(default=60, ge=0, le=86_400 * 7)
    poll_shipments: int = Field(default=900, ge=0, le=86_400 * 7)
    push_tracking: int = Field(default=300, ge=0, le=86_400 * 7)
    reconcile: int = Field(default=86_400, ge=0, le=86_400 * 7)
    pull_stock: int = Field(default=900, ge=0, le=86_400 * 7)
    poll_outbound: int = Field(default=600, ge=0, le=86_400 * 7)
    pull_finance: int = Field(default=21_600, ge=0, le=86_400 * 7)


class JobsSettings(BaseModel):
    """How ``channelhub run`` schedules the jobs and bounds each run."""

    model_config = ConfigDict(extra="forbid")

    every: JobIntervals = Field(default_factory=JobIntervals)
    lease_seconds: int = Field(default=600, ge=10, le=86_400)  # longer than any one page
    max_pages_per_run: int = Field(default=50, ge=1, le=10_000)  # one bounded unit of work
    initial_lookback_days: int = Field(default=30, ge=1, le=3_650)  # first import window
    #: ``channelhub run`` (embedded engine) runs the job a committed outbox message or webhook
    #: calls for (dispatch to a warehouse, tracking to a channel) this long after the first
    #: such commit (a burst is one run); 0: only at the job's interval
    wake_seconds: float = Field(default=1.0, ge=0, le=3_600)
    #: how often ``channelhub run`` looks for outbox messages another process wrote (a
    #: ``sync orders`` typed in a terminal) or whose retry time came; 0: the intervals' only
    watch_seconds: float = Field(default=5.0, ge=0, le=3_600)


class StockSettings(BaseModel):
    """The stock push's timing and safety (``[stock]``; the sellable formula's rules live in
    rules.toml)."""

    model_config = ConfigDict(extra="forbid")

    #: A push that would cut (to 0, or by more than half) more than this share of an account's
    #: pushed listings stops until ``channelhub stock push ACCOUNT --confirm``. An account may
    #: override it with its ``stock_mass_drop_share`` setting.
    mass_drop_share: Decimal = Field(default=DEFAULT_MASS_DROP_SHARE, ge=0, le=1)

    #: The event-driven push (``channelhub run``): a committed ledger change wakes the push of
    #: the accounts listing its SKU once the SKU was quiet this long (a burst is one push) ...
    debounce_seconds: float = Field(default=2.0, ge=0, le=3_600)
    #: ... or at the latest this long after its changes began (a best-seller never goes quiet).
    max_wait_seconds: float = Field(default=30.0, gt=0, le=86_400)
    #: A push run becomes a full sweep of every listing when the last sweep is older than this
    #: (catches re-binds, rule edits, new listings); 0: only on request and an account's first.
    sweep_seconds: int = Field(default=3_600, ge=0, le=86_400 * 7)
    #: How often ``channelhub run`` looks for stock changes another process committed (a
    #: ``stock set`` or ``sync orders`` typed in a terminal); 0: only the interval push sees them.
    watch_seconds: float = Field(default=5.0, ge=0, le=3_600)

    @field_validator("mass_drop_share", mode="before")
    @classmethod
    def _exact_share(cls, value: object) -> object:
        return Decimal(str(value)) if isinstance(value, float) else value  # 0.2 means 0.2

    @field_validator("max_wait_seconds")
    @classmethod
    def _wait_covers_debounce(cls, value: float, info: ValidationInfo) -> float:
        return _not_below(
            value, info, "debounce_seconds", "so a change would be pushed before its burst is "
            "over: raise max_wait_seconds or lower debounce_seconds",
        )  # fmt: skip


class EngineSettings(BaseModel):
    """Which engine runs the jobs (``[engine]``): the embedded scheduler of ``channelhub run``
    (APScheduler, SQLite or PostgreSQL; the default), or procrastinate workers over
    PostgreSQL (``channelhub worker``; see docs/deploy.md)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["embedded", "procrastinate"] = "embedded"
    #: jobs one ``channelhub worker`` runs at once (``--concurrency`` overrides it)
    concurrency: int = Field(default=4, ge=1, le=200)
    #: procrastinate mode: ``channelhub run`` also runs a worker of this concurrency
    #: (0: it serves HTTP only and the ``channelhub worker`` processes do every job)
    run_worker_concurrency: int = Field(default=0, ge=0, le=200)
    #: seconds between two passes of the scheduler task (defers each due account job)
    schedule_seconds: int = Field(default=10, ge=1, le=3_600)
    #: a worker reports it is alive this often ...
    heartbeat_seconds: float = Field(default=10.0, gt=0, le=600)
    #: ... and a job of a worker silent this long is stalled: retried by the periodic task
    stalled_seconds: float = Field(default=60.0, gt=0, le=86_400)
    #: seconds between two passes of the "retry stalled jobs" task
    stalled_check_seconds: int = Field(default=30, ge=1, le=3_600)
    #: seconds a worker waits between two looks for due jobs when no PostgreSQL notification
    #: woke it first: a job queued for later (a retry's back-off, a debounced stock push)
    #: starts up to this long after its time
    poll_seconds: float = Field(default=5.0, gt=0, le=600)

    @field_validator("stalled_seconds")
    @classmethod
    def _stalled_after_heartbeats(cls, value: float, info: ValidationInfo) -> float:
        return _not_below(
            value, info, "heartbeat_seconds", "so a live worker would be taken for dead: "
            "raise stalled_seconds (a few heartbeats)",
        )  # fmt: skip


class ConsoleSettings(BaseModel):
    """The seller console (``[console]``)."""

    model_config = ConfigDict(extra="forbid")

    #: Set when the console is reached through a TLS proxy: the session cookie is then sent
    #: over HTTPS only.
    secure_cookies: bool = False
    session_hours: int = Field(default=12, ge=1, le=24 * 30)


#: ``[finance]``: the reporting currency, the allocation rule and the fee schedules.
FinanceSettings = FinanceConfig


class Settings(BaseSettings):
    """Validated hub settings. Build with :func:`load_settings`, not directly."""

    model_config = SettingsConfigDict(extra="forbid", validate_default=True)

    home: Path
    database_url: str = ""
    secret_key: SecretStr | None = None
    log_level: LogLevel = "INFO"
    http: HttpSettings = Field(default_factory=HttpSettings)
    jobs: JobsSettings = Field(default_factory=JobsSettings)
    stock: StockSettings = Field(default_factory=StockSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    inbound: InboundSettings = Field(default_factory=InboundSettings)
    finance: FinanceSettings = Field(default_factory=FinanceSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only what :func:`load_settings` passes in: it reads the file and the
        ``CHANNELHUB_*`` environment itself. pydantic-settings' own sources would also take
        unprefixed variables (a server's ``DATABASE_URL`` would choose the hub's database)."""
        return (init_settings,)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql+psycopg://")
        return value

    @property
    def config_path(self) -> Path:
        return self.home / CONFIG_FILE

    @property
    def secret_key_path(self) -> Path:
        return self.home / SECRET_KEY_FILE

    @property
    def database_path(self) -> Path:
        return self.home / DATABASE_FILE

    @property
    def resolved_database_url(self) -> str:
        """The database to use: ``CHANNELHUB_DATABASE_URL`` / config, else ``hub.db``."""
        return self.database_url or f"sqlite:///{self.database_path}"


class _MappingEnvSource(EnvSettingsSource):
    """pydantic-settings' env parsing (prefix, ``__`` nesting) over any mapping."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = dict(env)
        super().__init__(
            Settings, case_sensitive=False, env_prefix=ENV_PREFIX, env_nested_delimiter="__"
        )

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {key.lower(): value for key, value in self._env.items()}


def resolve_home(home: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The hub home: the explicit one, else ``CHANNELHUB_HOME``, else ``~/.channelhub``."""
    env = os.environ if env is None else env
    if home is not None:
        return home.expanduser()
    if env.get(HOME_ENV):
        return Path(env[HOME_ENV]).expanduser()
    return Path.home() / ".channelhub"


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read: {exc.strerror}") from None


def _describe(error: Mapping[str, Any], env_keys: set[str], toml_path: Path, secret: bool) -> str:
    loc = [str(part) for part in error["loc"]]
    key = ".".join(loc) or "settings"
    if loc and loc[0] in env_keys:
        where = f"environment variable {ENV_PREFIX}{'__'.join(loc).upper()}"
    else:
        where = f"key {key!r} in {toml_path}"
    value = "<hidden>" if secret else repr(error.get("input"))
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        return f"{where} is not a known setting"
    return f"{where} has value {value}, which is invalid: {message}"


def load_settings(home: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read ``<home>/config.toml`` and the ``CHANNELHUB_*`` environment into :class:`Settings`.

    The environment wins over the file. Raises :class:`ConfigError` naming the key and value.
    """
    env = os.environ if env is None else env
    resolved_home = resolve_home(home, env)
    toml_path = resolved_home / CONFIG_FILE
    file_values = _read_toml(toml_path)
    env_values = _MappingEnvSource(env)()
    env_values.pop("home", None)  # CHANNELHUB_HOME chooses the home; it is not a setting.
    merged = _deep_merge(file_values, env_values)
    merged["home"] = resolved_home
    try:
        return Settings(**merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        secret = bool(first["loc"]) and first["loc"][0] == "secret_key"
        raise ConfigError(_describe(first, set(env_values), toml_path, secret)) from None


def _deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


DEFAULT_CONFIG_TOML = """\
# channelhub configuration. Every setting can also come from the environment:
# CHANNELHUB_<KEY> (nested keys with a double underscore, e.g. CHANNELHUB_HTTP__TIMEOUT_SECONDS).
# The environment wins over this file. Secrets do not belong here: credentials are stored
# encrypted by `channelhub accounts add`, the key is in secret.key or CHANNELHUB_SECRET_KEY.

# Database. Default: the SQLite file hub.db beside this file.
# database_url = "postgresql+psycopg://user@localhost:5432/channelhub"

# log_level = "INFO"        # DEBUG, INFO, WARNING or ERROR

[http]                       # every connector's requests (raise them behind a slow proxy)
# connect_timeout_seconds = 5.0  # one attempt's connect
# timeout_seconds = 10.0     # one attempt's read and write
# max_retries = 3            # retries after the first attempt, on 429, 5xx and network errors
# budget_seconds = 15.0      # one request's attempts and waits in all: a dead platform fails
#                            # within it (at least timeout_seconds)

[jobs]
# lease_seconds = 600        # a job's lease per (account, job); longer than one page takes
# max_pages_per_run = 50     # one run imports at most this many pages, then yields
# initial_lookback_days = 30 # how far back the first order import of an account reaches
# wake_seconds = 1           # `channelhub run` dispatches a new order to its warehouse, and
#                            # pushes tracking to the channel, this long after the commit that
#                            # calls for it (a burst is one run); 0: at the intervals below only
# watch_seconds = 5          # how often it looks for such work written by another process
#                            # (`sync orders` in a terminal) or due for a retry; 0: never

[jobs.every]                 # seconds between runs per account; 0 turns a job off
# pull_orders = 300
# pull_listings = 3600
# push_stock = 300
# dispatch_outbox = 60
# poll_shipments = 900
# push_tracking = 300
# reconcile = 86400

[stock]
# debounce_seconds = 2       # `channelhub run` pushes a changed SKU's listings once its
#                            # changes were quiet this long (a burst becomes one push)
# max_wait_seconds = 30      # or at the latest this long after they began
# sweep_seconds = 3600       # a full sweep of every listing at most this often (0: on request)
# watch_seconds = 5          # how often `channelhub run` looks for stock changes committed by
#                            # another process (`stock set` in a terminal; 0: the interval's)
# mass_drop_share = 0.2      # a stock push that would cut (to 0, or by more than half) more
#                            # than this share of an account's listings at once stops until
#                            # `channelhub stock push ACCOUNT --confirm`

[engine]                     # who runs the jobs (docs/deploy.md)
# kind = "embedded"          # `channelhub run` schedules and runs them (SQLite or PostgreSQL);
#                            # "procrastinate": `channelhub worker` processes (PostgreSQL only)
# concurrency = 4            # jobs one `channelhub worker` runs at once
# run_worker_concurrency = 0 # procrastinate: `channelhub run` also runs jobs (0: HTTP only)
# schedule_seconds = 10      # how often the scheduler task defers the due account jobs
# heartbeat_seconds = 10     # a worker's heartbeat; a job of a worker silent for
# stalled_seconds = 60       # this long is stalled and retried by another worker
# stalled_check_seconds = 30
# poll_seconds = 5          # a worker looks for due jobs this often (new ones wake it at once;
#                            # one queued for later starts up to this long after its time)

[console]                    # the seller console served by `channelhub run`
# secure_cookies = false     # true behind a TLS proxy: the session cookie goes over HTTPS only
# session_hours = 12         # a login lasts this long

[finance]                    # settlement and profit (channelhub finance ...)
# currency = "USD"           # the reporting currency; rates to it: channelhub fx import FILE
# allocation = "revenue"     # storage, ads, subscriptions shared over the month's orders by
#                            # "revenue", "units" or "orders" (shown as allocated)
# [finance.fees.amazon]      # the fee schedule an order's channel fees are checked against:
# percent = 15               # percent of principal + shipping,
# per_order = 0.0            # plus this per order (order currency),
# tolerance = 0.01           # more than this above it is a fee_above_schedule discrepancy
# [finance.warehouse_fees.shipbob]  # per warehouse platform, the most one charge of a fee
# "Per Pick Fee" = 2.50      # name may be (the provider's own fee name)

[inbound]                    # what the webhook and callback routes take in
# webhook_max_bytes = 1048576  # /webhooks/*: a larger body is refused (413) before it is read
# callback_max_bytes = 262144  # /callbacks/*
# evidence_head_bytes = 4096   # of a refused request only its size, hash, headers (redacted)
# evidence_days = 14           # and first bytes are kept, this long,
# evidence_per_account = 1000  # and at most this many per account (oldest pruned)
# refusals_per_minute = 30.0   # refusals one source address may cause before it gets 429
# refusal_burst = 20
# trusted_proxies = ["127.0.0.1"]  # behind a reverse proxy: take the source from
#                                  # X-Forwarded-For when the request comes from it
"""
