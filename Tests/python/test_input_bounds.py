"""Inputs are bounded by size, not only by count, over the real binary: a 40 MB task is
refused with -32602 naming the field and the limit, and the server goes on serving; six
workers with the largest legal briefs keep the session's `status` small, since it lists
summaries, not briefs."""
import json
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "reliability"))

from world import BosunError, World, kill_hard  # noqa: E402


@pytest.fixture
def world(bosun_bin):
    # Each call takes 30 s: the workers stay running while status is read.
    made = World(bosun_bin, ["--latency-ms", "30000", "--tool-steps", "1"])
    yield made
    made.close()


def test_a_forty_megabyte_task_is_refused_naming_the_field(world):
    client = world.serve()
    try:
        client.initialize(root=str(world.workspace))
        with pytest.raises(BosunError) as refused:
            client.spawn("x" * (40 << 20))
        assert refused.value.code == -32602
        assert refused.value.data["field"] == "task"
        assert "the limit is 65536" in refused.value.message
        with pytest.raises(BosunError) as steered:
            client.steer("w_0000000000000000", "y" * 70_000)
        assert steered.value.code == -32602 and steered.value.data["field"] == "message"
        assert client.status().counts["queued"] == 0
        assert client.close() == 0
    finally:
        if client.process.poll() is None:
            kill_hard(client)


def test_six_largest_legal_briefs_keep_status_small(world):
    client = world.serve()
    try:
        client.initialize(root=str(world.workspace))
        task = "Summarise " + "t" * (65_536 - 10)
        inputs = ["i" * 65_536] * 32
        ids = [client.spawn(task, inputs=inputs, do_not=["d" * 4_096] * 64).id for _ in range(6)]
        answer = client.request("status")
        size = len(json.dumps(answer))
        assert size < 16_000, f"status of six workers is {size} bytes"
        assert all(len(worker["task"]) == 240 and worker["task"].endswith("…") for worker in answer["workers"])
        assert client.status(ids[0]).task == task, "status with workerId still gives the whole task"
        client.cancel_all()
        assert client.close() == 0
    finally:
        if client.process.poll() is None:
            kill_hard(client)
