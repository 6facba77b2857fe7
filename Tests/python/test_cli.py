"""The command line as a new user meets it: help in a terminal, "did you mean", exit codes."""
import os
import pty
import re
import select
import subprocess

import pytest

from conftest import ROOT


def run(bosun_bin, *arguments, stdin=subprocess.DEVNULL):
    return subprocess.run([bosun_bin, *arguments], stdin=stdin, capture_output=True, text=True, timeout=30)


def run_in_terminal(bosun_bin, *arguments) -> tuple[int, str]:
    """Runs bosun with a pseudo-terminal as its stdin, stdout and stderr; its exit code and output."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(bosun_bin, [bosun_bin, *arguments])
    output = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 30)
        if not ready:
            os.kill(pid, 9)
            pytest.fail(f"bosun {' '.join(arguments)} in a terminal printed nothing for 30 s: {output!r}")
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode()


def test_no_command_in_a_terminal_prints_help(bosun_bin):
    code, output = run_in_terminal(bosun_bin)
    assert code == 0
    assert "USAGE: bosun <subcommand>" in output
    assert "serve" in output and "mock-provider" in output


def test_no_command_on_a_pipe_serves(bosun_bin):
    answer = subprocess.run([bosun_bin], input='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}\n',
                            capture_output=True, text=True, timeout=30)
    assert answer.returncode == 0
    assert '"serverInfo"' in answer.stdout


@pytest.mark.parametrize("typed, meant", [("serv", "serve"), ("trce", "trace"), ("mock", "mock-provider")])
def test_a_misspelt_command_gets_did_you_mean(bosun_bin, typed, meant):
    result = run(bosun_bin, typed)
    assert result.returncode == 64
    assert f"unknown command '{typed}' (did you mean '{meant}'?)" in result.stderr


def test_help_for_an_unknown_command_exits_64(bosun_bin):
    result = run(bosun_bin, "help", "bogus")
    assert result.returncode == 64
    assert "unknown command 'bogus'" in result.stderr
    assert run(bosun_bin, "help", "serve").returncode == 0


def test_a_misspelt_config_key_gets_did_you_mean(bosun_bin, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("roles:\n  coder:\n    timeoutSecond: 5\n")
    result = run(bosun_bin, "config", "check", "--config", str(config))
    assert result.returncode != 0
    assert "roles.coder.timeoutSecond: unknown key (did you mean 'timeoutSeconds'?)" in result.stdout + result.stderr


def test_serve_typed_in_a_terminal_says_what_it_waits_for(bosun_bin, tmp_path):
    """`bosun serve` typed by a person waits for messages; it says so instead of looking hung, and Ctrl-D stops it."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["XDG_STATE_HOME"] = str(tmp_path)
        os.execv(bosun_bin, [bosun_bin, "serve"])
    output = b""
    try:
        while b"Ctrl-D to stop" not in output:
            ready, _, _ = select.select([fd], [], [], 30)
            if not ready:
                pytest.fail(f"bosun serve in a terminal said nothing for 30 s: {output!r}")
            output += os.read(fd, 4096)
        os.write(fd, b"\x04")  # Ctrl-D: the end of its input
        while True:
            ready, _, _ = select.select([fd], [], [], 30)
            if not ready:
                pytest.fail(f"bosun serve did not stop at Ctrl-D: {output!r}")
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: it closed the terminal
                break
            if not chunk:
                break
            output += chunk
    except BaseException:
        os.kill(pid, 9)
        raise
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    text = output.decode()
    assert "waits for JSON-RPC messages on stdin" in text and "bosun serve --mock" in text, text
    assert os.waitstatus_to_exitcode(status) == 0, text


def test_serve_on_a_pipe_says_nothing_of_terminals(bosun_bin, tmp_path):
    answer = subprocess.run([bosun_bin, "serve"], input='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}\n',
                            capture_output=True, text=True, timeout=30, env={**os.environ, "XDG_STATE_HOME": str(tmp_path)})
    assert answer.returncode == 0 and '"serverInfo"' in answer.stdout
    assert "Ctrl-D" not in answer.stderr, answer.stderr


def test_serve_usage_names_its_values_as_the_readme_does(bosun_bin):
    """`bosun serve --help` said [--max-message-bytes <max-message-bytes>], [--db <db>]: the README's N, PATH, DIR."""
    help_text = run(bosun_bin, "serve", "--help").stdout
    usage = re.sub(r"\s+", " ", help_text[help_text.index("USAGE:"):help_text.index("OPTIONS:")])
    readme = (ROOT / "README.md").read_text()
    block = re.sub(r"\s+", " ", re.search(r"```\n(bosun serve \[.*?)```", readme, re.S).group(1))
    shown = dict(re.findall(r"\[(--[a-z-]+)(?: <([^>]+)>)?\]", usage))
    documented = dict(re.findall(r"\[(--[a-z-]+)(?: ([^\]]+))?\]", block))
    assert set(shown) == set(documented), (usage, block)
    for option, value in shown.items():
        if option not in ("--framing", "--mode"):  # the README lists their values
            assert documented[option] == value, (option, usage, block)


@pytest.mark.parametrize("command", [["serve"], ["mock-provider"], ["trace", "sessions"], ["trace", "show"], ["trace", "export"],
                                     ["trace", "html"], ["trace", "prune"], ["config", "check"], ["roles"], ["top"], ["cancel"],
                                     ["answer"], ["trust"]], ids=" ".join)
def test_every_usage_line_names_its_values_in_capitals(bosun_bin, command):
    """A value is named as the docs name it (`--port <N>`, `--script <FILE>`), not by its option (`--port <port>`)."""
    help_text = run(bosun_bin, *command, "--help").stdout
    usage = re.sub(r"\s+", " ", help_text[help_text.index("USAGE:"):help_text.index("OPTIONS:")])
    # --framing and --mode list their values in the option's own help.
    values = [value for value in re.findall(r"<([^>]+)>", usage) if value not in ("framing", "mode", "tool(input)")]
    assert all(value == value.upper() for value in values), usage
