"""Pairing: scoped, versioned bindings; scored candidates; conflicts are raised, never guessed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channelhub.core.bindings import Binding, ListingRef, PairingBook, PairingConflict, Scope
from channelhub.core.catalog import Catalog
from channelhub.core.pairing import (
    CandidateSource,
    PairingConfig,
    PairingStatus,
    RegexRule,
    pair,
    suggest,
)
from tests.core.orderflow_data import library, order

CONFIG = PairingConfig(
    strip_prefixes=("FBA-",),
    strip_suffixes=("-NEW",),
    regex_rules=(RegexRule(pattern=r"(.+)-2PK", replacement=r"\1", multiplier=2, score=92),),
)


def ref(sku: str | None = None, **kw: object) -> ListingRef:
    data: dict[str, object] = {"channel": "shopify", "account": "shop1", "channel_sku": sku}
    data.update(kw)
    return ListingRef.model_validate(data)


def bind(scope: Scope, sku: str, target: str, **kw: object) -> Binding:
    data: dict[str, object] = {"scope": scope, "channel_sku": sku, "sku": target}
    if scope is not Scope.GLOBAL:
        data["channel"] = "shopify"
    if scope is Scope.ACCOUNT:
        data["account"] = "shop1"
    data.update(kw)
    return Binding.model_validate(data)


def test_exact_sku_auto_binds_at_account_scope() -> None:
    out = pair(ref("mug"), library(), CONFIG, PairingBook())
    assert out.status is PairingStatus.AUTO_BOUND
    assert out.binding is not None
    assert (out.binding.sku, out.binding.multiplier, out.binding.scope) == ("MUG", 1, Scope.ACCOUNT)
    assert "equals local SKU 'MUG'" in out.reason


def test_case_sensitive_pairing_matches_only_the_written_case() -> None:
    catalog = library()
    strict = CONFIG.model_copy(update={"case_sensitive": True})
    assert pair(ref(" mug "), catalog, strict, PairingBook()).status is PairingStatus.UNPAIRED
    assert pair(ref(" MUG "), catalog, strict, PairingBook()).status is PairingStatus.AUTO_BOUND
    assert pair(ref(" mug "), catalog, CONFIG, PairingBook()).status is PairingStatus.AUTO_BOUND
    # each written form indexed once per catalog, whatever the number of listings paired
    assert catalog.by_written_code(case_sensitive=True) is catalog.by_written_code(
        case_sensitive=True
    )
    assert catalog.by_written_code(case_sensitive=False)["mug"] == "MUG"


def test_prefix_suffix_and_regex_candidates_carry_their_evidence() -> None:
    cat = library()
    (c,) = suggest(ref("FBA-LID-NEW"), cat, CONFIG)
    assert (c.sku, c.source) == ("LID", CandidateSource.STRIPPED_SKU)
    assert "'FBA-'" in c.evidence and "'-NEW'" in c.evidence
    out = pair(ref("MUG-2PK"), cat, CONFIG, PairingBook())
    assert out.binding is not None
    assert (out.binding.sku, out.binding.multiplier) == ("MUG", 2)
    assert "2-pack" in out.reason


def test_barcode_and_asin_identifiers_propose_candidates() -> None:
    cat = library()
    case = suggest(ref(None, listing_id="L-1", identifiers={"gtin": "0024"}), cat, CONFIG)
    assert [(c.sku, c.multiplier, c.source) for c in case] == [
        ("MUG", 24, CandidateSource.IDENTIFIER)
    ]
    asin = suggest(ref(None, listing_id="B0X", identifiers={"asin": "B0SPOON"}), cat, CONFIG)
    assert [c.sku for c in asin] == ["SPOON"]


def test_listing_without_sku_binds_at_listing_level() -> None:
    out = pair(
        ref(None, listing_id="77", identifiers={"ean": "0002"}), library(), CONFIG, PairingBook()
    )
    assert out.binding is not None
    assert (out.binding.listing_id, out.binding.channel_sku, out.binding.sku) == ("77", None, "LID")


def test_below_threshold_waits_unpaired_with_candidates() -> None:
    config = CONFIG.model_copy(update={"auto_bind_threshold": 99})
    out = pair(ref("FBA-LID"), library(), config, PairingBook())
    assert out.status is PairingStatus.UNPAIRED
    assert [c.sku for c in out.candidates] == ["LID"]
    assert "below the auto-bind threshold 99" in out.reason
    nothing = pair(ref("ZZZ"), library(), CONFIG, PairingBook())
    assert nothing.status is PairingStatus.UNPAIRED and not nothing.candidates


def test_two_skus_tied_above_threshold_raise_a_conflict() -> None:
    config = PairingConfig(
        regex_rules=(
            RegexRule(pattern=r"X-(.+)", replacement="MUG", score=95),
            RegexRule(pattern=r"X-(.+)", replacement="LID", score=95),
        )
    )
    with pytest.raises(PairingConflict, match="more than one local SKU") as err:
        pair(ref("X-ID"), library(), config, PairingBook())
    assert len(err.value.options) == 2


def test_account_scope_beats_channel_beats_global() -> None:
    book = PairingBook(
        [
            bind(Scope.GLOBAL, "P1", "BOX"),
            bind(Scope.CHANNEL, "P1", "LID"),
            bind(Scope.ACCOUNT, "P1", "MUG", multiplier=2),
        ]
    )
    cat = library()
    mine = pair(ref("P1"), cat, CONFIG, book)
    assert mine.status is PairingStatus.BOUND and mine.binding is not None
    assert mine.binding.target == ("MUG", 2)
    other_account = pair(ref("P1", account="shop2"), cat, CONFIG, book)
    assert other_account.binding is not None and other_account.binding.sku == "LID"
    other_channel = pair(ref("P1", channel="ebay"), cat, CONFIG, book)
    assert other_channel.binding is not None and other_channel.binding.sku == "BOX"


def test_manual_binding_beats_an_exact_sku_match() -> None:
    book = PairingBook([bind(Scope.ACCOUNT, "MUG", "GIFT")])
    out = pair(ref("MUG"), library(), CONFIG, book)
    assert out.binding is not None and out.binding.sku == "GIFT"


def test_two_skus_for_one_channel_sku_in_one_scope_is_a_conflict() -> None:
    with pytest.raises(PairingConflict, match="sku P1"):
        PairingBook([bind(Scope.ACCOUNT, "P1", "MUG"), bind(Scope.ACCOUNT, "P1", "LID")])


def test_rebind_raises_the_version_and_supersedes() -> None:
    book, first = PairingBook().bind(bind(Scope.ACCOUNT, "P1", "MUG"))
    book, second = book.bind(bind(Scope.ACCOUNT, "P1", "LID"))
    assert (first.version, second.version) == (1, 2)
    assert book.resolve(ref("P1")) == second
    assert len(book) == 1
    assert book.unbind(second).resolve(ref("P1")) is None


def test_listing_level_binding_beats_sku_level_in_the_same_scope() -> None:
    book = PairingBook(
        [
            bind(Scope.ACCOUNT, "P1", "MUG"),
            Binding(
                scope=Scope.ACCOUNT, channel="shopify", account="shop1", listing_id="9", sku="LID"
            ),
        ]
    )
    assert book.resolve(ref("P1", listing_id="9")) is not None
    assert book.resolve(ref("P1", listing_id="9")).sku == "LID"  # type: ignore[union-attr]
    assert book.resolve(ref("P1", listing_id="8")).sku == "MUG"  # type: ignore[union-attr]


def test_binding_shape_is_checked() -> None:
    with pytest.raises(ValueError, match="exactly one of channel_sku or listing_id"):
        Binding(scope=Scope.GLOBAL, sku="MUG")
    with pytest.raises(ValueError, match="needs its account"):
        Binding(scope=Scope.ACCOUNT, channel="shopify", channel_sku="A", sku="MUG")
    with pytest.raises(ValueError, match="not a valid regular expression"):
        RegexRule(pattern="(", replacement="")


def test_binding_to_unknown_sku_leaves_the_listing_unpaired() -> None:
    out = pair(ref("P1"), library(), CONFIG, PairingBook([bind(Scope.ACCOUNT, "P1", "GONE")]))
    assert out.status is PairingStatus.UNPAIRED and "not in the product library" in out.reason


def test_listing_ref_from_an_order_line() -> None:
    o = order()
    r = ListingRef.of_line(o, o.lines[0])
    assert (r.channel, r.account, r.channel_sku) == ("shopify", "shop1", "MUG")


@given(
    targets=st.lists(st.sampled_from(["MUG", "LID", "BOX"]), min_size=2, max_size=5),
    scope=st.sampled_from(list(Scope)),
)
def test_same_version_bindings_either_agree_or_conflict(targets: list[str], scope: Scope) -> None:
    bindings = [bind(scope, "P1", t) for t in targets]
    if len(set(targets)) > 1:
        with pytest.raises(PairingConflict):
            PairingBook(bindings)
    else:
        resolved = PairingBook(bindings).resolve(ref("P1"))
        assert resolved is not None and resolved.sku == targets[0]


def _scan(book: PairingBook, listing: ListingRef) -> tuple[str, object]:
    """What resolving by reading every binding in the book gives (the indexed resolve must
    agree): the chosen binding's target, or the conflict."""
    for scope in (Scope.ACCOUNT, Scope.CHANNEL, Scope.GLOBAL):
        found = [b for b in book if b.scope is scope and _names(b, listing)]
        if found:
            level = [b for b in found if b.listing_id is not None]
            chosen = [b for b in level if b.variation_id is not None] or level or found
            if len({b.target for b in chosen}) > 1:
                return ("conflict", None)
            return ("bound", chosen[0])
    return ("none", None)


