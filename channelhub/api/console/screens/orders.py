"""Orders: the list (filters, search, 50 a page after or before an order: one indexed keyset
query through :func:`channelhub.store.repos.order_search.search_orders`, as ``channelhub orders
list``), the
order page (:func:`channelhub.jobs.orders.detail.order_detail`, as ``orders show``) and the
actions of ``channelhub orders ...`` through :mod:`channelhub.jobs.orders.actions`.

Cancel and intercept first show a confirm page that says what will happen at the warehouse
(:func:`~channelhub.jobs.orders.actions.stop_preview`); nothing happens until it is posted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from channelhub.api.console.auth import acting, console_config
from channelhub.api.console.config import ConsoleConfig
from channelhub.api.console.pages import (
    PAGE_SIZE,
    HubState,
    Viewer,
    hub_state,
    keyset,
    keyset_paged,
    page_viewer,
    render,
)
from channelhub.core.errors import ChannelhubError, InvalidInput, NotFound
from channelhub.core.lifecycle import OPEN_STATUSES, HubStatus
from channelhub.core.order import OrderKey
from channelhub.core.roles import Action
from channelhub.jobs.orders import actions
from channelhub.jobs.orders.detail import order_detail
from channelhub.store.repos.order_search import OrderFilter, order_facets, search_orders

router = APIRouter()


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None  # a half-typed date filters nothing rather than failing the page


@router.get("/orders")
def orders_page(
    request: Request,
    q: str | None = None,
    status: str | None = None,
    channel: str | None = None,
    account: str | None = None,
    warehouse: str | None = None,
    held: str | None = None,
    placed_from: str | None = None,
    placed_to: str | None = None,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
) -> Response:
    wanted = OrderFilter(
        status=status or None,
        channel=channel or None,
        account=account or None,
        warehouse=warehouse or None,
        held=bool(held),
        placed_from=_day(placed_from),
        placed_to=_day(placed_to),
        text=q or None,
    )
    with state.session_factory() as session:
        after, before = keyset(request)
        rows = search_orders(session, wanted, limit=PAGE_SIZE + 1, after=after, before=before)
        facets = order_facets(session)
    filters = {
        "q": q or "",
        "status": status or "",
        "channel": channel or "",
        "account": account or "",
        "warehouse": warehouse or "",
        "held": "1" if held else "",
        "placed_from": placed_from or "",
        "placed_to": placed_to or "",
    }
    context = {
        "orders": keyset_paged(rows, request, **filters),
        "filters": filters,
        "facets": facets,
        "statuses": [s.value for s in HubStatus],
    }
    block = "rows" if request.headers.get("HX-Target") == "rows" else None
    return render(request, viewer, state, "orders.html", context, block=block)


def _order_page(
    request: Request,
    viewer: Viewer,
    state: HubState,
    key: OrderKey,
    *,
    said: str | None = None,
    error: str | None = None,
) -> Response:
    try:
        with state.session_factory() as session:
            detail = order_detail(session, key)
    except NotFound as exc:
        return _missing(request, viewer, state, str(exc))
    status = detail.order.hub_status
    context = {
        "key": str(key),
        "detail": detail,
        "said": said,
        "error": error,
        "on_hold": status is HubStatus.ON_HOLD,
        "open": status in OPEN_STATUSES,
        "interceptable": actions.can_intercept(status),
        "merged": key.external_id.startswith("M-"),
    }
    return render(request, viewer, state, "order.html", context)


def _key(text: str) -> OrderKey:
    return actions.parse_order_key(text)


def _missing(request: Request, viewer: Viewer, state: HubState, said: str) -> Response:
    context = {"said": said}
    return render(request, viewer, state, "order_missing.html", context, status_code=404)


def _act(
    request: Request,
    viewer: Viewer,
    state: HubState,
    key_text: str,
    work: Callable[[Session, OrderKey], str],
) -> Response:
    """Run one action in one transaction; its line, or the user's error, on the order page."""
    try:
        key = _key(key_text)
    except InvalidInput as exc:
        return _missing(request, viewer, state, str(exc))
    try:
        with state.session_factory.begin() as session:
            said = work(session, key)
    except ChannelhubError as exc:  # not on hold, gone, refused: the user's to read
        return _order_page(request, viewer, state, key, error=str(exc))
    return _order_page(request, viewer, state, key, said=said)


@router.get("/orders/{key:path}/cancel")
def cancel_confirm(
    request: Request,
    key: str,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
) -> Response:
    return _confirm(request, viewer, state, key, "cancel")


@router.get("/orders/{key:path}/intercept")
def intercept_confirm(
    request: Request,
    key: str,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
) -> Response:
    return _confirm(request, viewer, state, key, "intercept")


