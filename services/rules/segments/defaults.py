"""The four segments every account starts with (SEG-1, after the People Connect seed's "business intelligence":
CMV, CMP, CI, BP), editable and deletable like any other. Customer data comes from the site's custom attributes
`orders_count` and `orders_value` (`Floorwalker('attributes', {...})`; the demo traffic sets them), behaviour
from the visit (pages, products, returning, time on site). Tested in this order; the first that matches wins."""

from typing import Any

from services.rules.segments.schemas import SegmentDefinition


def _orders(op: str, value: float, name: str = "orders_count") -> dict[str, Any]:
    return {"type": "attribute", "name": name, "op": op, "value": value}


DEFAULTS: tuple[dict[str, Any], ...] = (
    {
        "name": "Most valuable",
        "description": "Customers who bring the most (retain them): 5 orders or more, or 10,000 or more ordered.",
        "conditions": {
            "type": "or",
            "conditions": [_orders("ge", 5), _orders("ge", 10_000, "orders_value")],
        },
    },
    {
        "name": "Most potential",
        "description": "Customers to develop into the most valuable: 2,000 or more ordered, a returning visitor "
        "looking at 3 products or more, or a long, busy visit.",
        "conditions": {
            "type": "or",
            "conditions": [
                _orders("ge", 2_000, "orders_value"),
                {
                    "type": "and",
                    "conditions": [
                        {"type": "returning", "value": True},
                        {"type": "products_viewed", "op": "ge", "value": 3},
                    ],
                },
                {
                    "type": "and",
                    "conditions": [
                        {"type": "pages_viewed", "op": "ge", "value": 8},
                        {"type": "time_on_site", "op": "ge", "seconds": 300},
                    ],
                },
            ],
        },
    },
    {
        "name": "Intermediate",
        "description": "Profitable without standing out: an order at least, a returning visitor, or 5 pages or more.",
        "conditions": {
            "type": "or",
            "conditions": [
                _orders("ge", 1),
                {"type": "returning", "value": True},
                {"type": "pages_viewed", "op": "ge", "value": 5},
            ],
        },
    },
    {
        "name": "Low potential",
        "description": "Everyone else without an order.",
        "conditions": {"type": "not", "condition": _orders("ge", 1)},
    },
)


def default_segments() -> list[SegmentDefinition]:
    return [SegmentDefinition.model_validate(d) for d in DEFAULTS]
