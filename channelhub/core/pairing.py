"""Product pairing (商品配对): finding the local SKU a channel listing ships.

An existing binding (see :mod:`channelhub.core.bindings`) always wins. Where nothing is bound,
candidates are gathered from the evidence (exact SKU, prefix/suffix stripping, regex rules,
barcodes / GTIN / ASIN), each scored with its reasons; the best is bound automatically above a
threshold, otherwise the listing waits unpaired with its candidates. Two different SKUs tied
at the top above the threshold raise PairingConflict: the seller chooses, never chance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from channelhub.core.bindings import Binding, ListingRef, PairingBook, PairingConflict, Scope
from channelhub.core.catalog import Catalog
from channelhub.core.sku_index import SkuIndex, written_code
from channelhub.core.types import VALUE_CONFIG, AsTuple, PositiveQty, SkuCode

__all__ = [
    "Binding",
    "Candidate",
    "CandidateSource",
    "ListingRef",
    "PairingBook",
    "PairingConfig",
    "PairingConflict",
    "PairingOutcome",
    "PairingStatus",
    "RegexRule",
    "Scope",
    "pair",
    "suggest",
]

CONFIG_MODEL = ConfigDict(frozen=True, extra="forbid")


class CandidateSource(StrEnum):
    """Which evidence proposed a candidate."""

    BOUND = "bound"
    EXACT_SKU = "exact_sku"
    STRIPPED_SKU = "stripped_sku"
    REGEX = "regex"
    IDENTIFIER = "identifier"


class Candidate(BaseModel):
    """A local SKU a listing may ship, with a score (0-100) and the evidence for it."""

    model_config = VALUE_CONFIG

    sku: SkuCode
    multiplier: PositiveQty = 1
    score: int = Field(ge=0, le=100)
    source: CandidateSource
    evidence: str


class RegexRule(BaseModel):
    """A channel SKU pattern -> local SKU replacement (re.sub syntax), with a pack size."""

    model_config = CONFIG_MODEL

    pattern: str
    replacement: str
    multiplier: PositiveQty = 1
    score: int = Field(default=80, ge=0, le=100)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"is not a valid regular expression ({exc})") from exc
        return value


class PairingConfig(BaseModel):
    """How candidates are found and scored; loaded from TOML by the caller."""

    model_config = CONFIG_MODEL

    strip_prefixes: Annotated[tuple[str, ...], AsTuple] = ()
    strip_suffixes: Annotated[tuple[str, ...], AsTuple] = ()
    regex_rules: Annotated[tuple[RegexRule, ...], AsTuple] = ()
    identifier_keys: Annotated[tuple[str, ...], AsTuple] = ("gtin", "ean", "upc", "barcode", "asin")
    case_sensitive: bool = False
    auto_bind_threshold: int = Field(default=90, ge=0, le=101)  # 101: never bind automatically
    auto_bind_scope: Scope = Scope.ACCOUNT
    exact_score: int = Field(default=100, ge=0, le=100)
    stripped_score: int = Field(default=90, ge=0, le=100)
    identifier_score: int = Field(default=95, ge=0, le=100)


class PairingStatus(StrEnum):
    """The outcome of pairing one listing."""

    BOUND = "bound"  # an existing binding applies
    AUTO_BOUND = "auto_bound"  # a new binding proposed from a candidate above the threshold
    UNPAIRED = "unpaired"  # waits for the seller, with its candidates


class PairingOutcome(BaseModel):
    """Pairing's answer for one listing: the binding (existing or new) or the candidates."""

    model_config = VALUE_CONFIG

    listing: ListingRef
    status: PairingStatus
    binding: Binding | None = None
    candidates: Annotated[tuple[Candidate, ...], AsTuple] = ()
    reason: str


def _norm(text: str, config: PairingConfig) -> str:
    return written_code(text, case_sensitive=config.case_sensitive)


