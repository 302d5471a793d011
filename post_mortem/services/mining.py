"""Alias kept for callers that look for the mining service under this name (the scale benchmark).

The service lives in `post_mortem.services.patterns`.
"""

from .patterns import MiningOutcome, patterns_mine

__all__ = ["MiningOutcome", "patterns_mine"]