def _names(b: Binding, listing: ListingRef) -> bool:
    if b.channel not in (None, listing.channel) or b.account not in (None, listing.account):
        return False
    if b.listing_id is not None:
        return b.listing_id == listing.listing_id and b.variation_id in (
            None,
            listing.variation_id,
        )
    return b.channel_sku == listing.channel_sku


_VALUES = st.sampled_from(["A", "B", "C"])
_OPTIONAL = st.none() | _VALUES


@st.composite
def _bindings(draw: st.DrawFn) -> Binding:
    scope = draw(st.sampled_from(list(Scope)))
    by_listing = scope is not Scope.GLOBAL and draw(st.booleans())
    return Binding(
        scope=scope,
        channel=None if scope is Scope.GLOBAL else draw(st.sampled_from(["shopify", "ebay"])),
        account=draw(_VALUES) if scope is Scope.ACCOUNT else None,
        channel_sku=None if by_listing else draw(_VALUES),
        listing_id=draw(_VALUES) if by_listing else None,
        variation_id=draw(_OPTIONAL) if by_listing else None,
        sku=draw(st.sampled_from(["MUG", "SPOON"])),
        version=draw(st.integers(min_value=1, max_value=3)),
    )


@given(
    st.lists(_bindings(), max_size=12),
    st.sampled_from(["shopify", "ebay"]),
    _VALUES,
    _OPTIONAL,
    _OPTIONAL,
    _OPTIONAL,
)
def test_resolve_reads_only_the_listings_bindings_and_agrees_with_a_full_scan(
    bindings: list[Binding],
    channel: str,
    account: str,
    listing_id: str | None,
    variation_id: str | None,
    channel_sku: str | None,
) -> None:
    try:
        book = PairingBook(bindings)
    except PairingConflict:
        return  # same subject and version, two targets: refused when built (tested above)
    listing = ListingRef(
        channel=channel,
        account=account,
        listing_id=listing_id,
        variation_id=variation_id,
        channel_sku=channel_sku,
    )
    expected = _scan(book, listing)
    try:
        got: tuple[str, object] = ("bound", book.resolve(listing))
    except PairingConflict:
        got = ("conflict", None)
    if got == ("bound", None):
        got = ("none", None)
    assert got == expected
    for binding in book:
        assert binding in book.bound_to(binding.sku)


