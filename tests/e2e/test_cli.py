"""Command-line surface: version, help, usage errors and their exit codes."""
import pytest

COMMANDS = ["check", "plan", "dry-run", "apply", "status", "blockers"]


def test_version(run):
    res = run("--version")
    assert res.returncode == 0
    assert res.stdout.startswith("migsafe ")


def test_top_level_help_lists_every_command(run):
    res = run("--help")
    assert res.returncode == 0
    for c in COMMANDS:
        assert c in res.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help(run, command):
    res = run(command, "--help")
    assert res.returncode == 0
    assert f"usage: migsafe {command}" in res.stdout


def test_unknown_command_is_a_usage_error(run):
    res = run("frobnicate")
    assert res.returncode == 2
    assert "unknown command" in res.stderr


def test_unknown_option_is_a_usage_error(run, tmp_path):
    res = run("check", "--no-such-option", tmp_path)
    assert res.returncode == 2
    assert "--no-such-option" in res.stderr


def test_option_of_another_command_is_rejected(run, tmp_path):
    res = run("check", "--max-attempts", "3", tmp_path)
    assert res.returncode == 2
    assert "does not apply" in res.stderr


@pytest.mark.parametrize("value", ["fast", "-1s", "10 parsecs", "ms"])
def test_bad_duration_is_a_usage_error(run, value, tmp_path):
    res = run("apply", "--lock-timeout", value, tmp_path)
    assert res.returncode == 2
    assert "--lock-timeout" in res.stderr


def test_bad_format_is_a_usage_error(run, tmp_path):
    res = run("check", "--format", "yaml", tmp_path)
    assert res.returncode == 2
