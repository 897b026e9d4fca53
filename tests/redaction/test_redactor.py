"""The by-value redactor: every encoding of a secret, cut ends, short values, scopes."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from pydantic import SecretStr
from pydantic_core import to_json

from channelhub.core.redaction import (
    MIN_SECRET_LENGTH,
    REDACTED,
    SecretRedactor,
    active_redactor,
    any_of,
    child_redactor,
    redact_active,
    redacting,
)

SECRET = "Tk/9+ab=Zq_Long-Secret~42"


def _redactor(*values: str) -> SecretRedactor:
    redactor = SecretRedactor("acct")
    redactor.add(*values)
    return redactor


@pytest.mark.parametrize(
    "form",
    [
        SECRET,
        quote(SECRET, safe=""),
        quote(SECRET),
        quote_plus(SECRET),
        re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), quote(SECRET, safe="")),
        json.dumps(SECRET)[1:-1],
        json.dumps(SECRET).replace("/", "\\/")[1:-1],
        base64.b64encode(SECRET.encode()).decode(),
        base64.b64encode(SECRET.encode()).decode().rstrip("="),
        base64.urlsafe_b64encode(SECRET.encode()).decode(),
        base64.urlsafe_b64encode(SECRET.encode()).decode().rstrip("="),
    ],
)
def test_every_encoding_of_a_secret_is_removed(form: str) -> None:
    text = f"the platform said: invalid token {form} (request 17)"
    clean = _redactor(SECRET).redact(text)
    assert form not in clean
    assert clean.startswith("the platform said: invalid token ")
    assert clean.endswith(" (request 17)")


@pytest.mark.parametrize("prefix", ["", "a", "ab", "client-id-123:"])
def test_a_secret_inside_a_longer_base64_stream_is_removed_at_any_alignment(prefix: str) -> None:
    # Basic base64(client_id:client_secret): the secret starts at any byte offset
    blob = base64.b64encode(f"{prefix}{SECRET}".encode()).decode()
    clean = _redactor(SECRET).redact(f"Authorization: Basic {blob}")
    assert REDACTED in clean
    decoded_rest = clean.replace(REDACTED, "")
    assert SECRET[2:-2] not in decoded_rest
    # what is left is at most the few characters mixing the secret's bits with its neighbours
    assert len(decoded_rest) < len("Authorization: Basic ") + len(prefix) * 2 + 8


def test_a_secret_cut_by_truncation_is_removed_at_either_end() -> None:
    redactor = _redactor(SECRET)
    assert redactor.redact("error body: " + SECRET[:9]) == "error body: " + REDACTED
    assert redactor.redact(SECRET[-7:] + " and more") == REDACTED + " and more"
    # a fragment shorter than six characters is ordinary text
    assert redactor.redact("x " + SECRET[:4]) == "x " + SECRET[:4]


def test_short_values_are_not_matched_by_value() -> None:
    short = "1234567"
    assert len(short) < MIN_SECRET_LENGTH
    redactor = _redactor(short)
    assert not redactor
    assert redactor.redact("order 1234567 qty 1234567") == "order 1234567 qty 1234567"


def test_bytes_and_json_values_are_redacted_keys_included() -> None:
    redactor = _redactor(SECRET)
    assert SECRET.encode() not in redactor.redact_bytes(b"raw " + SECRET.encode() + b" raw")
    value = {"ok": 1, SECRET: [f"x{SECRET}x", {"deep": quote_plus(SECRET)}], "n": None}
    assert SECRET not in json.dumps(redactor.redact_value(value))
    assert redactor.redact_value(value)["ok"] == 1


def test_secret_str_values_are_learned_and_never_printed_by_repr() -> None:
    redactor = SecretRedactor("acct")
    redactor.add(SecretStr(SECRET), None, "")
    assert len(redactor) == 1
    assert SECRET not in repr(redactor)
    assert redactor.leaks(f"x{SECRET}") != []


def test_a_child_teaches_its_parent_and_not_the_other_way_round() -> None:
    run = SecretRedactor("run")
    with redacting(run):
        connector = child_redactor("acct", [SECRET])
        connector.add("runtime-token-0123456789")
    assert run.redact(SECRET) == REDACTED
    assert run.redact("runtime-token-0123456789") == REDACTED
    run.add("only-the-run-knows-this")
    assert connector.redact("only-the-run-knows-this") == "only-the-run-knows-this"


@pytest.mark.anyio
async def test_concurrent_runs_see_only_their_own_redactor() -> None:
    seen: dict[str, str] = {}

    async def run(name: str, secret: str, other: str) -> None:
        with redacting(child_redactor(name, [secret])):
            await asyncio.sleep(0)
            seen[name] = redact_active(f"{secret} {other}")

    await asyncio.gather(
        run("a", "secret-of-account-a", "secret-of-account-b"),
        run("b", "secret-of-account-b", "secret-of-account-a"),
    )
    assert seen == {"a": f"{REDACTED} secret-of-account-b", "b": f"{REDACTED} secret-of-account-a"}
    assert active_redactor() is None


def test_log_records_of_any_logger_are_redacted_while_a_redactor_is_active(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # the hub's logging setup quiets httpx
    with redacting(_redactor(SECRET)):
        logging.getLogger("channelhub.anything").info("token %s refused", SECRET)
        logging.getLogger("httpx").debug("GET /x?t=%s", quote_plus(SECRET))
        try:
            raise ValueError(f"bad {SECRET}")
        except ValueError:
            logging.getLogger("channelhub.jobs").exception("failed")
    logging.getLogger("channelhub.anything").info("outside %s", "a scope")
    assert SECRET not in caplog.text
    assert quote_plus(SECRET) not in caplog.text
    assert caplog.text.count(REDACTED) == 3
    assert "outside a scope" in caplog.text


#: a secret with characters JSON escapes, and pieces of it (whole, encoded, cut at either end)
_ODD_SECRET = 'Tk"9\\ab=Zq_Long\tSecret~42'
_PIECES = st.sampled_from(
    [
        SECRET, SECRET[:7], SECRET[-7:], quote_plus(SECRET), json.dumps(SECRET)[1:-1],
        base64.b64encode(SECRET.encode()).decode(), _ODD_SECRET, _ODD_SECRET[:9],
        _ODD_SECRET[-9:], "plain", '"', "\\", "\n", "ü", ":", ",",
    ]
)  # fmt: skip
_STRINGS = st.lists(_PIECES | st.text(max_size=5), max_size=4).map("".join)
_DOCUMENTS = st.recursive(
    st.none() | st.integers() | _STRINGS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_STRINGS, inner, max_size=3),
    max_leaves=8,
)


@given(_DOCUMENTS)
def test_a_json_text_said_untouchable_is_left_alone_string_by_string_and_as_text(
    document: Any,
) -> None:
    """``may_change_json`` False: neither redaction (each string, keys too; or the text)
    changes anything, whatever cut or escaped piece of a secret the document holds."""
    redactor = _redactor(SECRET, _ODD_SECRET)
    text = to_json(document).decode()  # pydantic's writer, as an order's document text
    if not redactor.may_change_json(text):
        assert redactor.redact_value(document) == document
        assert redactor.redact(text) == text
    event(f"may change: {redactor.may_change_json(text)}")


def test_a_json_text_without_secrets_is_untouchable_and_one_with_a_piece_is_not() -> None:
    redactor = _redactor(SECRET)
    assert not redactor.may_change_json('{"remarks":"nothing secret","n":1}')
    assert redactor.may_change_json(to_json({"remarks": f"cut {SECRET[:7]}"}).decode())
    assert not SecretRedactor("acct").may_change_json(to_json({"x": SECRET}).decode())


def _masked_the_long_way(redactor: SecretRedactor, text: str) -> str:
    """``redact`` without its first scan: every needle replaced, then every cut position
    tried (what ``redact`` did for every string before the scan)."""
    for needle in redactor._needles:
        text = text.replace(needle, REDACTED)
    return redactor._fragments(text)


@given(_STRINGS)
def test_redact_answers_as_the_long_way_whatever_piece_of_a_secret_a_text_holds(
    text: str,
) -> None:
    """The scan for needles' ends that lets ``redact`` return a text at once never skips a
    text the masking would change: whole secrets, encodings, cut ends, escapes."""
    redactor = _redactor(SECRET, _ODD_SECRET)
    assert redactor.redact(text) == _masked_the_long_way(redactor, text)
    event(f"changed: {redactor.redact(text) != text}")


@given(st.lists(_STRINGS, max_size=6))
def test_may_change_any_is_true_whenever_redact_would_change_one_of_the_texts(
    texts: list[str],
) -> None:
    redactor = _redactor(SECRET, _ODD_SECRET)
    if any(redactor.redact(t) != t for t in texts):
        assert redactor.may_change_any(texts)
    assert not SecretRedactor("acct").may_change_any(texts)


def test_may_change_any_says_no_for_a_secret_s_end_inside_a_text() -> None:
    """A secret's first or last characters inside a text (not at its end or start, not the
    whole secret) are no cut end: ``redact`` leaves the text alone, and the batch check
    says so instead of sending every value down the per-value path."""
    redactor = _redactor(SECRET)
    inside = [f"ref {SECRET[:7]} and more", f"x {SECRET[-7:]} y", "plain"]
    assert [redactor.redact(t) for t in inside] == inside
    assert not redactor.may_change_any(inside)
    assert redactor.may_change_any([*inside, f"cut at the end {SECRET[:7]}"])
    assert redactor.may_change_any([f"{SECRET[-7:]} cut at the start", "plain"])
    assert redactor.may_change_any(["plain", f"whole {quote_plus(SECRET)} inside"])


def test_statement_parameters_without_secrets_go_unchanged_a_cut_end_is_masked() -> None:
    """The engine hook's batch check (``channelhub.store.redaction``): one scan of every
    string of an executemany's parameter sets; a secret's cut end in one of them still sends
    every value through the redactor."""
    from channelhub.store.redaction import redacted

    rows = [("ORD-1", 3, None, "Ann Lee"), ("ORD-2", 1, 2.5, "Main St")]
    with redacting(_redactor(SECRET)):
        assert redacted(rows) is rows
        named = {"reason": "out of stock", "qty": 2}
        assert redacted(named) is named
        leaked = [*rows, ("ORD-3", 1, None, f"token {SECRET[:9]}")]
        cleaned = redacted(leaked)
        assert cleaned[:2] == rows
        assert cleaned[2] == ("ORD-3", 1, None, f"token {REDACTED}")
        with_bytes = [("ORD-4", SECRET.encode())]  # not a plain string: the per-value path
        assert redacted(with_bytes) == [("ORD-4", REDACTED.encode())]


def test_copy_rows_with_documents_go_unchanged_only_when_nothing_in_them_is_secret() -> None:
    """COPY's rows on PostgreSQL carry JSON wrappers beside plain values: rows with no secret
    anywhere come back as they are (one batch check), and a secret in one row's document or
    string is masked in that row alone."""
    from psycopg.types.json import Jsonb

    from channelhub.store.redaction import redacted

    clean = [("ORD-1", 2, Jsonb({"note": "gift"})), ("ORD-2", 1, Jsonb({}))]
    with redacting(_redactor(SECRET)):
        assert redacted(clean) is clean
        leaked = [*clean, ("ORD-3", 1, Jsonb({"note": f"echo {SECRET}"}))]
        cleaned = redacted(leaked)
        assert cleaned[:2] == clean
        assert cleaned[2][2].obj == {"note": f"echo {REDACTED}"}
        named = [("ORD-4", 1, Jsonb({"k": 1})), (f"cut {SECRET[:8]}", 1, Jsonb({"k": 2}))]
        cleaned = redacted(named)
        assert cleaned[0] == named[0] and cleaned[1][0] == f"cut {REDACTED}"


def test_a_read_s_array_filter_keeps_the_statement_on_the_batch_check() -> None:
    """PostgreSQL's ``= ANY(:ids)`` filters arrive as lists, which the hook sends as they are:
    the statement's other values are still checked together, and a secret among them masked."""
    from channelhub.store.redaction import redacted

    clean = {"ids": [3, 1, 2], "codes": ["MUG", "LID"], "reason": "locked"}
    with redacting(_redactor(SECRET)):
        assert redacted(clean) is clean
        leaked = {**clean, "reason": f"echo {SECRET}"}
        assert redacted(leaked) == {**clean, "reason": f"echo {REDACTED}"}