def suggest(
    listing: ListingRef, catalog: Catalog | SkuIndex, config: PairingConfig
) -> tuple[Candidate, ...]:
    """Every candidate the evidence supports, best first; one per (sku, multiplier)."""
    by_norm = catalog.by_written_code(case_sensitive=config.case_sensitive)
    found: list[Candidate] = []
    for lookup in _sku_lookups(listing.channel_sku, config):
        code = by_norm.get(_norm(lookup.written, config))
        if code:
            found.append(
                _cand(code, lookup.multiplier, lookup.score, lookup.source, lookup.why(code))
            )
    found.extend(_identifier_candidates(listing, catalog, config))
    best: dict[tuple[str, int], Candidate] = {}
    for cand in found:
        seen = best.get((cand.sku, cand.multiplier))
        if seen is None or cand.score > seen.score:
            best[(cand.sku, cand.multiplier)] = cand
    return tuple(sorted(best.values(), key=lambda c: (-c.score, c.sku, c.multiplier)))


def written_forms(listing: ListingRef, config: PairingConfig) -> frozenset[str] | None:
    """The written forms of local SKU codes :func:`suggest` looks up for ``listing`` (as
    :meth:`Catalog.by_written_code` keys them), or None when it also looks through every
    SKU (the listing carries identifiers: barcodes, attributes). A catalog holding every
    SKU whose code is written so suggests exactly what the whole library would."""
    if listing.identifiers:
        return None
    return frozenset(_norm(x.written, config) for x in _sku_lookups(listing.channel_sku, config))


@dataclass(frozen=True)
class _Lookup:
    """One code :func:`suggest` looks up for a channel SKU, and what a hit is worth."""

    written: str
    multiplier: int
    score: int
    source: CandidateSource
    lead: str  # the evidence up to the local code found
    tail: str = ""  # and after it

    def why(self, code: str) -> str:
        return f"{self.lead}{code!r}{self.tail}"


def _sku_lookups(sku: str | None, config: PairingConfig) -> list[_Lookup]:
    """The channel SKU as written, stripped of prefixes/suffixes, and rewritten by the
    regex rules that match it."""
    if not sku:
        return []
    exact = f"channel SKU {sku!r} equals local SKU "
    out = [_Lookup(sku, 1, config.exact_score, CandidateSource.EXACT_SKU, exact)]
    for stripped, how in _strippings(sku, config):
        lead = f"channel SKU {sku!r} {how} is local SKU "
        out.append(_Lookup(stripped, 1, config.stripped_score, CandidateSource.STRIPPED_SKU, lead))
    flags = 0 if config.case_sensitive else re.IGNORECASE
    for rule in config.regex_rules:
        if not re.fullmatch(rule.pattern, sku.strip(), flags):
            continue
        replaced = re.sub(rule.pattern, rule.replacement, sku.strip(), count=1, flags=flags)
        lead = f"rule {rule.pattern!r} -> {rule.replacement!r} turns {sku!r} into "
        out.append(
            _Lookup(
                replaced, rule.multiplier, rule.score, CandidateSource.REGEX, lead,
                _pack(rule.multiplier),
            )
        )  # fmt: skip
    return out


def _cand(sku: str, multiplier: int, score: int, source: CandidateSource, why: str) -> Candidate:
    return Candidate(sku=sku, multiplier=multiplier, score=score, source=source, evidence=why)


def _pack(multiplier: int) -> str:
    return f" ({multiplier}-pack)" if multiplier > 1 else ""


def _strippings(sku: str, config: PairingConfig) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    text = sku.strip()
    folded = _norm(text, config)
    for prefix in config.strip_prefixes:
        if prefix and folded.startswith(_norm(prefix, config)):
            out.append((text[len(prefix) :], f"without prefix {prefix!r}"))
    for suffix in config.strip_suffixes:
        if suffix and folded.endswith(_norm(suffix, config)):
            out.append((text[: -len(suffix)], f"without suffix {suffix!r}"))
    for prefix in config.strip_prefixes:
        for suffix in config.strip_suffixes:
            if (
                prefix
                and suffix
                and folded.startswith(_norm(prefix, config))
                and folded.endswith(_norm(suffix, config))
                and len(text) > len(prefix) + len(suffix)
            ):
                out.append((text[len(prefix) : -len(suffix)], f"without {prefix!r} and {suffix!r}"))
    return out


