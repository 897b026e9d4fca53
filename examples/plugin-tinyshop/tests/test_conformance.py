"""Tinyshop passes channelhub's connector conformance suite (run: pytest)."""

from channelhub_tinyshop.harness import TinyshopHarness

from channelhub.testing import ConformanceSuite


class TestTinyshopConformance(ConformanceSuite):
    harness = TinyshopHarness()
