"""The Python client's promises a user's type checker and a user's paths hold it to.

`mypy --strict` checks this checkout's `clients/python` (not whatever copy is installed) and
every Python block of its README, as a user who copies them would check them. The params
functions take keywords only, so a reordered argument cannot silently land in the wrong
field. A workspace whose path has `#` or `%` reaches the server as the same directory.
"""
import importlib.util
import os
import re
import subprocess
import sys
import urllib.parse

import pytest

from conftest import ROOT, write_mock_config

CLIENT = ROOT / "clients" / "python"


def checkout_client():
    """This checkout's `bosun_client`, under a name of its own so the installed one stays as it is."""
    package = CLIENT / "bosun_client"
    spec = importlib.util.spec_from_file_location("bosun_client_checkout", package / "__init__.py",
                                                  submodule_search_locations=[str(package)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


client_package = checkout_client()
BosunClient = client_package.BosunClient
params = sys.modules["bosun_client_checkout.params"]

# A README fragment that uses `bosun` without starting it runs inside the first example's `with`.
FRAGMENT_PREAMBLE = "from bosun_client import BosunClient\nbosun: BosunClient\n"


def strict_mypy(*targets: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull,
                           *targets], cwd=CLIENT, env={**os.environ, "MYPYPATH": str(CLIENT)},
                          capture_output=True, text=True, timeout=300)


def test_the_package_passes_mypy_strict():
    run = strict_mypy("-p", "bosun_client")
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_readme_example_passes_mypy_strict(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", (CLIENT / "README.md").read_text(), re.S)
    assert len(blocks) >= 4, "the README's Python examples were not found"
    files = []
    for number, block in enumerate(blocks):
        example = tmp_path / f"readme_example_{number}.py"
        example.write_text(block if "import bosun_client" in block or "from bosun_client" in block
                           else FRAGMENT_PREAMBLE + block)
        files.append(str(example))
    run = strict_mypy(*files)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("build, args", [
    (params.spawn, ("a task", None, None, None, None, None, "researcher", None, None, None, None, None, False, None)),
    (params.steer, ("w_1", "a message")),
    (params.trace, ("w_1", 3, 10)),
])
def test_params_functions_take_keywords_only(build, args):
    with pytest.raises(TypeError, match="positional"):
        build(*args)


def test_root_uri_keeps_hash_and_percent_in_the_path(tmp_path):
    root = tmp_path / "notes #1 100%"
    root.mkdir()
    uri = params.initialize(root=str(root), client_name="t", session=None, max_concurrent_workers=None,
                            events=None, log_level=None)["rootUri"]
    parsed = urllib.parse.urlparse(uri)
    assert parsed.scheme == "file" and not parsed.fragment and urllib.parse.unquote(parsed.path) == str(root)


def test_the_server_opens_a_workspace_whose_path_has_hash_and_percent(bosun_bin, mock_provider, tmp_path):
    """`file://` + the path cut the URI at `#` and broke on `%`: the server refused the workspace."""
    root = tmp_path / "notes #1 100%"
    root.mkdir()
    config = write_mock_config(tmp_path, mock_provider())
    with BosunClient.start([bosun_bin, "serve", "--config", str(config)], cwd=tmp_path) as client:
        client.initialize(root=str(root))
        worker = client.spawn("Say what this directory holds", wait=True)
        assert worker.state == "succeeded", worker.error
