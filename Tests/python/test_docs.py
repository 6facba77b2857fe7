"""The docs against the binary: the commands they show run, and their lists match it.

Runnable examples. A fenced ```sh block on the line after `<!-- runnable -->` (an HTML
comment, invisible on the rendered page) in README.md, docs/*.md, protocol/README.md or
clients/*/README.md is run by `test_the_runnable_examples_run` with bash (`-e -o pipefail`):
every command must succeed within 120 s. The blocks of one page run in order, in one fresh
directory that is also HOME, so a block may use a file an earlier one wrote. They run
offline: the `bosun` on PATH is the build under test, no provider key is set,
`BOSUN_MOCK_URL` points at a running `bosun mock-provider`, and XDG_STATE_HOME and
XDG_CONFIG_HOME are inside the directory. What a block starts in the background is killed
when it ends. To add an example: write it as a ```sh block that needs nothing else and put
`<!-- runnable -->` on the line above it. A block that needs a terminal, a network, a key or
a file of your own machine stays unmarked.

Lists that must match the binary: the built-in roles table of docs/configuration.md (every
role `bosun roles --json` lists, with its model, timeout, steps, cost cap and tools), every
`--mode` list (every value `bosun serve --help` accepts), and no page that says a protocol
the binary speaks is missing.
"""
import json
import os
import re
import signal
import subprocess

import pytest

from conftest import ROOT

PAGES = [ROOT / "README.md", ROOT / "protocol" / "README.md", *sorted((ROOT / "docs").glob("*.md")),
         *sorted((ROOT / "clients").glob("*/README.md"))]
MARKER = "<!-- runnable -->"


def runnable_blocks(page):
    """The page's marked ```sh blocks, each with its line number."""
    text = page.read_text()
    return [(text[:match.start()].count("\n") + 2, match.group(1))
            for match in re.finditer(re.escape(MARKER) + r"\n```(?:sh|bash)\n(.*?)```", text, re.S)]


def test_every_marker_stands_on_a_shell_block():
    for page in PAGES:
        text = page.read_text()
        assert text.count(MARKER) == len(runnable_blocks(page)), \
            f"{page.relative_to(ROOT)}: a {MARKER} line must be followed at once by a ```sh block"


def test_the_docs_mark_runnable_examples():
    marked = {page.relative_to(ROOT).as_posix() for page in PAGES if runnable_blocks(page)}
    assert {"README.md", "docs/configuration.md", "docs/trace.md"} <= marked, marked


@pytest.mark.parametrize("page", [p for p in PAGES if runnable_blocks(p)], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_runnable_examples_run(page, bosun_bin, mock_provider, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "bosun").symlink_to(bosun_bin)
    home = tmp_path / "home"
    home.mkdir()
    env = {name: value for name, value in os.environ.items() if not name.endswith("_API_KEY")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", HOME=str(home), XDG_STATE_HOME=str(home / ".state"),
               XDG_CONFIG_HOME=str(home / ".config"), BOSUN_MOCK_URL=f"http://127.0.0.1:{mock_provider()}/v1")
    env.pop("BOSUN_CONFIG", None)
    for line, block in runnable_blocks(page):
        run = subprocess.Popen(["bash", "-e", "-o", "pipefail", "-c", block], cwd=home, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = run.communicate(timeout=120)
        finally:
            try:
                os.killpg(run.pid, signal.SIGKILL)  # whatever the block left running
            except ProcessLookupError:
                pass
        where = f"{page.relative_to(ROOT)}:{line}"
        assert run.returncode == 0, f"the example at {where} failed ({run.returncode}):\n{block}\n--- stdout\n{out[-3000:]}\n--- stderr\n{err[-3000:]}"


def role_table(text):
    """The built-in roles table of docs/configuration.md: role -> its cells."""
    table = text[text.index("Built-in roles"):]
    table = table[:table.index("\n\n", table.index("| role |"))]
    rows = [line.strip("|").split("|") for line in table.splitlines() if line.startswith("| `")]
    return {cells[0].strip().strip("`"): [cell.strip() for cell in cells[1:]] for cells in rows}


def test_the_roles_table_lists_every_built_in_role(bosun_bin, tmp_path):
    answer = subprocess.run([bosun_bin, "roles", "--json"], cwd=tmp_path, capture_output=True, text=True, check=True,
                            env={**os.environ, "BOSUN_CONFIG": ""})
    roles = {role["name"]: role for role in json.loads(answer.stdout)["roles"] if role["source"] == "built-in"}
    table = role_table((ROOT / "docs" / "configuration.md").read_text())
    assert set(table) == set(roles), f"docs/configuration.md lists {sorted(table)}; bosun has {sorted(roles)}"
    for name, role in roles.items():
        model, timeout, steps, cost, tools = table[name]
        limits = role["limits"]
        assert model == f"`{role['model']}` tier", name
        assert timeout == f"{limits['timeoutSeconds'] // 60} min", name
        assert steps == str(limits["maxSteps"]), name
        assert cost == f"${limits['maxCostUSD']:.2f}", name
        listed = re.sub(r"\s*\(.*\)$", "", tools)
        assert (listed.split(", ") if listed != "" else []) == role["tools"], name


def test_every_mode_list_names_every_mode(bosun_bin):
    help_text = subprocess.run([bosun_bin, "serve", "--help"], capture_output=True, text=True, check=True).stdout
    modes = re.search(r"--mode <mode> Protocol.*?\(values: ([^;]+);", re.sub(r"\s+", " ", help_text)).group(1).split(", ")
    assert "acp" in modes, modes
    for page in PAGES:
        for listed in re.findall(r"--mode ((?:[a-z0-9]+(?:\\?\|))+[a-z0-9]+)", page.read_text()):
            assert listed.replace("\\", "").split("|") == modes, f"{page.relative_to(ROOT)} lists --mode {listed}"


def test_no_page_says_a_protocol_it_speaks_is_missing():
    for page in PAGES:
        text = re.sub(r"\s+", " ", page.read_text())
        assert not re.search(r"(ACP|MCP)[^.]*not in this build", text), f"{page.relative_to(ROOT)} says a protocol is missing"
