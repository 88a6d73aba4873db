"""The command line on bad input: a message that says what to fix, a non-zero exit, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from models.errors import ConfigurationError
from models.settings import Settings
from stream.cli import cli
from stream.stack.kafka import KafkaBroker
from stream.stack.redis import RedisServer

# Nothing listens on port 1: the commands below must fail cleanly, whatever runs on this machine.
NOWHERE = {"PITCHSIDE_KAFKA_BOOTSTRAP": "127.0.0.1:1", "PITCHSIDE_REDIS_URL": "redis://127.0.0.1:1/0"}


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={**NOWHERE, **(env or {})})
    # A crash shows as an exception other than the SystemExit of an exit code.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_replay_of_a_missing_file_says_which_path(tmp_path: Path) -> None:
    code, out = run("replay", "--file", str(tmp_path / "nope.json"))
    assert code == 1
    assert "nope.json" in out and "StatsBomb events JSON" in out


def test_replay_of_an_unknown_match_says_where_it_looked(tmp_path: Path) -> None:
    code, out = run("replay", "--match", "123456789", env={"PITCHSIDE_DATA_DIR": str(tmp_path)})
    assert code == 1
    assert "match 123456789 not found" in out and "PITCHSIDE_DATA_DIR" in out


def test_replay_of_an_empty_event_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    code, out = run("replay", "--file", str(empty))
    assert code == 1
    assert "empty.json" in out


def test_replay_of_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("this is not json")
    code, out = run("replay", "--file", str(bad))
    assert code == 1
    assert "bad.json" in out


def test_out_of_range_option_is_a_usage_error() -> None:
    code, out = run("replay", "--tracking-hz", "0")
    assert code == 2
    assert "--tracking-hz" in out


def test_invalid_settings_name_the_variable() -> None:
    code, out = run("stack", "status", env={"PITCHSIDE_KAFKA_BOOTSTRAP": "no-port-here"})
    assert code == 1
    assert "PITCHSIDE_KAFKA_BOOTSTRAP" in out and "host:port" in out


def test_stack_status_reports_stopped_components_and_fails(tmp_path: Path) -> None:
    code, out = run("stack", "status", env={"PITCHSIDE_STATE_DIR": str(tmp_path)})
    assert code == 1
    assert "kafka" in out and "redis" in out and "stopped" in out


def test_missing_java_or_maven_or_redis_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda _name: None)
    settings = Settings(cache_dir=Path("/nonexistent-cache"))
    for call in (KafkaBroker(settings).java, KafkaBroker(settings).fetch, RedisServer(settings).start):
        with pytest.raises(ConfigurationError) as err:
            call()
        assert "apt-get install" in str(err.value) and "docker compose" in str(err.value)


def test_unreachable_kafka_is_one_line_that_says_how_to_start_it() -> None:
    code, out = run("replay", "--minutes", "1", "--speed", "0")
    assert code == 1
    assert "cannot reach Kafka at 127.0.0.1:1" in out and "pitchside stack up" in out


def test_unreachable_redis_is_one_line_that_says_how_to_start_it() -> None:
    code, out = run("watch", "--idle-timeout", "1")
    assert code == 1
    assert "cannot reach Redis at redis://127.0.0.1:1/0" in out and "pitchside stack up" in out


def test_load_refuses_a_prefix_that_cannot_be_part_of_a_match_id() -> None:
    code, out = run("load", "--id-prefix", "bad:prefix")
    assert code == 2
    assert "--id-prefix" in out


def test_models_drift_without_redis_is_one_line_that_says_how_to_start_it() -> None:
    code, out = run("models", "drift")
    assert code == 1
    assert "cannot reach Redis at redis://127.0.0.1:1/0" in out and "pitchside stack up" in out
