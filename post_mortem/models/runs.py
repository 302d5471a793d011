"""Background jobs as rows, so an operator sees progress, failures and cost in the admin."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .choices import ChunkStatus, RunKind, RunStatus


class JobRun(models.Model):
    kind = models.CharField(max_length=16, choices=RunKind.choices)
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0, help_text="Units of work (trades, segments, ...)")
    done = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    failures = models.JSONField(default=list, blank=True, help_text="[{ref, reason}], capped")
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The lease of a single-task run (chunked runs lease their chunks): who holds it, its last
    # renewal (or, while queued, its last hand-out to the queue), and how many claims it had.
    claimed_by = models.CharField(max_length=120, blank=True, default="")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "-created_at"], name="jobrun_kind_created_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def progress_pct(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.is_finished else 0)

    @property
    def is_finished(self) -> bool:
        return self.status in {RunStatus.SUCCEEDED, RunStatus.PARTIAL, RunStatus.FAILED, RunStatus.CANCELLED}


class RunChunk(models.Model):
    """A slice of a run's work. Workers claim a chunk atomically, so no unit is done twice."""

    run = models.ForeignKey(JobRun, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    payload = models.JSONField(default=list, help_text="Ids of the units in this chunk")
    status = models.CharField(max_length=8, choices=ChunkStatus.choices, default=ChunkStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=120, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last renewal of the holder's lease")
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="runchunk_unique_run_seq")]
        indexes = [models.Index(fields=["run", "status"], name="runchunk_run_status_idx")]

    def __str__(self) -> str:
        return f"run {self.run_id} chunk {self.seq}"
