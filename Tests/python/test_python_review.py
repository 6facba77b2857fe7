"""`changes`, `apply` and `discard` through the `bosun_client` package (sync and asyncio),
against the real binary: a coder's write waits in its layer until it is applied."""
import asyncio

import pytest

from conftest import write_mock_config

from bosun_client import AsyncBosunClient, BosunClient, BosunError, ErrorCode

SCRIPT = """\
rules:
  - match: { lastMessage: "in this worker's layer" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "edited" } }] }
  - match: { lastMessage: "Edit the notes", turn: 0 }
    reply: { toolCalls: [{ name: write_file, input: { path: notes.txt, content: "edited\\n" } }] }
"""


@pytest.fixture
def world(mock_provider, tmp_path):
    script = tmp_path / "mock.yaml"
    script.write_text(SCRIPT)
    port = mock_provider("--tool-steps", "0", "--script", str(script))
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "notes.txt").write_text("original\n")
    return write_mock_config(tmp_path, port), workspace, tmp_path / "trace.sqlite"


def test_sync_client_reviews_applies_and_refuses_twice(bosun_bin, world):
    config, workspace, db = world
    client = BosunClient.start([bosun_bin, "serve", "--config", str(config), "--db", str(db)], cwd=str(workspace))
    try:
        client.initialize(str(workspace))
        worker = client.spawn("Edit the notes", role="coder", wait=True)
        assert (workspace / "notes.txt").read_text() == "original\n"
        changes = client.changes(worker.id)
        assert [(f["path"], f["status"], f["additions"], f["deletions"]) for f in changes["files"]] == [("notes.txt", "modified", 1, 1)]
        assert "-original\n+edited" in changes["diff"]
        assert client.changes(worker.id, context=0)["diff"].endswith("@@ -1 +1 @@\n-original\n+edited\n")
        with pytest.raises(BosunError) as negative:
            client.changes(worker.id, context=-1)
        assert negative.value.code == ErrorCode.INVALID_PARAMS and "context" in str(negative.value)
        assert client.apply(worker.id) == {"applied": ["notes.txt"], "conflicts": [], "state": "applied"}
        assert (workspace / "notes.txt").read_text() == "edited\n"
        with pytest.raises(BosunError) as again:
            client.apply(worker.id)
        assert again.value.code == ErrorCode.WRONG_WORKER_STATE
        with pytest.raises(BosunError) as unknown:
            client.discard("w_nope")
        assert unknown.value.code == ErrorCode.UNKNOWN_WORKER
    finally:
        client.close()


def test_async_client_discards(bosun_bin, world):
    config, workspace, db = world

    async def run():
        client = await AsyncBosunClient.start([bosun_bin, "serve", "--config", str(config), "--db", str(db)], cwd=str(workspace))
        try:
            await client.initialize(str(workspace))
            worker = await client.spawn("Edit the notes", role="coder", wait=True)
            assert (await client.changes(worker.id))["files"][0]["path"] == "notes.txt"
            assert await client.discard(worker.id) == {"discarded": ["notes.txt"]}
            assert (await client.status(worker.id)).raw["changes"]["state"] == "discarded"
        finally:
            await client.close()

    asyncio.run(run())
    assert (workspace / "notes.txt").read_text() == "original\n"
