"""What an account needs to talk to a simulator, declared next to the simulator's defaults.

Each platform simulator module exports ``SIMULATOR_INFO``: the hub platform, a default account
name, and the credentials and settings (names exactly as the connector reads them, values the
simulator accepts). ``channelhub simulate`` prints :meth:`SimulatorInfo.account_line`, so a
newcomer never has to read a simulator's source to point an account at it.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from channelhub.core.errors import InvalidInput


@dataclass(frozen=True)
class SimulatorInfo:
    """One simulator's account facts. Setting values may hold ``{base_url}`` (the simulator's
    own address, e.g. Amazon's LWA token URL)."""

    platform: str  # the hub platform of the account (``accounts add PLATFORM``)
    account: str  # default account name, e.g. ``my-amazon``
    credentials: Mapping[str, str]
    settings: Mapping[str, str] = field(default_factory=dict)
    #: where on the hub the simulator POSTs its signed callbacks (``--hub-url`` + this path,
    #: ``{account}`` filled in); None: it calls nobody back
    callback_path: str | None = None
    #: factory options when served for a person rather than a test (e.g. the wall clock
    #: instead of a manual one, so orders move on and signatures are fresh)
    served: Mapping[str, Any] = field(default_factory=dict)

    def settings_for(self, base_url: str) -> dict[str, str]:
        """The settings with the simulator's address filled in."""
        return {key: value.format(base_url=base_url) for key, value in self.settings.items()}

    def callback_url(self, hub_url: str, account: str | None = None) -> str:
        """The hub route this simulator calls back for ``account`` (``hub_url``: the hub's
        base URL, e.g. ``http://127.0.0.1:8080``)."""
        if self.callback_path is None:
            raise InvalidInput.field(
                "--hub-url",
                hub_url,
                f"is not used: the {self.platform} simulator sends no callbacks",
            )
        parts = urlsplit(hub_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInput.field("--hub-url", hub_url, "is not an http(s) URL with a host")
        path = self.callback_path.format(account=account or self.account)
        return hub_url.rstrip("/") + path

    def account_args(self, base_url: str, account: str | None = None) -> list[str]:
        """``accounts add`` and its arguments, one list item per shell word."""
        args = ["accounts", "add", self.platform, account or self.account, "--base-url", base_url]
        for key, value in sorted(self.credentials.items()):
            args += ["-c", f"{key}={value}"]
        for key, value in sorted(self.settings_for(base_url).items()):
            args += ["-s", f"{key}={value}"]
        return args

    def account_line(self, base_url: str, account: str | None = None) -> str:
        """The shell line that adds an account working against the simulator at ``base_url``."""
        return shlex.join(["channelhub", *self.account_args(base_url, account)])
