"""Pairing queue: the unpaired listings with their scored candidates (one-click bind), a bind
form for any SKU, combo or kit x n, each listing's binding history and the orders waiting on
it, unbind. Everything goes through :mod:`channelhub.jobs.orders.pairing_queue`, which
``channelhub pairing list|bind|unbind`` call too; binding re-plans the waiting orders at once.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from channelhub.api.console.auth import acting, console_config
from channelhub.api.console.config import ConsoleConfig
from channelhub.api.console.pages import (
    PAGE_SIZE,
    HubState,
    Viewer,
    hub_state,
    offset,
    page_viewer,
    paged,
    render,
)
from channelhub.core.bindings import ListingRef, PairingConflict, Scope
from channelhub.core.errors import ChannelhubError, InvalidInput
from channelhub.core.roles import Action
from channelhub.core.sku_index import SkuIndex
from channelhub.jobs.orders import pairing_queue as pairing
from channelhub.jobs.orders.actions import pipeline_settings
from channelhub.store.repos.catalog import load_sku_marks
from channelhub.store.repos.pairings import load_book

router = APIRouter()


def _queue_context(request: Request, state: HubState, config: ConsoleConfig) -> dict[str, Any]:
    start = offset(request)
    with state.session_factory() as session:
        entries = pairing.unpaired_listings(session)
        shown = entries[start : start + PAGE_SIZE + 1]
        # candidates are scored for the page shown only, against the SKUs' marks
        marks = load_sku_marks(session) if shown else SkuIndex(())
        queue = pairing.with_candidates(session, shown, marks, config.rulebook.pairing)
        skus = pairing.sku_choices(session)
    return {
        "queue": paged(queue, request),
        "total": len(entries),
        "skus": skus,
        "scopes": [s.value for s in Scope],
    }


@router.get("/pairing")
def pairing_page(
    request: Request,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    context = _queue_context(request, state, config)
    return render(request, viewer, state, "pairing.html", context)


def _listing_page(
    request: Request,
    viewer: Viewer,
    state: HubState,
    ref: ListingRef,
    *,
    said: str | None = None,
    error: str | None = None,
) -> Response:
    with state.session_factory() as session:
        try:
            bound = load_book(session, [ref]).resolve(ref)
            conflict = None
        except PairingConflict as exc:
            bound, conflict = None, str(exc)
        context = {
            "ref": ref,
            "text": pairing.listing_text(ref),
            "bound": bound,
            "conflict": conflict,
            "history": pairing.listing_history(session, ref),
            "waiting": pairing.waiting_orders(session, ref),
            "skus": pairing.sku_choices(session),
            "scopes": [s.value for s in Scope],
            "said": said,
            "error": error,
        }
    return render(request, viewer, state, "pairing_listing.html", context)


@router.get("/pairing/listing")
def listing_page(
    request: Request,
    listing: str = "",
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
) -> Response:
    try:
        ref = pairing.parse_listing(listing)
    except InvalidInput as exc:
        return render(
            request, viewer, state, "order_missing.html", {"said": str(exc)}, status_code=404
        )
    return _listing_page(request, viewer, state, ref)


def _scope(text: str) -> Scope:
    try:
        return Scope(text)
    except ValueError:
        raise InvalidInput.field("scope", text, "is not account, channel or global") from None


@router.post("/pairing/bind")
def bind(
    request: Request,
    listing: str = Form(""),
    sku: str = Form(""),
    multiplier: int = Form(1),
    scope: str = Form(Scope.ACCOUNT.value),
    viewer: Viewer = Depends(acting(Action.PAIRING)),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    """Bind, re-plan the waiting orders, and show the listing with where each order went."""
    try:
        ref = pairing.parse_listing(listing)
    except InvalidInput as exc:
        return render(
            request, viewer, state, "order_missing.html", {"said": str(exc)}, status_code=404
        )
    try:
        with state.session_factory.begin() as session:
            stored, planned = pairing.bind_listing(
                session,
                ref,
                sku.strip(),
                multiplier=multiplier,
                scope=_scope(scope),
                settings=pipeline_settings(config.rulebook),
                now=state.now(),
                actor=viewer.name,
            )
    except ChannelhubError as exc:  # unknown SKU or listing, bad multiplier: say so
        return _listing_page(request, viewer, state, ref, error=str(exc))
    moved = "; ".join(f"{key} is now {plan.status.value}" for key, plan in planned)
    said = f"bound {stored.describe()}" + (f"; re-planned: {moved}" if moved else "")
    return _listing_page(request, viewer, state, ref, said=said)


@router.post("/pairing/unbind")
def unbind(
    request: Request,
    listing: str = Form(""),
    scope: str = Form(Scope.ACCOUNT.value),
    viewer: Viewer = Depends(acting(Action.PAIRING)),
    state: HubState = Depends(hub_state),
) -> Response:
    try:
        ref = pairing.parse_listing(listing)
    except InvalidInput as exc:
        return render(
            request, viewer, state, "order_missing.html", {"said": str(exc)}, status_code=404
        )
    try:
        with state.session_factory.begin() as session:
            retired = pairing.unbind_listing(session, ref, scope=_scope(scope), now=state.now())
    except ChannelhubError as exc:
        return _listing_page(request, viewer, state, ref, error=str(exc))
    return _listing_page(request, viewer, state, ref, said=f"unbound {retired.describe()}")
