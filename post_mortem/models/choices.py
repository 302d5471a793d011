"""Choice classes shared by the models, the admin (colours) and the API."""

from django.db import models


class Side(models.TextChoices):
    LONG = "LONG", "Long"
    SHORT = "SHORT", "Short"


class OptionType(models.TextChoices):
    CALL = "CALL", "Call"
    PUT = "PUT", "Put"


class RunStatus(models.TextChoices):
    QUEUED = "QUEUED", "Queued"
    RUNNING = "RUNNING", "Running"
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    PARTIAL = "PARTIAL", "Finished with failures"
    FAILED = "FAILED", "Failed"
    CANCELLED = "CANCELLED", "Cancelled"


RUN_STATUS_COLORS = {
    RunStatus.QUEUED: "info",
    RunStatus.RUNNING: "primary",
    RunStatus.SUCCEEDED: "success",
    RunStatus.PARTIAL: "warning",
    RunStatus.FAILED: "danger",
    RunStatus.CANCELLED: "info",
}


class RunKind(models.TextChoices):
    IMPORT = "IMPORT", "Import"
    ANALYSIS = "ANALYSIS", "Analysis"
    MINING = "MINING", "Pattern mining"
    PLAN = "PLAN", "Improvement plan"
    IMPACT = "IMPACT", "Impact measurement"
    CLAUDE_BATCH = "CLAUDE_BATCH", "Claude message batch"
    WHATIF = "WHATIF", "What-if replay"


class ChunkStatus(models.TextChoices):
    QUEUED = "QUEUED", "Queued"
    RUNNING = "RUNNING", "Running"
    DONE = "DONE", "Done"
    FAILED = "FAILED", "Failed"


class BatchStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    RUNNING = "RUNNING", "Importing"
    COMPLETED = "COMPLETED", "Completed"
    FAILED = "FAILED", "Failed"
    ROLLED_BACK = "ROLLED_BACK", "Rolled back"


BATCH_STATUS_COLORS = {
    BatchStatus.PENDING: "info",
    BatchStatus.RUNNING: "primary",
    BatchStatus.COMPLETED: "success",
    BatchStatus.FAILED: "danger",
    BatchStatus.ROLLED_BACK: "warning",
}


class Engine(models.TextChoices):
    RULES = "rules", "Rules (offline)"
    CLAUDE = "claude", "Claude"


class ImplementationStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    IMPLEMENTED = "IMPLEMENTED", "Implemented"
    IGNORED = "IGNORED", "Ignored"


IMPLEMENTATION_STATUS_COLORS = {
    ImplementationStatus.PENDING: "warning",
    ImplementationStatus.IMPLEMENTED: "success",
    ImplementationStatus.IGNORED: "info",
}


class RecommendationSource(models.TextChoices):
    ANALYSIS = "ANALYSIS", "Trade post-mortem"
    PLAN = "PLAN", "Improvement plan"
    MANUAL = "MANUAL", "Entered by hand"


class AssessmentStatus(models.TextChoices):
    MEASURED = "MEASURED", "Measured"
    INSUFFICIENT = "INSUFFICIENT", "Not enough data yet"


class ExperimentMetric(models.TextChoices):
    R_MULTIPLE = "r_multiple", "Mean R per trade"
    NET_PNL = "net_pnl", "Mean net P&L per trade"
    WIN_RATE = "win_rate", "Win rate"