def _identifier_candidates(
    listing: ListingRef, catalog: Catalog | SkuIndex, config: PairingConfig
) -> list[Candidate]:
    out: list[Candidate] = []
    wanted = {k.casefold() for k in config.identifier_keys}
    for key, value in sorted(listing.identifiers.items()):
        if key.casefold() not in wanted or not value.strip():
            continue
        hit = catalog.by_barcode(value)
        if hit:
            code, units = hit
            out.append(
                _cand(
                    code,
                    units,
                    config.identifier_score,
                    CandidateSource.IDENTIFIER,
                    f"listing {key} {value!r} is the barcode of {code!r}" + _pack(units),
                )
            )
        for code in catalog.by_attribute(key, value):
            out.append(
                _cand(
                    code,
                    1,
                    config.identifier_score,
                    CandidateSource.IDENTIFIER,
                    f"listing {key} {value!r} is recorded on {code!r}",
                )
            )
    return out


def pair(
    listing: ListingRef, catalog: Catalog, config: PairingConfig, book: PairingBook
) -> PairingOutcome:
    """Bind a listing: an existing binding first, else the best candidate above the threshold.

    Raises PairingConflict when bindings in one scope disagree, or when two different local
    SKUs both clear the threshold with the best score (the seller must choose).
    """
    binding = book.resolve(listing)
    if binding is not None:
        known = binding.sku in catalog
        # orders sell the same listings over and over: the book keeps what it said of each
        return book.outcome_of(listing, known, lambda: _bound(listing, binding, known))
    candidates = suggest(listing, catalog, config)
    above = [c for c in candidates if c.score >= config.auto_bind_threshold]
    if not above:
        why = (
            f"best candidate {candidates[0].sku!r} scores {candidates[0].score}, "
            f"below the auto-bind threshold {config.auto_bind_threshold}"
            if candidates
            else "no local SKU matches its SKU or identifiers"
        )
        return PairingOutcome(
            listing=listing,
            status=PairingStatus.UNPAIRED,
            candidates=candidates,
            reason=f"{listing} is unpaired: {why}",
        )
    top = [c for c in above if c.score == above[0].score]
    if len({(c.sku, c.multiplier) for c in top}) > 1:
        raise PairingConflict(
            str(listing), [f"{c.multiplier} x {c.sku} ({c.evidence})" for c in top]
        )
    best = top[0]
    new = _auto_binding(listing, best, config.auto_bind_scope)
    if new is None:
        return PairingOutcome(
            listing=listing,
            status=PairingStatus.UNPAIRED,
            candidates=candidates,
            reason=f"{listing} has neither a SKU nor a listing id to bind",
        )
    return PairingOutcome(
        listing=listing,
        status=PairingStatus.AUTO_BOUND,
        binding=new,
        candidates=candidates,
        reason=f"auto-bound at score {best.score}: {best.evidence}",
    )


def _bound(listing: ListingRef, binding: Binding, in_catalog: bool) -> PairingOutcome:
    """What ``binding`` says of ``listing``: bound, or unpaired when it names a SKU the
    catalog lacks (``in_catalog`` False)."""
    if in_catalog:
        return PairingOutcome(
            listing=listing,
            status=PairingStatus.BOUND,
            binding=binding,
            reason=f"bound by {binding.describe()}",
        )
    return PairingOutcome(
        listing=listing,
        status=PairingStatus.UNPAIRED,
        reason=f"{binding.describe()} names a SKU not in the product library",
    )


def _auto_binding(listing: ListingRef, cand: Candidate, scope: Scope) -> Binding | None:
    """A SKU-level binding when the listing has a SKU, else a listing-level one (never global)."""
    if listing.channel_sku is None:
        if listing.listing_id is None:
            return None
        scope = Scope.ACCOUNT if scope is Scope.GLOBAL else scope
    return Binding(
        scope=scope,
        channel=None if scope is Scope.GLOBAL else listing.channel,
        account=listing.account if scope is Scope.ACCOUNT else None,
        channel_sku=listing.channel_sku,
        listing_id=None if listing.channel_sku else listing.listing_id,
        variation_id=None if listing.channel_sku else listing.variation_id,
        sku=cand.sku,
        multiplier=cand.multiplier,
        source="auto",
    )
