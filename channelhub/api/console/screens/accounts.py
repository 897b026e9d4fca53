"""Accounts (owner): every account with its settings, the names of its stored credentials and
its job switches; add one through the form its platform declares (connectors/spec.py), edit
it, switch its jobs (stock sync is the ``push_stock`` job) on and off, and check it with the
platform's real, read-only call. All through :mod:`channelhub.jobs.accounts.desk`, which
``channelhub accounts add|edit|check`` call.

Secrets are never shown back: a stored credential shows as "set", its field is always empty
and only replaces the value when something is typed into it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import SecretStr
from starlette.datastructures import FormData

from channelhub.api.console.auth import acting, console_config
from channelhub.api.console.config import ConsoleConfig
from channelhub.api.console.pages import HubState, Viewer, hub_state, page_viewer, render
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.core.errors import ChannelhubError
from channelhub.core.roles import Action
from channelhub.jobs.accounts.desk import (
    account_form,
    change_account,
    check_live,
    create_account,
    credential_names,
    plugin_for,
)
from channelhub.jobs.accounts.setup import AccountEdit, job_switches
from channelhub.jobs.engine.kinds import JOBS_SETTING
from channelhub.store.crypto import Vault
from channelhub.store.repos.accounts import AccountInfo, get_account, list_accounts

router = APIRouter()
SETTING, CREDENTIAL = "setting__", "credential__"


def _vault(config: ConsoleConfig) -> Vault:
    if config.vault is None:
        raise ChannelhubError("this console was started without the credentials vault")
    return config.vault


def _shown(value: object) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}:{v}" for k, v in value.items())
    return "" if value is None else str(value)


def _jobs(info: AccountInfo) -> tuple[list[str], list[str]] | None:
    try:
        return job_switches(plugin_for(info.platform), info.settings)
    except ChannelhubError:
        return None  # the platform's connector is not installed


def _row(info: AccountInfo, credentials: list[str]) -> dict[str, Any]:
    settings = {k: _shown(v) for k, v in sorted(info.settings.items()) if k != JOBS_SETTING}
    return {"info": info, "settings": settings, "credentials": credentials, "jobs": _jobs(info)}


def _list_context(state: HubState, config: ConsoleConfig) -> dict[str, Any]:
    with state.session_factory() as session:
        infos = list_accounts(session)
        names = {
            i.name: credential_names(session, config.vault, i.name) if config.vault else []
            for i in infos
        }
    return {
        "accounts": [_row(i, names[i.name]) for i in infos],
        "platforms": ConnectorRegistry().names(),
    }


@router.get("/accounts")
def accounts_page(
    request: Request,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    return render(request, viewer, state, "accounts.html", _list_context(state, config))


def _form_context(platform: str, values: dict[str, str], error: str | None) -> dict[str, Any]:
    try:
        form = account_form(plugin_for(platform))
    except ChannelhubError as exc:
        return {"platform": platform, "form": None, "values": values, "error": str(exc)}
    return {"platform": platform, "form": form, "values": values, "error": error}


@router.get("/accounts/new")
def new_account_page(
    request: Request,
    platform: str = "",
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
) -> Response:
    context = _form_context(platform, {}, None)
    return render(request, viewer, state, "account_new.html", context)


def _filled(form: FormData, prefix: str) -> dict[str, str]:
    """The form's non-empty fields named ``prefix + NAME``, as NAME -> text."""
    return {
        key[len(prefix) :]: value.strip()
        for key, value in form.multi_items()
        if key.startswith(prefix) and isinstance(value, str) and value.strip()
    }


def _secrets(form: FormData) -> dict[str, SecretStr]:
    return {
        key[len(CREDENTIAL) :]: SecretStr(value)
        for key, value in form.multi_items()
        if key.startswith(CREDENTIAL) and isinstance(value, str) and value
    }


