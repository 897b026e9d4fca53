"""Stock: per listing the ``stock explain`` breakdown, the last value pushed (when, with what
answer); per SKU the balance in every warehouse and its ledger; set a count, import a CSV, and
push now with the preview first (the mass-drop guard's confirm explained on the page).

Every action calls what ``channelhub stock set|import|push|explain`` calls
(:mod:`channelhub.jobs.stock.desk`, :mod:`channelhub.jobs.stock.warehouses`).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from channelhub.api.console.auth import acting, console_config
from channelhub.api.console.config import ConsoleConfig
from channelhub.api.console.pages import (
    PAGE_SIZE,
    HubState,
    Viewer,
    accounts_playing,
    hub_state,
    offset,
    page_viewer,
    paged,
    render,
)
from channelhub.connectors.roles import Role
from channelhub.core.errors import ChannelhubError
from channelhub.core.push_safety import DEFAULT_MASS_DROP_SHARE, MIN_LISTINGS_FOR_SHARE
from channelhub.core.roles import Action
from channelhub.core.rulebook import Rulebook
from channelhub.jobs.stock.desk import (
    StockImportRejected,
    find_listings,
    import_stock_csv,
    listing_stock,
    push_now,
    push_preview,
)
from channelhub.jobs.stock.warehouses import set_stock
from channelhub.store.repos.accounts import get_account
from channelhub.store.repos.pairings import bindings_shipping
from channelhub.store.repos.stock import movements, stock_balances
from channelhub.store.repos.stock_sync import listings_with_last_push
from channelhub.store.repos.warehouses import list_warehouses

router = APIRouter()


def _rulebook(config: ConsoleConfig) -> Rulebook:
    """The hub's rules, as ``channelhub run`` loaded them (the CLI's ``--rules`` default)."""
    return config.rulebook


def _share(config: ConsoleConfig) -> Decimal:
    return config.job_options.mass_drop_share if config.job_options else DEFAULT_MASS_DROP_SHARE


def _lease_ttl(config: ConsoleConfig) -> timedelta:
    """How long the console's push holds the account's push lease between heartbeats."""
    return config.job_options.lease_ttl if config.job_options else timedelta(minutes=5)


def listing_url(key: object) -> str:
    return "/stock/listing?key=" + quote(str(key), safe="")


@router.get("/stock")
def stock_page(
    request: Request,
    account: str | None = None,
    q: str | None = None,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
) -> Response:
    with state.session_factory() as session:
        rows = listings_with_last_push(
            session,
            account=account or None,
            search=q or None,
            limit=PAGE_SIZE + 1,
            offset=offset(request),
        )
        accounts = accounts_playing(session, Role.SALES_CHANNEL)
        warehouses = [w.code for w in list_warehouses(session)]
    context = {
        "listings": paged(rows, request, account=account, q=q),
        "filters": {"account": account or "", "q": q or ""},
        "accounts": accounts,
        "warehouses": warehouses,
        "listing_url": listing_url,
    }
    block = "listings" if request.headers.get("HX-Target") == "listings" else None
    return render(request, viewer, state, "stock.html", context, block=block)


def _listing_context(state: HubState, config: ConsoleConfig, key: str) -> dict[str, object]:
    with state.session_factory() as session:
        try:
            found = find_listings(session, key, account=None)
        except ChannelhubError as exc:
            return {"key": key, "missing": str(exc), "shown": None}
        shown = listing_stock(session, found[0], _rulebook(config))
    return {"key": key, "shown": shown, "missing": None}


@router.get("/stock/listing")
def listing_page(
    request: Request,
    key: str,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    context = _listing_context(state, config, key)
    status = 404 if context["missing"] else 200
    return render(request, viewer, state, "stock_listing.html", context, status_code=status)


@router.get("/stock/sku/{code}")
def sku_page(
    request: Request,
    code: str,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
) -> Response:
    with state.session_factory() as session:
        balances = sorted(stock_balances(session, skus=[code]).values(), key=lambda b: b.warehouse)
        ledger = {
            b.warehouse: movements(session, warehouse=b.warehouse, sku=code)[-10:][::-1]
            for b in balances
        }
        bindings = bindings_shipping(session, [code])
        warehouses = [w.code for w in list_warehouses(session)]
    context = {
        "code": code,
        "balances": balances,
        "ledger": ledger,
        "bindings": bindings,
        "warehouses": warehouses,
    }
    return render(request, viewer, state, "stock_sku.html", context)


@router.post("/stock/set")
async def set_count(
    request: Request,
    warehouse: str = Form(""),
    sku: str = Form(""),
    quantity: str = Form(""),
    reason: str = Form(""),
    listing: str = Form(""),
    viewer: Viewer = Depends(acting(Action.STOCK)),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    """``channelhub stock set WAREHOUSE SKU QUANTITY [--reason]``; from a listing's page the
    answer is that page's explain block, computed again."""
    said: str
    try:
        count = int(quantity)
        if count < 0:
            raise ValueError
    except ValueError:
        said = f"quantity {quantity!r} is not a whole number of 0 or more"
    else:
        try:
            with state.session_factory.begin() as session:
                difference = set_stock(
                    session,
                    warehouse.strip(),
                    sku.strip(),
                    count,
                    reason=reason.strip() or f"set by {viewer.name} in the console",
                    now=state.now(),
                )
            said = (
                f"{warehouse} {sku}: on hand {count} (adjusted {difference:+d})"
                if difference
                else f"{warehouse} {sku}: on hand {count} (already so, nothing recorded)"
            )
        except ChannelhubError as exc:
            said = str(exc)
    if listing:
        context = {**_listing_context(state, config, listing), "said": said}
        return render(request, viewer, state, "stock_listing.html", context, block="explain")
    return render(request, viewer, state, "stock.html", {"said": said}, block="said")


