"""``channelhub users``: add with a password from stdin, list, passwd, remove; errors are one
line."""

from __future__ import annotations

import io
import sys

from channelhub.cli.home import open_session
from channelhub.settings import load_settings
from channelhub.store.repos.console_users import authenticate
from tests.cli.test_home_accounts import Hub, hub  # noqa: F401


def _stdin(hub: Hub, text: str) -> None:  # noqa: F811
    hub.mp.setattr(sys, "stdin", io.StringIO(text))


def test_users_add_list_passwd_remove(hub: Hub) -> None:  # noqa: F811
    assert hub("init")[0] == 0
    _stdin(hub, "a long enough password\n")
    code, out, err = hub("users", "add", "ann", "--role", "operator", "--password-stdin")
    assert (code, err) == (0, "")
    assert "added ann (operator)" in out
    code, out, _ = hub("users", "list")
    assert "ann" in out and "operator" in out and "long enough" not in out
    _stdin(hub, "another good password\n")
    assert hub("users", "passwd", "ann", "--password-stdin")[0] == 0
    with open_session(load_settings(hub.home)) as session:
        assert authenticate(session, "ann", "a long enough password") is None
        assert authenticate(session, "ann", "another good password") is not None
    assert hub("users", "remove", "ann")[0] == 0
    assert "no console users" in hub("users", "list")[1]


def test_users_mistakes_are_one_line(hub: Hub) -> None:  # noqa: F811
    assert hub("init")[0] == 0
    _stdin(hub, "short\n")
    code, _, err = hub("users", "add", "bob", "--password-stdin")
    assert code == 1 and err.count("\n") == 1 and "at least 10 characters" in err
    _stdin(hub, "long enough password\n")
    code, _, err = hub("users", "add", "bob", "--role", "admin", "--password-stdin")
    assert code == 1 and "is not one of owner, operator, viewer" in err
    code, _, err = hub("users", "remove", "nobody")
    assert code == 1 and "does not exist" in err
