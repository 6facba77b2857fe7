"""The Neovim plugin in clients/nvim, headless, against the real binary and `bosun mock-provider`.

Tests/nvim/plugin_test.lua drives it (spawn with a selection, events, the status window's
lines, steer, trace, await, verify, synthesize, orchestrate, cancel, an error,
:checkhealth); this starts the mock provider, writes the config and runs Neovim (`make
test` installs Debian's neovim).
"""
import os
import shutil
import subprocess

import pytest

from conftest import ROOT


def test_the_neovim_plugin_end_to_end(bosun_bin, mock_provider, tmp_path):
    nvim = shutil.which("nvim")
    if nvim is None:
        pytest.fail("nvim is not installed; `make test` installs it (APT_TEST_PACKAGES)")
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
    env = {**os.environ, "BOSUN_BIN": bosun_bin, "BOSUN_TEST_CONFIG": str(config),
           "BOSUN_TEST_WORKSPACE": str(workspace), "BOSUN_TEST_DB": str(tmp_path / "trace.sqlite")}
    run = subprocess.run([nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n",
                          "--cmd", f"set runtimepath^={ROOT / 'clients' / 'nvim'}",
                          "-c", "runtime plugin/bosun.lua",
                          "-c", f"luafile {ROOT / 'Tests' / 'nvim' / 'plugin_test.lua'}"],
                         cwd=workspace, env=env, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert run.returncode == 0 and "ok" in run.stdout, run.stdout + run.stderr
