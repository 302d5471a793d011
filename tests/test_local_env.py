"""The machine-local settings file manage.py reads (written once by scripts/start.sh)."""

from __future__ import annotations

import os

from internal.local_env import load_local_env, parse_local_env, write_local_env


def test_written_once_with_a_generated_key(tmp_path):
    path = tmp_path / ".env.local"
    assert write_local_env(path) is True
    first = parse_local_env(path.read_text())
    assert first["DEBUG"] == "1" and len(first["SECRET_KEY"]) >= 50
    assert write_local_env(path) is False  # a second start.sh keeps the key (sessions survive)
    assert parse_local_env(path.read_text()) == first
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    other = tmp_path / "other.env"
    write_local_env(other)
    assert parse_local_env(other.read_text())["SECRET_KEY"] != first["SECRET_KEY"]


def test_environment_wins_over_the_file(tmp_path, monkeypatch):
    path = tmp_path / ".env.local"
    path.write_text("# comment\n\nSECRET_KEY='from-file'\nDEBUG=1\nPOST_MORTEM_TEST_ONLY=x\n")
    monkeypatch.setenv("DEBUG", "0")
    for name in ("POST_MORTEM_TEST_ONLY", "SECRET_KEY"):  # recorded, so teardown restores them
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    values = load_local_env(path)
    assert values["SECRET_KEY"] == "from-file"
    assert os.environ["SECRET_KEY"] == "from-file"
    assert os.environ["DEBUG"] == "0"
    assert os.environ["POST_MORTEM_TEST_ONLY"] == "x"


def test_missing_file_changes_nothing(tmp_path):
    assert load_local_env(tmp_path / "absent") == {}
