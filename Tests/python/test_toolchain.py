"""Sandboxed commands find the user's toolchain: a virtualenv's `pytest` on the server's PATH
runs in a command check, and a program that is on no PATH entry is `command_not_found` at
once, with the PATH searched, never steered back to the worker.

The virtualenv is a real one (`python -m venv`), with the real pytest installed into it by
copying the installed distributions this test runs on (what pip would unpack), so the test
needs no network.
"""
import importlib.metadata
import os
import pathlib
import re
import shutil
import subprocess
import sys

from conftest import write_mock_config

from bosun_client import BosunClient


def requirement_closure(name: str) -> list:
    """`name` and every distribution it needs (without extras), as installed beside this interpreter."""
    found, pending = {}, [name]
    while pending:
        wanted = re.split(r"[ ;<>=!~\[(]", pending.pop(), maxsplit=1)[0]
        key = wanted.lower().replace("_", "-")
        if key in found:
            continue
        try:
            found[key] = importlib.metadata.distribution(wanted)
        except importlib.metadata.PackageNotFoundError:
            continue  # a requirement for another Python version
        pending += [r for r in found[key].requires or [] if "extra ==" not in r]
    return list(found.values())


def make_virtualenv(directory: pathlib.Path) -> pathlib.Path:
    """A virtualenv with pytest in it and its console script in bin; returns its bin."""
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(directory)], check=True)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = directory / "lib" / version / "site-packages"
    for distribution in requirement_closure("pytest"):
        for file in distribution.files or []:
            source = pathlib.Path(distribution.locate_file(file))
            if not source.is_file() or file.parts[0] in ("..", "bin"):
                continue
            target = site / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    script = directory / "bin" / "pytest"
    script.write_text(f"#!{directory / 'bin' / 'python'}\nimport sys\nfrom pytest import console_main\n"
                      "sys.exit(console_main())\n")
    script.chmod(0o755)
    return directory / "bin"


def test_a_virtualenv_pytest_runs_in_a_command_check_and_a_missing_program_is_command_not_found(
        bosun_bin, mock_provider, tmp_path):
    venv_bin = make_virtualenv(tmp_path / "venv")
    assert subprocess.run([str(venv_bin / "pytest"), "--version"], capture_output=True).returncode == 0
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "test_sum.py").write_text("def test_sum():\n    assert 1 + 1 == 2\n")
    config = write_mock_config(tmp_path, mock_provider("--latency-ms", "10", "--tool-steps", "0"))
    # The server's PATH: the virtualenv first, then the system's (and nothing of this test's venv).
    path = f"{venv_bin}:/usr/local/bin:/usr/bin:/bin"
    with BosunClient.start([bosun_bin, "serve", "--config", str(config)], cwd=workspace,
                           env={"PATH": path}) as client:
        client.initialize(root=str(workspace))
        worker = client.spawn("Say the tests pass", wait=True)
        assert worker.state == "succeeded"

        ran = client.verify(worker.id, [{"kind": "command", "command": ["pytest", "-q", "-p", "no:cacheprovider",
                                                                         "test_sum.py"]}])
        [check] = ran.rounds[0].checks
        assert ran.passed, check
        assert "1 passed" in check.output

        missing = client.verify(worker.id, [{"kind": "command", "command": ["no-such-tool-anywhere", "--check"]}],
                                feedback="steer", max_rounds=3)
        assert not missing.passed
        assert len(missing.rounds) == 1  # never steered back: no worker round can install it
        [outcome] = missing.rounds[0].checks
        assert outcome.code == "command_not_found", outcome
        assert "no-such-tool-anywhere" in outcome.summary and path in outcome.summary
        events = [e["kind"] for e in client.request("trace", {"workerId": worker.id})["events"]]
        assert "steered" not in events