def _confirm(request: Request, viewer: Viewer, state: HubState, key: str, verb: str) -> Response:
    try:
        order_key = _key(key)
        with state.session_factory() as session:
            preview = actions.stop_preview(session, order_key)
    except (InvalidInput, NotFound) as exc:
        return _missing(request, viewer, state, str(exc))
    says = preview.says("cancelled" if verb == "cancel" else "stopped")
    context = {"key": str(order_key), "verb": verb, "preview": preview, "says": says}
    return render(request, viewer, state, "order_confirm.html", context)


@router.get("/orders/{key:path}")
def order_page(
    request: Request,
    key: str,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
) -> Response:
    try:
        order_key = _key(key)
    except InvalidInput as exc:
        return _missing(request, viewer, state, str(exc))
    return _order_page(request, viewer, state, order_key)


@router.post("/orders/{key:path}/approve")
def approve(
    request: Request,
    key: str,
    viewer: Viewer = Depends(acting(Action.ORDERS)),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    settings = actions.pipeline_settings(config.rulebook)
    return _act(
        request,
        viewer,
        state,
        key,
        lambda s, k: actions.approve_order(
            s, k, settings=settings, now=state.now(), actor=viewer.name
        ),
    )


@router.post("/orders/{key:path}/release")
def release(
    request: Request,
    key: str,
    viewer: Viewer = Depends(acting(Action.ORDERS)),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    settings = actions.pipeline_settings(config.rulebook)
    return _act(
        request,
        viewer,
        state,
        key,
        lambda s, k: actions.release_order(
            s, k, settings=settings, now=state.now(), actor=viewer.name
        ),
    )


@router.post("/orders/{key:path}/hold")
def hold(
    request: Request,
    key: str,
    reason: str = Form(""),
    viewer: Viewer = Depends(acting(Action.ORDERS)),
    state: HubState = Depends(hub_state),
) -> Response:
    return _act(
        request,
        viewer,
        state,
        key,
        lambda s, k: actions.hold_order(s, k, reason=reason, now=state.now(), actor=viewer.name),
    )


@router.post("/orders/{key:path}/cancel")
def cancel(
    request: Request,
    key: str,
    reason: str = Form(""),
    viewer: Viewer = Depends(acting(Action.ORDERS)),
    state: HubState = Depends(hub_state),
) -> Response:
    return _act(
        request,
        viewer,
        state,
        key,
        lambda s, k: actions.cancel_order(s, k, reason=reason, now=state.now(), actor=viewer.name),
    )


@router.post("/orders/{key:path}/intercept")
def intercept(
    request: Request,
    key: str,
    reason: str = Form(""),
    then: str = Form(HubStatus.ON_HOLD.value),
    viewer: Viewer = Depends(acting(Action.ORDERS)),
    state: HubState = Depends(hub_state),
) -> Response:
    def work(session: Session, order: OrderKey) -> str:
        try:
            target = HubStatus(then)
        except ValueError:
            raise InvalidInput.field("then", then, "must be on_hold or cancelled") from None
        return actions.intercept_order(
            session, order, reason=reason, then=target, now=state.now(), actor=viewer.name
        )

    return _act(request, viewer, state, key, work)


@router.post("/orders/{key:path}/split")
def split(
    request: Request,
    key: str,
    parts: str = Form(""),
    viewer: Viewer = Depends(acting(Action.ORDERS)),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    settings = actions.pipeline_settings(config.rulebook)

    def work(session: Session, order: OrderKey) -> str:
        assignment = [actions.parse_part(line) for line in parts.splitlines() if line.strip()]
        return actions.split_order(
            session, order, assignment, settings=settings, now=state.now(), actor=viewer.name
        )

    return _act(request, viewer, state, key, work)


@router.post("/orders/{key:path}/merge")
def merge(
    request: Request,
    key: str,
    others: str = Form(""),
    viewer: Viewer = Depends(acting(Action.ORDERS)),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    def work(session: Session, order: OrderKey) -> str:
        more = [_key(text.strip()) for text in others.replace(",", " ").split() if text.strip()]
        if not more:
            raise InvalidInput.field("merge with", others, "names no other order")
        return actions.merge_orders(
            session, [order, *more], rules=config.rulebook, now=state.now(), actor=viewer.name
        )

    return _act(request, viewer, state, key, work)


@router.post("/orders/{key:path}/unmerge")
def unmerge(
    request: Request,
    key: str,
    viewer: Viewer = Depends(acting(Action.ORDERS)),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    settings = actions.pipeline_settings(config.rulebook)
    return _act(
        request,
        viewer,
        state,
        key,
        lambda s, k: actions.unmerge(s, k, settings=settings, now=state.now(), actor=viewer.name),
    )
