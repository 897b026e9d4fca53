"""Who may do what in the console: the one place a role is checked against an action.

owner: everything (users, accounts); operator: the daily work (orders, pairing, stock, jobs);
viewer: reads only. A screen names the :class:`Action` its button performs and the console asks
:func:`allowed`; nothing else decides.
"""

from __future__ import annotations

from enum import StrEnum

from channelhub.core.errors import InvalidInput


class Role(StrEnum):
    """A console user's role."""

    OWNER = "owner"
    OPERATOR = "operator"
    VIEWER = "viewer"


class Action(StrEnum):
    """Everything a console user can ask for; add one per new kind of button."""

    VIEW = "view"
    REPLAY_DEAD_LETTER = "replay_dead_letter"
    RUN_JOB = "run_job"
    ORDERS = "orders"  # approve, hold, release, cancel, intercept, split, merge
    PAIRING = "pairing"  # bind, unbind
    STOCK = "stock"  # set, import, push
    RECONCILE = "reconcile"  # repair
    ACCOUNTS = "accounts"  # add, edit, enable or disable jobs
    WAREHOUSES = "warehouses"  # add, remove (owner: where the stock is counted)
    USERS = "users"


_OPERATOR = frozenset(
    {
        Action.VIEW,
        Action.REPLAY_DEAD_LETTER,
        Action.RUN_JOB,
        Action.ORDERS,
        Action.PAIRING,
        Action.STOCK,
        Action.RECONCILE,
    }
)

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.OPERATOR: _OPERATOR,
    Role.VIEWER: frozenset({Action.VIEW}),
}


def allowed(role: Role | str, action: Action) -> bool:
    """True when ``role`` may perform ``action`` (an unknown role may do nothing)."""
    try:
        return action in PERMISSIONS[Role(role)]
    except ValueError:
        return False


def parse_role(value: str) -> Role:
    """A role from user input, or one clear error naming the choices."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        choices = ", ".join(role.value for role in Role)
        raise InvalidInput.field("role", value, f"is not one of {choices}") from None
