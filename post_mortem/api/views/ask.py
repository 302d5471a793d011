"""ask/: questions in plain words (POST) and their answers, tool calls and traced numbers (GET).

A POST stores the question and enqueues the conversation (202); scripts poll GET ask/<id>/ until
the status is answered, refused or failed, like runs/.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ...models import Question
from ...services.ask import QuestionError, question_create
from ..errors import UnprocessableEntity
from ..permissions import DeskModelPermissions
from ..schema import BAD_REQUEST, DETAIL_ERRORS, FORBIDDEN, THROTTLED, UNAUTHENTICATED, UNPROCESSABLE
from ..serializers import MAX_DB_ID, StrictIntegerField, StrictRequestSerializer
from ..throttling import WriteRateThrottle


class NumberSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="The number as written in the answer")
    tool_call = serializers.IntegerField(help_text="Index into tool_calls (or into the earlier question's)")
    question = serializers.IntegerField(required=False, help_text="Earlier question of the thread it came from")


class ToolCallSerializer(serializers.Serializer):
    name = serializers.CharField()
    input = serializers.JSONField()
    result = serializers.JSONField()


class QuestionSerializer(serializers.ModelSerializer):
    question = serializers.CharField(source="text")
    user = serializers.CharField(source="user.username", default=None, allow_null=True)
    numbers = NumberSerializer(many=True)
    tool_calls = ToolCallSerializer(many=True)
    cost_usd = serializers.DecimalField(max_digits=12, decimal_places=6)

    class Meta:
        model = Question
        fields = [
            "id",
            "question",
            "status",
            "answer",
            "numbers",
            "tool_calls",
            "reason",
            "parent",
            "user",
            "model",
            "rounds",
            "input_tokens",
            "output_tokens",
            "cost_usd",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class AskInputSerializer(StrictRequestSerializer):
    """Body of POST ask/: the question, and the question it follows up (optional)."""

    question = serializers.CharField(max_length=2000, trim_whitespace=False, help_text="The question in plain words")
    parent = StrictIntegerField(
        required=False, min_value=1, max_value=MAX_DB_ID, help_text="Id of the question this follows up"
    )


class AskView(APIView):
    permission_classes = [DeskModelPermissions]
    throttle_classes = [WriteRateThrottle]
    queryset = Question.objects.all()

    @extend_schema(
        tags=["ask"],
        summary="Ask a question",
        description=(
            "Stores the question and answers it in the background with Claude and read-only tools; poll "
            "`GET ask/{id}/`. Every number of an answer is traced to a tool call (`numbers`); an answer quoting "
            "an untraceable number is retried once, then refused. Without `ANTHROPIC_API_KEY` the question is stored "
            "as failed with that reason. Needs `post_mortem.add_question` (Ops, Desk head)."
        ),
        request=AskInputSerializer,
        responses={
            202: QuestionSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            422: UNPROCESSABLE,
            429: THROTTLED,
        },
    )
    def post(self, request: Request) -> Response:
        data = AskInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        text = data.validated_data["question"]
        if not text.strip():
            raise UnprocessableEntity({"question": ["The question must not be blank."]})
        parent = None
        if "parent" in data.validated_data:
            parent = Question.objects.filter(pk=data.validated_data["parent"]).first()
            if parent is None:
                raise UnprocessableEntity({"parent": [f"Unknown question {data.validated_data['parent']}."]})
        try:
            question = question_create(user=request.user, text=text.strip(), parent=parent)
        except QuestionError as exc:
            raise UnprocessableEntity({"question": [str(exc)]}) from exc
        question.refresh_from_db()
        return Response(QuestionSerializer(question).data, status=status.HTTP_202_ACCEPTED)


class QuestionDetailView(APIView):
    permission_classes = [DeskModelPermissions]
    queryset = Question.objects.all()

    @extend_schema(
        tags=["ask"],
        summary="A question with its answer",
        description=(
            "Status (pending, answered, refused, failed), the answer, each number of it with the tool call it came "
            "from, every tool call with its input and result, the reason when refused or failed, tokens and cost. "
            "Needs `post_mortem.view_question` (Ops, Desk head, Auditor)."
        ),
        responses={200: QuestionSerializer, **DETAIL_ERRORS},
    )
    def get(self, request: Request, question_id: int) -> Response:
        question = get_object_or_404(Question.objects.select_related("user"), pk=question_id)
        return Response(QuestionSerializer(question).data)


urlpatterns = [
    path("", AskView.as_view(), name="ask"),
    path("<dbid:question_id>/", QuestionDetailView.as_view(), name="ask-detail"),
]
