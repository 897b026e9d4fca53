"""Every GraphQL document channelhub sends to the Shopify Admin API (version 2025-01).

They live here, as constants, so that one test validates all of them against the published
schema (packaged in ``channelhub/simulators/shopify/contract``) and the simulator answers
exactly these. Money is read as ``presentmentMoney``: the currency the buyer paid in, which
is what a carrier collects for cash on delivery and what cross-border accounting reconciles.
"""

from __future__ import annotations

from typing import Final

API_VERSION: Final = "2025-01"

_MONEY: Final = "presentmentMoney { amount currencyCode }"

#: Line items read with each order: 4, because most orders have 1-3 lines. Shopify prices a
#: query by what it could return (a connection costs 2 + first x its node, a line item 7
#: points here), and one query may cost at most 1000 points, so every line slot read with the
#: order is paid for on every order of the page: 20 slots made an order cost 161 points (143
#: of them its lines) and a page hold only 6 orders; 4 slots make it 49 points, so a page
#: holds 20 orders (983 points) and 2,000 orders take 100 calls instead of 334. An order with
#: more lines gets the rest through ORDER_LINE_ITEMS_QUERY (pages of
#: ``requests.LINE_ITEMS_PAGE_SIZE``), one follow-up read for most such orders; the mapping
#: refuses an order whose lines were not all read, never silently truncating it. The
#: selection is also kept lean otherwise: line tax and refund details stay out (the
#: order-level totals and each line's ``currentQuantity`` carry them). (Orders per page:
#: ``requests.ORDERS_PAGE_SIZE``, computed from this selection's cost.)
LINES_READ_WITH_ORDER: Final = 4
#: Variants read with each product; the mapping refuses a product with more (never partial).
MAX_PRODUCT_VARIANTS: Final = 20
#: Inventory items per levels re-read (each with up to 10 locations) under the same limit.
LEVELS_PAGE_SIZE: Final = 30

#: The order's own fields (no connection): read the same way by the paged query and by the
#: bulk query (:mod:`channelhub.mappings.shopify.bulk`), so one mapping builds both.
ORDER_SCALARS: Final = f"""
  id
  legacyResourceId
  name
  createdAt
  updatedAt
  processedAt
  cancelledAt
  cancelReason
  closed
  edited
  displayFinancialStatus
  displayFulfillmentStatus
  currencyCode
  presentmentCurrencyCode
  paymentGatewayNames
  note
  tags
  email
  phone
  customer {{ id displayName email phone }}
  shippingAddress {{
    name firstName lastName company address1 address2 city province provinceCode zip
    countryCodeV2 phone
  }}
  shippingLine {{ title code }}
  currentSubtotalPriceSet {{ {_MONEY} }}
  totalShippingPriceSet {{ {_MONEY} }}
  currentTotalTaxSet {{ {_MONEY} }}
  currentTotalDiscountsSet {{ {_MONEY} }}
  currentTotalPriceSet {{ {_MONEY} }}
  totalOutstandingSet {{ {_MONEY} }}
  totalRefundedSet {{ {_MONEY} }}
"""

ORDER_FIELDS: Final = f"""
fragment ChannelhubOrder on Order {{
{ORDER_SCALARS}  lineItems(first: {LINES_READ_WITH_ORDER}) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ ...ChannelhubLineItem }}
  }}
}}
"""

#: A line item's fields (paged and bulk reads alike).
LINE_ITEM_SCALARS: Final = f"""
  id
  sku
  title
  variantTitle
  quantity
  currentQuantity
  unfulfilledQuantity
  nonFulfillableQuantity
  product {{ id }}
  variant {{ id }}
  originalUnitPriceSet {{ {_MONEY} }}
  discountedTotalSet {{ {_MONEY} }}
"""

LINE_ITEM_FIELDS: Final = f"""
fragment ChannelhubLineItem on LineItem {{
{LINE_ITEM_SCALARS}}}
"""