@given(_DOCUMENTS)
def test_a_json_wrapper_s_document_is_sent_as_it_is_only_when_walking_it_changes_nothing(
    document: Any,
) -> None:
    """PostgreSQL's JSON parameters (psycopg's ``Jsonb``) are scanned as one text: a wrapper
    comes back unchanged only when redacting its document string by string would too."""
    from psycopg.types.json import Jsonb

    from channelhub.store.redaction import redacted

    wrapper = Jsonb(document)
    with redacting(_redactor(SECRET, _ODD_SECRET, "äöü-Schlüssel-ßüö")):
        (sent,) = redacted((wrapper,))
        if sent is wrapper:
            assert active_redactor().redact_value(document) == document  # type: ignore[union-attr]
        else:
            assert sent.obj == active_redactor().redact_value(document)  # type: ignore[union-attr]


def test_a_secret_with_non_ascii_characters_in_a_json_wrapper_is_masked() -> None:
    from psycopg.types.json import Jsonb

    from channelhub.store.redaction import redacted

    secret = "äöü-Schlüssel-ßüö"
    with redacting(_redactor(secret)):
        (sent,) = redacted((Jsonb({"note": f"key {secret}", "tail": secret[:8]}),))
    assert sent.obj == {"note": f"key {REDACTED}", "tail": REDACTED}


