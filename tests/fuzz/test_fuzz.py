"""The standing fuzz suite: every platform's mappings, fed mutated published payloads, either
return canonical objects that satisfy the invariants or raise InvalidInput; nothing else.

Small in CI (derandomized, a few hundred payloads per platform); ``python -m bench.run fuzz
--examples 5000`` runs thousands per platform and prints the counts.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channelhub.core.listing import Listing
from channelhub.core.money import Money
from tests.fuzz.invariants import violations
from tests.fuzz.runner import Outcome, payload_for, run_one
from tests.fuzz.targets import platforms

EXAMPLES_PER_PLATFORM = 200

FUZZ = settings(
    max_examples=EXAMPLES_PER_PLATFORM,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("platform", sorted(platforms()))
def test_published_examples_are_accepted_and_sound(platform: str) -> None:
    """The seeds themselves map cleanly: mutations start from data the mapping accepts."""
    for target in platforms()[platform]:
        for seed in target.seeds:
            outcome = run_one(target, seed)
            assert outcome.kind == "accepted", (target.name, outcome)


@pytest.mark.parametrize("platform", sorted(platforms()))
def test_mutated_payloads_are_accepted_soundly_or_refused(platform: str) -> None:
    targets = platforms()[platform]
    seen: list[Outcome] = []

    @FUZZ
    @given(st.integers(min_value=0, max_value=2**32))
    def one(number: int) -> None:
        target = targets[number % len(targets)]
        outcome = run_one(target, payload_for(target, number))
        seen.append(outcome)
        assert outcome.kind in {"accepted", "refused"}, f"{target.name} #{number}: {outcome}"

    one()
    kinds = {o.kind for o in seen}
    assert kinds == {"accepted", "refused"}  # the mutations reach both sides of the boundary


def test_the_invariant_checker_catches_wrong_data() -> None:
    """The oracle can fail: data the models would hold but no platform should send."""
    listing = Listing(
        channel="x",
        account="a",
        listing_id="²³",
        price=Money(amount=Decimal("123456789012.5"), currency="USD"),
        title="{'a': 1}",
    )
    problems = violations([listing])
    assert any("not below" in p for p in problems)
    assert any("repr" in p for p in problems)


def test_a_crash_and_a_hang_are_told_apart_from_a_refusal() -> None:
    from tests.fuzz.runner import alarm
    from tests.fuzz.targets import Target

    def boom(payload: object) -> object:
        raise KeyError("x")

    assert run_one(Target("boom", boom, ()), {}).kind == "crash"
    with pytest.raises(Exception, match="no answer"), alarm(0.01):
        while True:
            pass