ORDERS_QUERY: Final = (
    """
query ChannelhubOrders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    edges { cursor node { ...ChannelhubOrder } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
    + ORDER_FIELDS
    + LINE_ITEM_FIELDS
)

ORDER_QUERY: Final = (
    """
query ChannelhubOrder($id: ID!) {
  order(id: $id) { ...ChannelhubOrder }
}
"""
    + ORDER_FIELDS
    + LINE_ITEM_FIELDS
)

#: The rest of an order's line items, after the LINES_READ_WITH_ORDER read with the order.
ORDER_LINE_ITEMS_QUERY: Final = (
    """
query ChannelhubOrderLineItems($id: ID!, $first: Int!, $after: String) {
  order(id: $id) {
    id
    lineItems(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...ChannelhubLineItem }
    }
  }
}
"""
    + LINE_ITEM_FIELDS
)

#: Products with their variants, each variant's ``available`` read at ONE location: the one
#: the hub pushes stock to (``$location``). ``inventoryQuantity`` is the total over every
#: location, so a shop with two locations would read as edited after every push.
#: ``inventoryLevel(locationId:)`` costs 2 points a variant (a level and its quantities list)
#: where ``inventoryLevels(first: N)`` would cost 2 + N x 3; products per page:
#: ``requests.PRODUCTS_PAGE_SIZE``, computed from this selection's cost.
PRODUCTS_QUERY: Final = f"""
query ChannelhubProducts($first: Int!, $after: String, $query: String, $location: ID!) {{
  shop {{ currencyCode }}
  products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    edges {{
      cursor
      node {{
        id
        title
        status
        updatedAt
        variants(first: {MAX_PRODUCT_VARIANTS}) {{
          pageInfo {{ hasNextPage }}
          nodes {{
            id
            title
            sku
            barcode
            price
            updatedAt
            inventoryItem {{
              id
              inventoryLevel(locationId: $location) {{
                quantities(names: ["available"]) {{ name quantity }}
              }}
            }}
          }}
        }}
      }}
    }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

LOCATIONS_QUERY: Final = """
query ChannelhubLocations($first: Int!, $after: String) {
  locations(first: $first, after: $after, includeInactive: true) {
    nodes {
      id
      name
      isActive
      fulfillsOnlineOrders
      address { countryCode city }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

INVENTORY_SET_QUANTITIES: Final = """
mutation ChannelhubSetQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup {
      createdAt
      reason
      referenceDocumentUri
      changes { name delta quantityAfterChange item { id } location { id } }
    }
    userErrors { code field message }
  }
}
"""

INVENTORY_LEVELS_QUERY: Final = """
query ChannelhubInventoryLevels($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id
      inventoryLevels(first: 10) {
        nodes {
          location { id }
          quantities(names: ["available"]) { name quantity }
        }
      }
    }
  }
}
"""

#: What a fulfilment push needs to know of an order, in ONE read (Shopify has no idempotency key
#: on ``fulfillmentCreate``): its fulfillment orders with what each still has open, and the
#: fulfilments already on it, whose tracking numbers must not be pushed twice.
FULFILLMENT_STATE_QUERY: Final = """
query ChannelhubFulfillmentState($id: ID!) {
  order(id: $id) {
    id
    fulfillmentOrders(first: 5) {
      nodes {
        id
        status
        assignedLocation { location { id } }
        lineItems(first: 50) {
          nodes { id sku totalQuantity remainingQuantity lineItem { id } }
        }
      }
    }
    fulfillments(first: 100) { id trackingInfo { number } }
  }
}
"""

FULFILLMENT_CREATE: Final = """
mutation ChannelhubFulfillmentCreate($fulfillment: FulfillmentInput!, $message: String) {
  fulfillmentCreate(fulfillment: $fulfillment, message: $message) {
    fulfillment {
      id
      status
      createdAt
      trackingInfo { company number url }
      fulfillmentLineItems(first: 20) { nodes { id quantity lineItem { id sku } } }
    }
    userErrors { field message }
  }
}
"""

ORDER_FULFILLMENTS_QUERY: Final = """
query ChannelhubOrderFulfillments($id: ID!) {
  order(id: $id) {
    id
    fulfillments(first: 20) {
      id
      status
      createdAt
      trackingInfo { company number url }
      fulfillmentLineItems(first: 20) { nodes { id quantity lineItem { id sku } } }
    }
  }
}
"""

_BULK_OPERATION: Final = """
  id status errorCode createdAt completedAt objectCount rootObjectCount fileSize url
  partialDataUrl query
"""

#: Start a bulk query (``$query`` is a whole document: :data:`BULK_ORDERS_TEMPLATE`). Priced
#: as a mutation (10 points); what it reads later costs no points at all.
BULK_RUN_QUERY: Final = f"""
mutation ChannelhubBulkRun($query: String!) {{
  bulkOperationRunQuery(query: $query) {{
    bulkOperation {{ {_BULK_OPERATION} }}
    userErrors {{ code field message }}
  }}
}}
"""

#: The shop's current (latest) bulk query: what a poll reads until it finishes.
CURRENT_BULK_OPERATION_QUERY: Final = f"""
query ChannelhubCurrentBulk {{
  currentBulkOperation(type: QUERY) {{ {_BULK_OPERATION} }}
}}
"""

#: One bulk operation by id: a resumed import finds its file again (or learns it expired).
BULK_OPERATION_QUERY: Final = f"""
query ChannelhubBulkOperation($id: ID!) {{
  node(id: $id) {{ ... on BulkOperation {{ {_BULK_OPERATION} }} }}
}}
"""

#: The bulk form of ORDERS_QUERY: the same order and line fields, every line item (no
#: ``first``: a bulk query reads whole connections), lines as their own JSONL rows with
#: ``__parentId``. ``$SEARCH`` is replaced by the quoted ``orders(query:)`` filter.
BULK_ORDERS_TEMPLATE: Final = f"""
{{
  orders(query: $SEARCH, sortKey: UPDATED_AT) {{
    edges {{
      node {{
{ORDER_SCALARS}        lineItems {{
          edges {{
            node {{
{LINE_ITEM_SCALARS}            }}
          }}
        }}
      }}
    }}
  }}
}}
"""

#: Every document sent as a request, by name: the contract test validates each against the
#: schema (the bulk query inside BULK_RUN_QUERY is checked by the bulk rules: tests/shopify/
#: test_bulk.py).
ALL_DOCUMENTS: Final[dict[str, str]] = {
    "ORDERS_QUERY": ORDERS_QUERY,
    "ORDER_QUERY": ORDER_QUERY,
    "ORDER_LINE_ITEMS_QUERY": ORDER_LINE_ITEMS_QUERY,
    "PRODUCTS_QUERY": PRODUCTS_QUERY,
    "LOCATIONS_QUERY": LOCATIONS_QUERY,
    "INVENTORY_SET_QUANTITIES": INVENTORY_SET_QUANTITIES,
    "INVENTORY_LEVELS_QUERY": INVENTORY_LEVELS_QUERY,
    "FULFILLMENT_STATE_QUERY": FULFILLMENT_STATE_QUERY,
    "FULFILLMENT_CREATE": FULFILLMENT_CREATE,
    "ORDER_FULFILLMENTS_QUERY": ORDER_FULFILLMENTS_QUERY,
    "BULK_RUN_QUERY": BULK_RUN_QUERY,
    "CURRENT_BULK_OPERATION_QUERY": CURRENT_BULK_OPERATION_QUERY,
    "BULK_OPERATION_QUERY": BULK_OPERATION_QUERY,
}