def _outcome(book: PairingBook, listing: ListingRef) -> tuple[str, object]:
    try:
        return ("bound", book.resolve(listing))
    except PairingConflict as conflict:
        return ("conflict", (str(conflict), conflict.subject, conflict.options))


_LISTINGS = st.builds(
    ListingRef,
    channel=st.sampled_from(["shopify", "ebay"]),
    account=_VALUES,
    listing_id=_OPTIONAL,
    variation_id=_OPTIONAL,
    channel_sku=_OPTIONAL,
)


@given(st.lists(_bindings(), max_size=12), st.lists(_LISTINGS, min_size=1, max_size=12))
def test_a_book_remembers_what_it_resolved_and_answers_as_a_fresh_one(
    bindings: list[Binding], listings: list[ListingRef]
) -> None:
    """Listings told apart by any one field, conflicts included, asked in turn and again."""
    try:
        book = PairingBook(bindings)
    except PairingConflict:
        return
    for listing in [*listings, *listings]:
        assert _outcome(book, listing) == _outcome(PairingBook(book.bindings()), listing)


def test_a_remembered_listing_never_answers_for_another_account() -> None:
    book = PairingBook([bind(Scope.ACCOUNT, "P1", "MUG"), bind(Scope.CHANNEL, "P1", "LID")])
    for _ in range(2):
        mine = book.resolve(ref("P1"))
        theirs = book.resolve(ref("P1", account="shop2"))
        assert mine is not None and mine.sku == "MUG"
        assert theirs is not None and theirs.sku == "LID"


