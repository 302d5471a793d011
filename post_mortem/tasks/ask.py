"""django-q2 task for Ask questions (thin: id in, the service runs the conversation)."""

from __future__ import annotations

from ..services.ask import question_answer


def question_answer_task(question_id: int) -> dict:
    question = question_answer(question_id=question_id)
    return {"question": question.pk, "status": question.status}
