"""Broker and platform exports: layout detection, parsing, FIFO pairing, futures multipliers.

The public surface is the registry (detect_layout, parse_broker_text, unknown_layout_message),
BrokerOptions / BrokerParse, and the pipeline bridge (parse_with_context, table_to_text);
everything returns canonical text rows for the one canonical validator.
"""

from .base import BrokerIssue, BrokerOptions, BrokerParse
from .convert import is_canonical_text, parse_with_context, sheet_to_text, table_to_text
from .custom import LayoutSpec
from .registry import LAYOUT_NAMES, detect_layout, parse_broker_text, unknown_layout_message

__all__ = [
    "LAYOUT_NAMES",
    "BrokerIssue",
    "BrokerOptions",
    "BrokerParse",
    "LayoutSpec",
    "detect_layout",
    "is_canonical_text",
    "parse_broker_text",
    "parse_with_context",
    "sheet_to_text",
    "table_to_text",
    "unknown_layout_message",
]