@router.post("/stock/import")
async def import_counts(
    request: Request,
    file: UploadFile = File(...),
    viewer: Viewer = Depends(acting(Action.STOCK)),
    state: HubState = Depends(hub_state),
) -> Response:
    """``channelhub stock import FILE``: every row or none."""
    source = file.filename or "upload.csv"
    errors: list[str] = []
    try:
        text = (await file.read()).decode("utf-8-sig")
    except UnicodeDecodeError:
        said = f"{source} is not UTF-8 text: nothing imported"
    else:
        try:
            with state.session_factory.begin() as session:
                summary = import_stock_csv(session, text, source=source, now=state.now())
            said = (
                f"imported {summary.rows} count(s) from {source} into "
                f"{', '.join(summary.warehouses)}: {summary.changed} adjusted "
                f"({summary.units:+d} units), {summary.rows - summary.changed} already right"
                if summary.rows
                else f"{source} holds no counts: nothing imported"
            )
        except StockImportRejected as rejected:
            said = str(rejected)
            errors = [str(error) for error in rejected.errors]
        except ChannelhubError as exc:
            said = str(exc)
    context = {"said": said, "import_errors": errors}
    return render(request, viewer, state, "stock.html", context, block="said")


@router.get("/stock/push/{account}")
def push_page(
    request: Request,
    account: str,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    """``channelhub stock push ACCOUNT --preview``: what a full push would send (nothing is
    sent by looking)."""
    with state.session_factory() as session:
        try:
            plan = push_preview(session, account, _rulebook(config), default_share=_share(config))
            missing = None
        except ChannelhubError as exc:
            plan, missing = None, str(exc)
    context = {
        "account": account,
        "plan": plan,
        "missing": missing,
        "min_listings": MIN_LISTINGS_FOR_SHARE,
        "listing_url": listing_url,
    }
    return render(
        request, viewer, state, "stock_push.html", context, status_code=404 if missing else 200
    )


@router.post("/stock/push/{account}")
async def push(
    request: Request,
    account: str,
    confirm: str = Form(""),
    viewer: Viewer = Depends(acting(Action.STOCK)),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    """``channelhub stock push ACCOUNT [--confirm]``."""
    outcome = None
    try:
        with state.session_factory() as session:
            row = get_account(session, account)
        connector = state.connector_factory(row)
        try:
            outcome = await push_now(
                state.session_factory,
                account,
                connector,
                _rulebook(config),
                now=state.now(),
                confirm=confirm == "yes",
                default_share=_share(config),
                lease_ttl=config.job_options.lease_ttl
                if config.job_options
                else timedelta(minutes=5),
                timing=config.job_options.stock_timing if config.job_options else None,
            )
        finally:
            close = getattr(connector, "aclose", None)
            if close is not None:
                await close()
        said = outcome.summary.render()
    except ChannelhubError as exc:
        said = str(exc)
    context = {"account": account, "outcome": outcome, "said": said}
    return render(request, viewer, state, "stock_push.html", context, block="result")
