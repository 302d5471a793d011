"""Broker and platform exports: layout detection, parsing, FIFO pairing, futures multipliers.

The public surface is the registry (detect_layout, parse_broker_text, unknown_layout_message) and
BrokerOptions / BrokerParse; everything returns canonical text rows for the canonical validator.
"""

from .base import BrokerIssue, BrokerOptions, BrokerParse
from .custom import LayoutSpec
from .registry import LAYOUT_NAMES, detect_layout, parse_broker_text, unknown_layout_message

__all__ = [
    "LAYOUT_NAMES",
    "BrokerIssue",
    "BrokerOptions",
    "BrokerParse",
    "LayoutSpec",
    "detect_layout",
    "parse_broker_text",
    "unknown_layout_message",
]
