"""Which jobs run for which accounts: the plan ``channelhub run`` schedules and ``jobs list``
shows, read from the config's intervals, the accounts' switches and their platforms'
manifests (:meth:`~channelhub.connectors.registry.ConnectorRegistry.about`). Light on purpose:
no runner, no scheduler, no connector is imported to plan.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from channelhub.connectors.manifest import Capability, Role
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.core.errors import ChannelhubError
from channelhub.jobs.engine.kinds import (
    JOB_CAPABILITIES,
    JOB_HANDLERS,
    JOB_ROLES,
    JobKind,
    job_enabled,
)
from channelhub.store.repos.accounts import AccountInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduledJob:
    """One job of one account and how often it runs."""

    account: str
    kind: JobKind
    every: timedelta

    @property
    def job_id(self) -> str:
        return f"{self.kind.value}:{self.account}"


def intervals_from_seconds(every: Mapping[str, int]) -> dict[JobKind, timedelta]:
    """``[jobs.every]`` (seconds per kind name, 0 = off) as intervals of the kinds that run."""
    return {JobKind(name): timedelta(seconds=s) for name, s in every.items() if s > 0}


def roles_from_registry(registry: ConnectorRegistry) -> Callable[[str], frozenset[Role]]:
    """The roles of a platform's connector (its manifest: the connector is not imported);
    none when it is not installed (yet), which is warned about once per platform and reader
    (``channelhub run`` plans again every 30 s with one reader)."""
    warned: set[str] = set()

    def roles(platform: str) -> frozenset[Role]:
        try:
            return registry.about(platform).roles
        except ChannelhubError as exc:
            if platform not in warned:
                warned.add(platform)
                log.warning("no jobs for platform %s: %s", platform, exc)
            return frozenset()

    return roles


def capabilities_from_registry(
    registry: ConnectorRegistry,
) -> Callable[[str], frozenset[Capability]]:
    """The most a platform's connector can do (its manifest's declared capabilities)."""

    def capabilities(platform: str) -> frozenset[Capability]:
        try:
            return registry.about(platform).capabilities
        except ChannelhubError:
            return frozenset()

    return capabilities


def plan_jobs(
    accounts: Sequence[AccountInfo],
    intervals: Mapping[JobKind, timedelta],
    *,
    roles_of: Callable[[str], frozenset[Role]],
    handlers: Mapping[JobKind, object] | None = None,
    capabilities_of: Callable[[str], frozenset[Capability]] | None = None,
) -> list[ScheduledJob]:
    """Every (account, job) to schedule: the job is on in the config and in the account's
    switches (``accounts edit --enable/--disable``; push_stock is off until turned on),
    written, and fits the account's role and, with ``capabilities_of``, its connector's
    declared capabilities (``pull_finance`` only where the connector reads money)."""
    written = set(JOB_HANDLERS) | set(handlers or {})
    plan = []
    for account in accounts:
        roles = roles_of(account.platform)
        capabilities = capabilities_of(account.platform) if capabilities_of else None
        for kind, every in intervals.items():
            needed = JOB_CAPABILITIES.get(kind)
            if (
                kind in written
                and JOB_ROLES[kind] & roles
                and (capabilities is None or needed is None or needed in capabilities)
                and every > timedelta(0)
                and job_enabled(account.settings, kind)
            ):
                plan.append(ScheduledJob(account=account.name, kind=kind, every=every))
    return plan
