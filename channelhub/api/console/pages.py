"""What every console screen uses: who is asking, the templates, rendering a whole page or
one block of it (an htmx swap), the pager, and the header's open-exception count.

A screen module imports from here only; see ``screens/jobs.py`` for the pattern.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import Response
from jinja2_fragments.fastapi import Jinja2Blocks

from channelhub.api.console.auth import Viewer, page_viewer
from channelhub.api.state import HubState, hub_state
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.connectors.roles import Role
from channelhub.core.money import money_text
from channelhub.core.roles import Action, allowed
from channelhub.jobs.desk.overview import open_exceptions
from channelhub.jobs.engine.plan import roles_from_registry
from channelhub.store.repos.accounts import list_accounts

HERE = Path(__file__).parent
templates = Jinja2Blocks(directory=str(HERE / "templates"))  # autoescapes .html
PAGE_SIZE = 50
#: The navigation bar: (path, label), in order. A new screen adds its line.
NAV: list[tuple[str, str]] = [
    ("/", "Home"),
    ("/orders", "Orders"),
    ("/pairing", "Pairing"),
    ("/exceptions", "Exceptions"),
    ("/jobs", "Jobs"),
    ("/stock", "Stock"),
    ("/warehouses", "Warehouses"),
    ("/reconcile", "Reconciliation"),
    ("/accounts", "Accounts"),
    ("/analytics/trends", "Analytics"),
    ("/settlement", "Settlement"),
]


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"


templates.env.filters["when"] = _when
templates.env.filters["money"] = money_text


@dataclass(frozen=True)
class Page:
    """One page of a server-side paged list: ``rows`` plus what the pager template needs."""

    rows: list[Any]
    number: int
    has_next: bool
    query: dict[str, str]
    #: keyset pages (``after``/``before`` a row id) instead of page numbers: the links
    older: str | None = None
    newer: str | None = None

    def link(self, number: int) -> str:
        return "?" + urlencode({**self.query, "page": number})


def accounts_playing(session: Any, *roles: Role) -> list[str]:
    """The names of the accounts whose platform plays one of ``roles`` (an account of a
    platform not installed here is kept: nothing says it does not)."""
    roles_of = roles_from_registry(ConnectorRegistry())
    return [
        a.name
        for a in list_accounts(session)
        if not roles_of(a.platform) or roles_of(a.platform) & set(roles)
    ]


def page_number(request: Request) -> int:
    """The ``page`` query parameter (1 when missing or nonsense)."""
    try:
        return max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        return 1


def paged(rows_plus_one: list[Any], request: Request, **filters: str | None) -> Page:
    """Build the :class:`Page` from a query run with ``limit=PAGE_SIZE + 1`` and
    ``offset=(page-1)*PAGE_SIZE`` (the extra row says whether there is a next page)."""
    query = {key: value for key, value in filters.items() if value}
    return Page(
        rows=rows_plus_one[:PAGE_SIZE],
        number=page_number(request),
        has_next=len(rows_plus_one) > PAGE_SIZE,
        query=query,
    )


def _row_id(request: Request, name: str) -> int | None:
    try:
        value = int(request.query_params.get(name, ""))
    except ValueError:
        return None  # missing or nonsense: the first page
    return value if value > 0 else None


def keyset(request: Request) -> tuple[int | None, int | None]:
    """The ``after`` and ``before`` row ids of a keyset-paged list (``None``: not given)."""
    before = _row_id(request, "before")
    return (None if before else _row_id(request, "after")), before


def keyset_paged(rows_plus_one: list[Any], request: Request, **filters: str | None) -> Page:
    """The :class:`Page` of a list queried with ``limit=PAGE_SIZE + 1`` after or before a
    row id (:func:`keyset`): links carry the id of the last or first row shown, so any page
    costs one index range (an offset walks every row before it)."""
    query = {key: value for key, value in filters.items() if value}
    after, before = keyset(request)
    more = len(rows_plus_one) > PAGE_SIZE
    if before is not None:  # the extra row, if any, is the newest one
        rows = rows_plus_one[-PAGE_SIZE:]
        has_newer, has_older = more, True
    else:
        rows = rows_plus_one[:PAGE_SIZE]
        has_newer, has_older = after is not None, more
    older = "?" + urlencode({**query, "after": rows[-1].id}) if rows and has_older else None
    newer = "?" + urlencode({**query, "before": rows[0].id}) if rows and has_newer else None
    if before is not None and not rows:  # nothing newer any more: back to the first page
        newer = "?" + urlencode(query)
    return Page(rows=rows, number=0, has_next=older is not None, query=query, older=older,
                newer=newer)  # fmt: skip


def offset(request: Request) -> int:
    return (page_number(request) - 1) * PAGE_SIZE


def render(
    request: Request,
    viewer: Viewer,
    state: HubState,
    template: str,
    context: dict[str, Any],
    *,
    block: str | None = None,
    status_code: int = 200,
) -> Response:
    """The whole page, or only ``block`` of it when htmx asked for that swap."""
    with state.session_factory() as session:
        exceptions = open_exceptions(session)
    full = {
        "viewer": viewer,
        "can": lambda action: allowed(viewer.role, Action(action)),
        "exceptions": exceptions,
        "nav": NAV,
        **context,
    }
    if block is not None:
        return templates.TemplateResponse(
            request, template, full, block_name=block, status_code=status_code
        )
    return templates.TemplateResponse(request, template, full, status_code=status_code)


__all__ = [
    "PAGE_SIZE",
    "Depends",
    "HubState",
    "Page",
    "Viewer",
    "hub_state",
    "offset",
    "page_viewer",
    "paged",
    "render",
    "templates",
]
