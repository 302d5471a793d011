"""Analyzer engines: ``rules`` (offline, deterministic) and ``claude`` (the anthropic SDK).

Both take plain facts and return ``AnalysisResult``; neither touches the ORM.
"""

from __future__ import annotations

from .base import AnalysisResult, EngineFailure


def get_engine(name: str):
    """The engine object for a name; unknown names are a clear error."""
    if name == "rules":
        from .rules import RulesEngine

        return RulesEngine()
    if name == "claude":
        from .claude import ClaudeEngine

        return ClaudeEngine()
    raise ValueError(f"Unknown engine {name!r}; expected 'rules' or 'claude'.")


__all__ = ["AnalysisResult", "EngineFailure", "get_engine"]
