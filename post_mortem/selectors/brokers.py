"""Reads the broker importer needs from the database: the multiplier table and saved layouts."""

from __future__ import annotations

from decimal import Decimal

from ..importing.brokers.custom import LayoutSpec
from ..models import ContractMultiplier, ImportLayout


def multiplier_table() -> dict[str, Decimal]:
    """Root symbol -> point value, as ops staff maintain it in the admin (seeded by migration 0004)."""
    return {root.upper(): value for root, value in ContractMultiplier.objects.values_list("root", "multiplier")}


def saved_layout_specs() -> list[LayoutSpec]:
    """Active layouts saved in the admin, as plain specs the pure parser understands."""
    specs = []
    for layout in ImportLayout.objects.filter(is_active=True).order_by("name"):
        options = dict(layout.options or {})
        specs.append(
            LayoutSpec(
                name=layout.name,
                signature=tuple(layout.signature or ()),
                mapping={k: v for k, v in (layout.mapping or {}).items() if v},
                kind=options.get("kind", "round_trips"),
                options=options,
            )
        )
    return specs
