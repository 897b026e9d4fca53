"""Amazon Multi-Channel Fulfillment and FBA inventory wire formats <-> the canonical model.

Pure translation (no I/O, no clock) of the vendored Swagger models
``contracts/wms/amazon_mcf/fulfillmentOutbound_2020-07-01.json`` and
``contracts/amazon/fbaInventory.json``:

- :mod:`.requests`: the ``sellerFulfillmentOrderId`` derived from the hub's dispatch id, the
  createFulfillmentOrder / updateFulfillmentOrder / getFulfillmentPreview bodies, the
  getInventorySummaries query;
- :mod:`.orders`: getFulfillmentOrder -> outbound state, shipments with packages, and the
  unfulfillable / partial outcomes a person must look at; getFulfillmentPreview -> a quote;
- :mod:`.tracking`: getPackageTrackingDetails -> canonical tracking events (raw code kept);
- :mod:`.inventory`: getInventorySummaries -> stock levels (fulfillable quantity), row by row.
"""

from channelhub.mappings.amazon_mcf.inventory import STOCK, inventory_rows
from channelhub.mappings.amazon_mcf.orders import (
    FulfilmentOutcome,
    PreviewQuote,
    order_outcome,
    order_state,
    preview_quotes,
    shipments_from,
)
from channelhub.mappings.amazon_mcf.requests import (
    create_order_body,
    fulfillment_order_id,
    inventory_query,
    preview_body,
    update_action_body,
)
from channelhub.mappings.amazon_mcf.tracking import EVENT_CODES, tracking_events

__all__ = [
    "EVENT_CODES",
    "STOCK",
    "FulfilmentOutcome",
    "PreviewQuote",
    "create_order_body",
    "fulfillment_order_id",
    "inventory_query",
    "inventory_rows",
    "order_outcome",
    "order_state",
    "preview_body",
    "preview_quotes",
    "shipments_from",
    "tracking_events",
    "update_action_body",
]
