import pytest
from django.core.management.base import CommandError

from post_mortem.management.run_waiting import wait_for_run
from post_mortem.models import RunKind, RunStatus
from post_mortem.services.runs import run_create, run_finish

pytestmark = pytest.mark.django_db


def test_waiting_on_a_run_nobody_works_names_the_missing_qcluster():
    run = run_create(kind=RunKind.MINING)
    seen = []
    with pytest.raises(CommandError, match=r"Pattern mining run #\d+ did not finish within 0s \(is a qcluster running"):
        wait_for_run(run, timeout=0.2, on_progress=seen.append, poll=0.05)
    assert seen and all(r.status == RunStatus.QUEUED for r in seen)


def test_waiting_returns_the_finished_row():
    run = run_create(kind=RunKind.PLAN)
    run_finish(run_id=run.pk, result={"plan": None})
    assert wait_for_run(run, timeout=1).status == RunStatus.SUCCEEDED
