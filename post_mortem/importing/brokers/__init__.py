"""Broker and platform exports: layout detection, parsing, FIFO pairing, futures multipliers.

The public surface is the registry (detect_layout, parse_broker_text, unknown_layout_message),
BrokerOptions / BrokerParse, and the pipeline bridge (convert_file_text, convert_to_canonical);
everything returns canonical text rows for the one canonical validator.
"""

from .base import BrokerIssue, BrokerOptions, BrokerParse
from .convert import broker_notes, convert_file_text, convert_to_canonical
from .custom import LayoutSpec
from .registry import LAYOUT_NAMES, detect_layout, parse_broker_text, unknown_layout_message

__all__ = [
    "LAYOUT_NAMES",
    "BrokerIssue",
    "BrokerOptions",
    "BrokerParse",
    "LayoutSpec",
    "broker_notes",
    "convert_file_text",
    "convert_to_canonical",
    "detect_layout",
    "parse_broker_text",
    "unknown_layout_message",
]