def test_a_remembered_conflict_is_raised_anew_for_every_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """(A conflict the book resolves into, however rare: each caller gets its own error.)"""
    book = PairingBook([bind(Scope.CHANNEL, "P1", "MUG")])
    calls: list[ListingRef] = []

    def conflicted(listing: ListingRef) -> Binding | None:
        calls.append(listing)
        raise PairingConflict(str(listing), ["1 x MUG", "1 x LID"])

    monkeypatch.setattr(book, "_resolve", conflicted)
    raised = []
    for _ in range(2):
        with pytest.raises(PairingConflict) as error:
            book.resolve(ref("P1"))
        raised.append(error.value)
    assert len(calls) == 1 and raised[0] is not raised[1]
    assert [(str(e), e.subject, e.options) for e in raised] == [
        (str(raised[0]), "shopify:shop1 sku P1", ("1 x MUG", "1 x LID"))
    ] * 2


_LINE_FIELDS = st.fixed_dictionaries(
    {
        "channel": st.sampled_from(["shopify", "ebay"]),
        "account": _VALUES,
        "listing_id": _OPTIONAL,
        "variation_id": _OPTIONAL,
        "channel_sku": _OPTIONAL,
    }
)


@given(st.lists(_LINE_FIELDS, min_size=1, max_size=8))
def test_the_listing_of_a_line_is_the_one_built_from_its_fields(
    lines: list[dict[str, str | None]],
) -> None:
    """(One reference is kept per listing: lines told apart by any field get their own.)"""
    for fields in [*lines, *lines]:
        line = {"line_id": "1", "quantity": 1} | {
            k: v for k, v in fields.items() if k not in ("channel", "account")
        }
        o = order(channel=fields["channel"], account=fields["account"], lines=[line])
        got = ListingRef.of_line(o, o.lines[0])
        assert got == ListingRef(**fields)  # type: ignore[arg-type]
        assert got.model_fields_set == ListingRef(**fields).model_fields_set  # type: ignore[arg-type]


def test_a_bound_listing_pairs_alike_every_time_with_each_catalog() -> None:
    """(Outcomes of bound listings are kept by the book per listing instance: a catalog that
    lacks the SKU, another listing or an equal new reference each get their own.)"""
    book = PairingBook([bind(Scope.ACCOUNT, "P1", "MUG"), bind(Scope.CHANNEL, "P2", "NOPE")])
    full = library()
    no_mug = Catalog(sku for sku in full if sku.code not in ("MUG", "SET", "MEGA", "GIFT"))
    kept = [ref("P1"), ref("P2"), ref("P2", account="shop2")]
    for _ in range(2):
        for listing in (*kept, ref("P1")):
            binding = book.resolve(listing)
            for catalog in (full, no_mug):
                out = pair(listing, catalog, CONFIG, book)
                assert out.listing is listing and binding is not None
                if binding.sku in catalog:
                    assert (out.status, out.binding) == (PairingStatus.BOUND, binding)
                    assert out.reason == f"bound by {binding.describe()}"
                else:
                    assert (out.status, out.binding) == (PairingStatus.UNPAIRED, None)
                    assert out.reason.endswith("names a SKU not in the product library")
                assert out.model_fields_set == {"listing", "status", "reason"} | (
                    {"binding"} if out.binding is not None else set()
                )
