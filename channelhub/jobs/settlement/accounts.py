"""Which accounts have a finance import: decided by their connectors, not by a list of names.

A platform's plugin declares :attr:`~channelhub.connectors.roles.Capability.READ_MONEY` when
its connector is a :class:`~channelhub.connectors.finance.FinanceReader`; ``finance pull`` and
the scheduler (``pull_finance`` only where it fits) both ask this, so a new connector with a
finance import is pulled without anyone editing the CLI.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from channelhub.connectors.manifest import Capability
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.core.errors import ChannelhubError, InvalidInput
from channelhub.store.repos.accounts import get_account, list_accounts


def finance_platforms(registry: ConnectorRegistry) -> list[str]:
    """The installed platforms whose connector imports money, sorted (from their manifests:
    no connector is imported to tell)."""
    found = []
    for name in registry.names():
        try:
            manifest = registry.about(name)
        except ChannelhubError:  # a plugin that does not load has no import either
            continue
        if Capability.READ_MONEY in manifest.capabilities:
            found.append(name)
    return sorted(found)


def finance_accounts(
    session: Session, registry: ConnectorRegistry, account: str | None = None
) -> list[str]:
    """``account`` if its platform imports money (else one clear error), or every such
    account when None."""
    platforms = set(finance_platforms(registry))
    if account is None:
        return [a.name for a in list_accounts(session) if a.platform in platforms]
    row = get_account(session, account)
    if row.platform not in platforms:
        raise InvalidInput.field(
            "account",
            account,
            f"is a {row.platform} account: channelhub imports money from "
            f"{', '.join(sorted(platforms))} only",
        )
    return [account]
