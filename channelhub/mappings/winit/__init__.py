"""WINIT 万邑通 wire format (contract unverified): signing (:mod:`.signing`) and the outbound
orders, tracking, stock and fees (:mod:`.wire`). Pure; the connector adds I/O."""

from channelhub.mappings.winit import signing, wire

__all__ = ["signing", "wire"]
