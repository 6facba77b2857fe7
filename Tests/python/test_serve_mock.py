"""`bosun serve --mock`: every method works offline, with no key and no mock to start by hand."""
import os

import pytest
from bosun_client import BosunClient, BosunError

KEYS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "BOSUN_MOCK_URL", "BOSUN_CONFIG")


@pytest.fixture
def offline(bosun_bin, tmp_path, monkeypatch):
    """`bosun serve --mock` in a small workspace, with no provider key or address set."""
    for name in KEYS:
        monkeypatch.delenv(name, raising=False)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "README.md").write_text("# Demo\n\nA small project.\n")
    client = BosunClient.start([bosun_bin, "serve", "--mock", "--db", str(tmp_path / "trace.sqlite")], cwd=str(workspace),
                               stderr=open(tmp_path / "stderr.log", "w"))
    client.initialize(str(workspace))
    yield client
    client.close()


def test_spawn_verify_and_synthesize_work_offline(offline):
    first = offline.spawn("Summarise the README", inputs=["README.md"], wait=True)
    second = offline.spawn("List the files", wait=True)
    assert first.state == "succeeded" and first.result is not None, first
    assert second.state == "succeeded", second
    verified = offline.verify(first.id, [{"kind": "files", "exist": ["README.md"]}])
    assert verified.passed, verified
    synthesis = offline.synthesize([first.id, second.id], "Combine the two results")
    assert synthesis.text


def test_orchestrate_works_offline_end_to_end(offline):
    result = offline.orchestrate("Describe this project in one paragraph", timeout=120)
    assert result.state == "succeeded", result.raw
    assert result.plan is not None and result.plan.subtasks
    assert result.workers and all(worker.state == "succeeded" for worker in result.workers), result.raw
    assert result.synthesis is not None and result.synthesis.text


def test_without_mock_a_missing_key_says_where_it_goes(bosun_bin, tmp_path, monkeypatch):
    for name in KEYS:
        monkeypatch.delenv(name, raising=False)
    client = BosunClient.start([bosun_bin, "serve", "--db", str(tmp_path / "trace.sqlite")], cwd=str(tmp_path))
    try:
        client.initialize(str(tmp_path))
        with pytest.raises(BosunError) as refused:
            client.spawn("Say hello", wait=True)
        assert "set the environment variable ANTHROPIC_API_KEY" in str(refused.value)
        assert '"env" of bosun\'s entry in the client\'s MCP server config' in str(refused.value)
    finally:
        client.close()