_TEXTS = st.text(alphabet="ab=%_\\.(?<", min_size=1, max_size=6)


@given(st.lists(_TEXTS, min_size=1, max_size=6), st.text(alphabet="ab=%_\\.(?<xyz", max_size=40))
def test_any_of_finds_a_text_exactly_where_one_of_them_occurs(texts: list[str], text: str) -> None:
    """The pattern anchored at each text's rarest character finds what ``a|b|c`` finds."""
    found = any_of(texts).search(text) is not None
    assert found == any(t in text for t in texts)
    assert found == (re.search("|".join(map(re.escape, texts)), text) is not None)


def test_any_of_finds_each_of_a_redactors_ends_at_either_end_of_a_text() -> None:
    redactor = _redactor(SECRET, _ODD_SECRET)
    ends = {e for n in redactor._needles for e in (n[:6], n[-6:])}
    pattern = any_of(ends)
    for end in ends:
        for text in (end, f"x{end}", f"{end}y", f'{{"a":"{end}"}}'):
            assert pattern.search(text) is not None, (end, text)
    assert pattern.search('{"remarks":"nothing secret","n":1}') is None


@given(st.lists(st.tuples(_STRINGS, st.integers(), st.none() | _STRINGS), max_size=6))
def test_rows_are_checked_together_and_cleaned_as_each_would_be(rows: list[Any]) -> None:
    """Executemany's and COPY's rows (tuples) are checked as one run of values, repeated
    strings once: sent as they are when that check finds nothing; else each row is cleaned
    as it would be alone (and a row alone, a tuple, the same way)."""
    from channelhub.store.redaction import redacted

    with redacting(_redactor(SECRET, _ODD_SECRET)) as redactor:
        expected = [tuple(redact_active(v) if isinstance(v, str) else v for v in r) for r in rows]
        sent = redacted(rows)
        assert sent == expected
        if not redactor.may_change_any({v for r in rows for v in r if isinstance(v, str)}):
            assert sent is rows  # the one check of them all: sent as they are
        for row, cleaned in zip(rows, expected, strict=True):
            assert redacted(row) == cleaned
