"""The typed result every engine returns: the ``analysis_data`` shape plus score and factors.

One model for both engines means the admin page, the API and pattern mining never care which
engine wrote a post-mortem, and a Claude reply is held to exactly the shape the rules engine
produces (a reply that does not validate is a failure, never a half-saved analysis).
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .vocabulary import AREAS, FACTOR_CODES

Scalar = float | int | str | bool | None
Area = Literal["entry", "exit", "risk_management", "behavioral", "market_context", "performance"]
assert set(Area.__args__) == set(AREAS)  # type: ignore[attr-defined]


class Section(BaseModel):
    """One section of the post-mortem: a verdict sentence, the observations behind it, its numbers."""

    model_config = ConfigDict(extra="forbid")

    assessment: str = Field(min_length=1, max_length=1000)
    observations: list[str] = Field(default_factory=list, max_length=12)
    metrics: dict[str, Scalar] = Field(default_factory=dict)


class PerformanceSection(Section):
    overall_evaluation: str = Field(min_length=1, max_length=1000)
    verdict: Literal["good_trade", "good_process_bad_outcome", "bad_process_good_outcome", "bad_trade", "neutral"]


class Opportunity(BaseModel):
    """An improvement opportunity; each becomes a Recommendation (type_code = a vocabulary code)."""

    model_config = ConfigDict(extra="forbid")

    area: Area
    type_code: str
    suggestion: str = Field(min_length=1, max_length=1000)
    expected_impact: str = Field(min_length=1, max_length=500)
    expected_impact_r: float | None = None
    evidence: dict[str, Scalar] = Field(default_factory=dict)

    @field_validator("type_code")
    @classmethod
    def _known_code(cls, value: str) -> str:
        if value not in FACTOR_CODES:
            raise ValueError(f"unknown factor code {value!r}")
        return value


class AnalysisData(BaseModel):
    """The seed's post-mortem shape (stored in ``TradeAnalysis.analysis_data``)."""

    model_config = ConfigDict(extra="forbid")

    performance_analysis: PerformanceSection
    entry_analysis: Section
    exit_analysis: Section
    risk_management: Section
    market_context: Section
    behavioral: Section
    improvement_opportunities: list[Opportunity] = Field(default_factory=list, max_length=10)


class AnalysisResult(BaseModel):
    """What an engine returns for one trade; the service turns it into rows."""

    model_config = ConfigDict(extra="forbid")

    analysis_data: AnalysisData
    success_score: int = Field(ge=0, le=100)
    primary_factors: list[str] = Field(default_factory=list, max_length=10)
    engine: str
    model: str = ""
    prompt_version: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    cost_usd: float = 0.0

    @field_validator("primary_factors")
    @classmethod
    def _known_codes(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in FACTOR_CODES]
        if unknown:
            raise ValueError(f"unknown factor codes {unknown}")
        return list(dict.fromkeys(value))


class EngineFailure(Exception):
    """One trade could not be analysed; ``reason`` is what the run page shows."""

    def __init__(self, reason: str, *, retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class Engine(Protocol):
    """Plain data in (the facts of one trade), typed result out. Engines never touch the ORM."""

    name: str

    def analyze(self, facts: dict[str, Any], *, notes: str = "") -> AnalysisResult: ...
