"""Questions asked of the desk's data in plain words, with the tool calls that answered them."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class QuestionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ANSWERED = "answered", "Answered"
    REFUSED = "refused", "Refused"
    FAILED = "failed", "Failed"


QUESTION_STATUS_COLORS = {
    QuestionStatus.PENDING: "info",
    QuestionStatus.ANSWERED: "success",
    QuestionStatus.REFUSED: "warning",
    QuestionStatus.FAILED: "danger",
}


class Question(models.Model):
    """One question and everything needed to audit its answer: every tool call with its result,
    which number of the answer came from which call, tokens and cost.

    A follow-up points at the question it continues (`parent`); its answer may quote numbers
    from the whole thread's tool results.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups")
    text = models.TextField()
    status = models.CharField(max_length=10, choices=QuestionStatus.choices, default=QuestionStatus.PENDING)
    answer = models.TextField(blank=True, default="")
    rejected_answer = models.TextField(
        blank=True, default="", help_text="The last answer withheld because a number could not be traced"
    )
    numbers = models.JSONField(default=list, blank=True, help_text="[{value, tool_call}] of the answer")
    tool_calls = models.JSONField(default=list, blank=True, help_text="[{name, input, result}] in call order")
    reason = models.TextField(blank=True, default="", help_text="Why the question was refused or failed")
    model = models.CharField(max_length=80, blank=True, default="")
    rounds = models.PositiveSmallIntegerField(default=0, help_text="Model calls made")
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at"], name="question_created_idx"),
            models.Index(fields=["user", "-created_at"], name="question_user_created_idx"),
        ]

    def __str__(self) -> str:
        return self.text[:80]
