"""make install: a working binary and a manual page that covers everything.

Runs the real `make install PREFIX=<tmp>` of the repository, then runs the
installed binary and renders the installed page with man-db.
"""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "migrations-example"
MANPAGE = REPO / "docs" / "migsafe.1"
COMMANDS = ["check", "plan", "dry-run", "apply", "status", "blockers"]


def make_env():
    """The environment without an enclosing make's flags (jobserver, BUILD...)."""
    env = dict(os.environ)
    for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"):
        env.pop(k, None)
    return env


def build_dir(migsafe_bin):
    """The BUILD the tested binary came from, when it is this repository's."""
    b = Path(migsafe_bin).resolve().parent
    try:
        return str(b.relative_to(REPO))
    except ValueError:
        return "build"


def make_install(migsafe_bin, *args):
    res = subprocess.run(["make", "--no-print-directory", "-s", f"BUILD={build_dir(migsafe_bin)}",
                          "install", *args], cwd=REPO, env=make_env(), capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def render_man(page, width=80):
    env = dict(os.environ, MANWIDTH=str(width), MAN_KEEP_FORMATTING="", LC_ALL="C.UTF-8")
    res = subprocess.run(["man", "--warnings", "-l", str(page)], env=env, capture_output=True,
                         text=True, timeout=60)
    return res


def option_table_names():
    """Every option name in runner/options.c's table (the single source of options)."""
    src = (REPO / "runner" / "options.c").read_text()
    table = src[src.index("option_table[] = {"):]
    table = table[:table.index("\n};")]
    names = re.findall(r'^\t\{"([a-z][a-z-]*)", OPT_', table, re.M)
    assert len(names) > 30, "option table not found where expected"
    return names


@pytest.fixture(scope="module")
def installed(migsafe_bin, tmp_path_factory):
    prefix = tmp_path_factory.mktemp("prefix")
    make_install(migsafe_bin, f"PREFIX={prefix}")
    return prefix


def test_installs_a_working_binary(installed, tmp_path):
    binary = installed / "bin" / "migsafe"
    assert binary.is_file() and os.access(binary, os.X_OK)
    version = (REPO / "VERSION").read_text().strip()
    res = subprocess.run([str(binary), "--version"], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.strip() == f"migsafe {version}"

    # the installed copy analyses migrations on its own, from any directory
    res = subprocess.run([str(binary), "check", "--format", "json", str(EXAMPLES)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode in (0, 1), res.stderr
    doc = json.loads(res.stdout)
    assert len(doc["migrations"]) == len(list(EXAMPLES.glob("*.sql")))


def test_installs_the_manual_page(installed):
    page = installed / "share" / "man" / "man1" / "migsafe.1"
    assert page.read_bytes() == MANPAGE.read_bytes()
    res = render_man(page)
    assert res.returncode == 0, res.stderr
    assert res.stderr.strip() == "", res.stderr        # groff warnings included
    text = res.stdout
    assert "MIGSAFE(1)" in text
    for section in ("NAME", "SYNOPSIS", "COMMANDS", "OPTIONS", "EXIT STATUS"):
        assert re.search(rf"^{section}$", text, re.M), section

    # man finds it by name under the prefix, too
    env = dict(os.environ, MANPATH=str(installed / "share" / "man"), MANWIDTH="80")
    res = subprocess.run(["man", "migsafe"], env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "migsafe" in res.stdout, res.stderr


def test_staged_install_with_destdir(migsafe_bin, tmp_path):
    make_install(migsafe_bin, f"DESTDIR={tmp_path}", "PREFIX=/opt/migsafe")
    assert os.access(tmp_path / "opt/migsafe/bin/migsafe", os.X_OK)
    assert (tmp_path / "opt/migsafe/share/man/man1/migsafe.1").is_file()


def test_manual_page_covers_every_command_and_option():
    source = MANPAGE.read_text().replace("\\-", "-")
    for command in COMMANDS:
        assert re.search(rf"^\.B(?:R)? {re.escape(command)}\b", source, re.M), command
    missing = [n for n in option_table_names() if f"--{n}" not in source]
    assert missing == []
    for code in ("0", "1", "2", "3", "4"):
        assert re.search(rf"^\.TP\n\.B {code}$", source, re.M), f"exit code {code}"


def test_manual_page_options_match_each_commands_help(run):
    """Each command's --help and the page agree on which options it accepts."""
    source = MANPAGE.read_text().replace("\\-", "-")
    for command in COMMANDS:
        res = run(command, "--help")
        assert res.returncode == 0
        for name in re.findall(r"^  --([a-z][a-z-]*)", res.stdout, re.M):
            if name == "help":
                continue
            entry = re.search(rf'^\.TP\n\.(?:B|BI|BR) (?:-o ", " )?--{re.escape(name)}\b.*?\n(.*?)(?=^\.TP|^\.SS|^\.SH)',
                              source, re.M | re.S)
            assert entry, f"--{name} has no entry"
            accepted = re.findall(r"^\((.*)\)$", entry.group(1), re.M)
            assert accepted, f"--{name}: no (commands) line"
            commands = [c.strip() for c in accepted[-1].split(",")]
            assert command in commands or commands == ["all commands"], \
                f"--{name} is accepted by {command} but the page says ({accepted[-1]})"


def test_manual_page_version_matches(migsafe_bin):
    version = (REPO / "VERSION").read_text().strip()
    th = re.search(r'^\.TH MIGSAFE 1 "[^"]*" "migsafe ([^"]+)"', MANPAGE.read_text(), re.M)
    assert th and th.group(1) == version
