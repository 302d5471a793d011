"""The domain model. One module per area; everything is re-exported here."""

from .analysis import TradeAnalysis
from .ask import Question, QuestionStatus
from .choices import (
    AssessmentStatus,
    BatchStatus,
    ChunkStatus,
    Engine,
    ExperimentMetric,
    ImplementationStatus,
    OptionType,
    RecommendationSource,
    RunKind,
    RunStatus,
    Side,
)
from .feedback import Experiment, ImpactAssessment, Recommendation
from .patterns import AnalysisPattern, ImprovementPlan
from .runs import JobRun, RunChunk
from .trades import ContractMultiplier, ImportBatch, ImportLayout, MarketBar, Trade

__all__ = [
    "AnalysisPattern",
    "AssessmentStatus",
    "BatchStatus",
    "ChunkStatus",
    "ContractMultiplier",
    "Engine",
    "Experiment",
    "ExperimentMetric",
    "ImpactAssessment",
    "ImplementationStatus",
    "ImportBatch",
    "ImportLayout",
    "ImprovementPlan",
    "JobRun",
    "MarketBar",
    "OptionType",
    "Question",
    "QuestionStatus",
    "Recommendation",
    "RecommendationSource",
    "RunChunk",
    "RunKind",
    "RunStatus",
    "Side",
    "Trade",
    "TradeAnalysis",
]
