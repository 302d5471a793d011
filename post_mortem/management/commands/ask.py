"""Ask the desk a question in plain words; every number of the answer is traced to a tool result.

    python manage.py ask "How did BRAVO do on Mondays since the rule?" [--json] [--follow-up ID] [--user NAME]

With --json the output is one object: {"question", "status" ("answered"|"refused"|"failed"),
"answer", "numbers": [{"value", "tool_call"}], "tool_calls": [{"name", "input", "result"}], "reason"}.
Runs the conversation in this process (no qcluster needed); without ANTHROPIC_API_KEY the question
is stored as failed with the reason (the admin's Ask page offers the tools offline).
"""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from post_mortem.models import Question
from post_mortem.services.ask import QuestionError, question_as_dict, question_ask


class Command(BaseCommand):
    help = "Ask a question about the desk's trades (answered by Claude through read-only tools)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("question", help="The question in plain words")
        parser.add_argument("--json", action="store_true", help="Print the result as one JSON object")
        parser.add_argument("--follow-up", type=int, dest="parent", help="Id of the question this continues")
        parser.add_argument("--user", help="Username to record as the asker")

    def handle(self, *args, **options) -> None:
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"--user: no user named {options['user']!r}")
        parent = None
        if options["parent"]:
            parent = Question.objects.filter(pk=options["parent"]).first()
            if parent is None:
                raise CommandError(f"--follow-up: no question {options['parent']}")
        try:
            question = question_ask(user=user, text=options["question"], parent=parent)
        except QuestionError as exc:
            raise CommandError(str(exc)) from exc
        out = question_as_dict(question)
        if options["json"]:
            self.stdout.write(json.dumps(out, ensure_ascii=False, default=str))
            return
        self.stdout.write(f"Question #{question.pk}: {question.status}")
        if question.answer:
            self.stdout.write(question.answer)
        if question.reason:
            self.stdout.write(f"Reason: {question.reason}")
        for k, call in enumerate(out["tool_calls"]):
            self.stdout.write(f"[{k}] {call['name']} {json.dumps(call['input'])}")
            self.stdout.write(f"    {json.dumps(call['result'], default=str)[:2000]}")
        self.stdout.write(f"Tokens: {question.input_tokens + question.output_tokens:,} · cost ${question.cost_usd:.4f}")