@router.post("/accounts")
async def add(
    request: Request,
    viewer: Viewer = Depends(acting(Action.ACCOUNTS)),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    """``channelhub accounts add PLATFORM NAME [--base-url] [-c NAME=VALUE] [-s KEY=VALUE]``."""
    form = await request.form()
    platform = str(form.get("platform", "")).strip()
    name = str(form.get("name", "")).strip()
    base_url = str(form.get("base_url", "")).strip() or None
    settings = _filled(form, SETTING)
    try:
        with state.session_factory.begin() as session:
            create_account(
                session,
                _vault(config),
                platform=platform,
                name=name,
                base_url=base_url,
                settings=settings,
                credentials=_secrets(form),
                now=state.now(),
            )
    except ChannelhubError as exc:  # the form again, with what was typed (never a secret)
        values = {"name": name, "base_url": base_url or "", **settings}
        context = _form_context(platform, values, str(exc))
        return render(request, viewer, state, "account_new.html", context, status_code=422)
    return RedirectResponse(f"/accounts/{name}?added=1", status_code=303)


def _detail_context(
    state: HubState, config: ConsoleConfig, name: str, **extra: Any
) -> dict[str, Any] | None:
    with state.session_factory() as session:
        try:
            info = AccountInfo.of(get_account(session, name))
        except ChannelhubError:
            return None
        stored = credential_names(session, config.vault, name) if config.vault else []
    try:
        form = account_form(plugin_for(info.platform))
    except ChannelhubError:
        form = None
    return {"row": _row(info, stored), "form": form, "name": name, **extra}


@router.get("/accounts/{name}")
def account_page(
    request: Request,
    name: str,
    added: str | None = None,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    said = f"added account {name}: check it to make a live, read-only call" if added else None
    context = _detail_context(state, config, name, said=said)
    if context is None:
        missing = {"name": name, "missing": f"account {name!r} does not exist"}
        return render(request, viewer, state, "account.html", missing, status_code=404)
    return render(request, viewer, state, "account.html", context)


async def _edit(
    request: Request,
    viewer: Viewer,
    state: HubState,
    config: ConsoleConfig,
    name: str,
    edit: AccountEdit,
) -> Response:
    try:
        with state.session_factory.begin() as session:
            edited, _ = change_account(session, _vault(config), name, edit, now=state.now())
        said = "updated: " + "; ".join(edited.changes)
    except ChannelhubError as exc:
        said = str(exc)
    context = _detail_context(state, config, name, said=said)
    if context is None:
        return Response(said, status_code=404)
    return render(request, viewer, state, "account.html", context, block="detail")


@router.post("/accounts/{name}")
async def edit(
    request: Request,
    name: str,
    viewer: Viewer = Depends(acting(Action.ACCOUNTS)),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    """``channelhub accounts edit NAME``: a changed setting is set, an emptied one removed, a
    typed credential replaces the stored one (an empty credential field keeps it)."""
    form = await request.form()
    with state.session_factory() as session:
        try:
            current = AccountInfo.of(get_account(session, name))
        except ChannelhubError as exc:
            return Response(str(exc), status_code=404)
    typed = _filled(form, SETTING)
    shown = {k: _shown(v) for k, v in current.settings.items() if k != JOBS_SETTING}
    posted = {key[len(SETTING) :] for key in form if key.startswith(SETTING)}
    base_url = str(form.get("base_url", "")).strip()
    edit = AccountEdit(
        base_url=base_url if base_url and base_url != (current.base_url or "") else None,
        set_settings={k: v for k, v in typed.items() if shown.get(k, "").lower() != v.lower()},
        unset=[k for k in posted if k in shown and k not in typed],
        set_credentials=_secrets(form),
    )
    return await _edit(request, viewer, state, config, name, edit)


@router.post("/accounts/{name}/jobs/{job}/{switch}")
async def switch_job(
    request: Request,
    name: str,
    job: str,
    switch: str,
    viewer: Viewer = Depends(acting(Action.ACCOUNTS)),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    """``channelhub accounts edit NAME --enable JOB`` / ``--disable JOB``."""
    on = switch == "on"
    edit = AccountEdit(enable=[job] if on else [], disable=[] if on else [job])
    return await _edit(request, viewer, state, config, name, edit)


@router.post("/accounts/{name}/check")
async def check(
    request: Request,
    name: str,
    viewer: Viewer = Depends(acting(Action.ACCOUNTS)),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    """``channelhub accounts check NAME``: the platform's real, read-only call."""
    try:
        with state.session_factory.begin() as session:  # keeps what the check saw of the token
            lines = [
                (line.ok, line.text) for line in await check_live(session, _vault(config), name)
            ]
    except ChannelhubError as exc:
        lines = [(False, str(exc))]
    context = {"name": name, "lines": lines, "works": all(ok for ok, _ in lines)}
    return render(request, viewer, state, "account.html", context, block="check")
