"""The installed `bosun_client` package against the real binary and `bosun mock-provider`.

The package comes from `pip install ./clients/python` (Tests/python/requirements.txt), so
these tests also prove that it installs, with its type marker, from a plain checkout.
"""
import asyncio
import importlib.metadata
import os
import pathlib
import re
import subprocess
import sys

import pytest

from conftest import ROOT, release_when_held, write_mock_config

import bosun_client
from bosun_client import (AsyncBosunClient, BosunClient, BosunError, ConnectionClosed, ErrorCode, Limits, RequestTimeout,
                          SessionStatus, Worker, WorkerEvent)


def start_client(bosun_bin, directory, port, *extra):
    config = write_mock_config(directory, port)
    return BosunClient.start([bosun_bin, "serve", "--config", str(config), *extra], cwd=directory)


def test_the_package_is_installed_with_its_type_marker():
    location = pathlib.Path(bosun_client.__file__).resolve().parent
    assert "site-packages" in location.parts and (ROOT / "clients" / "python") not in location.parents, \
        f"bosun_client was imported from {location}, not installed"
    assert (location / "py.typed").is_file()
    assert importlib.metadata.version("bosun-client") == bosun_client.__version__


def test_the_package_type_checks():
    """py.typed promises sound hints: mypy checks the installed package as a user's checker would."""
    run = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", os.devnull, "-p", "bosun_client"],
                         cwd=ROOT / "Tests", capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_readme_example_runs_against_a_slow_model(bosun_bin, mock_provider, tmp_path):
    port = mock_provider("--latency-ms", "700")
    readme = (ROOT / "clients" / "python" / "README.md").read_text()
    example = re.search(r"## Example\n\n```python\n(.*?)```", readme, re.S).group(1)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "notes.txt").write_text("a note\n")
    on_path = tmp_path / "bin"  # the example runs `bosun` from PATH, as a user would
    on_path.mkdir()
    (on_path / "bosun").symlink_to(bosun_bin)
    env = {**os.environ, "PATH": f"{on_path}{os.pathsep}{os.environ['PATH']}",
           "BOSUN_CONFIG": str(write_mock_config(tmp_path, port))}
    run = subprocess.run([sys.executable, "-c", example], cwd=workspace, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    kinds = re.findall(r"^\s*\d+ (\w+)$", run.stdout, re.M)
    assert kinds[0] == "queued" and "started" in kinds and kinds[-1] == "succeeded", run.stdout
    assert re.search(r"^succeeded \d+ steps \$0\.\d{4}$", run.stdout, re.M), run.stdout


def test_spawn_wait_returns_the_finished_worker_typed(bosun_bin, mock_provider, tmp_path):
    with start_client(bosun_bin, tmp_path, mock_provider("--latency-ms", "300")) as client:
        info = client.initialize(root=str(tmp_path), max_concurrent_workers=2)
        assert info.server_name == "bosun" and info.supports("spawn") and info.session.max_concurrent_workers == 2
        worker = client.spawn("Say what this directory holds", role="researcher", wait=True)
        assert isinstance(worker, Worker) and worker.state == "succeeded" and worker.ended
        assert worker.result.text and worker.steps >= 1 and worker.usage.total_tokens > 0
        assert worker.ended_at >= worker.started_at >= worker.created_at
        status = client.status()
        assert isinstance(status, SessionStatus) and status.counts["succeeded"] == 1
        assert [w.id for w in status.workers] == [worker.id]
        assert {role.name for role in client.roles()} >= {"worker", "researcher"}


def test_errors_carry_the_servers_code_message_and_field(bosun_bin, mock_provider, tmp_path):
    with start_client(bosun_bin, tmp_path, mock_provider()) as client:
        with pytest.raises(BosunError) as before:
            client.status()
        assert before.value.code == ErrorCode.NOT_INITIALIZED
        client.initialize(root=str(tmp_path))
        with pytest.raises(BosunError) as bad_limit:
            client.spawn("Count the files", limits=Limits(max_steps=0))
        assert bad_limit.value.code == ErrorCode.INVALID_PARAMS and bad_limit.value.field == "limits.maxSteps"
        assert "limits.maxSteps" in str(bad_limit.value) and bad_limit.value.data == {"field": "limits.maxSteps"}
        with pytest.raises(BosunError) as unknown:
            client.steer("w_nobody", "hello")
        assert unknown.value.code == ErrorCode.UNKNOWN_WORKER and "w_nobody" in unknown.value.message
        with pytest.raises(BosunError) as role:
            client.spawn("Count the files", role="pirate")
        assert role.value.code == ErrorCode.UNKNOWN_ROLE_MODEL_OR_PROVIDER and "researcher" in role.value.message


def test_a_bosun_that_is_not_there_says_where_bosun_comes_from(tmp_path):
    """`start(["bosun", "serve"])` before bosun is on PATH (after `make demo`, say) was a bare ENOENT."""
    argv = [str(tmp_path / "no-bosun-here"), "serve"]
    with pytest.raises(FileNotFoundError) as missing:
        BosunClient.start(argv)
    assert "put the bosun binary on PATH" in str(missing.value) and ".build/debug/bosun" in str(missing.value)
    assert missing.value.filename == argv[0]

    async def start_async() -> None:
        await AsyncBosunClient.start(argv)
    with pytest.raises(FileNotFoundError) as missing_async:
        asyncio.run(start_async())
    assert "put the bosun binary on PATH" in str(missing_async.value)
    # A missing working directory is said as itself.
    with pytest.raises(FileNotFoundError) as no_cwd:
        BosunClient.start(["true"], cwd=str(tmp_path / "gone"))
    assert "put the bosun binary on PATH" not in str(no_cwd.value)


def test_a_server_that_dies_fails_every_call_with_connection_closed(bosun_bin, mock_provider, tmp_path):
    client = start_client(bosun_bin, tmp_path, mock_provider())
    client.initialize(root=str(tmp_path))
    client.process.kill()
    client.process.wait()
    for _ in range(2):  # whether the reader has seen the end yet or not
        with pytest.raises(ConnectionClosed) as closed:
            client.status()
        assert closed.value.code == ErrorCode.CONNECTION_CLOSED and "exited with code -9" in closed.value.message
    assert client.close() == -9


def test_a_client_timeout_cancels_the_request_on_the_server(bosun_bin, mock_provider, tmp_path):
    with start_client(bosun_bin, tmp_path, mock_provider("--latency-ms", "5000"), "--debug-methods") as client:
        client.initialize(root=str(tmp_path))
        with pytest.raises(RequestTimeout) as sleep:
            client.request("debug/sleep", {"seconds": 600}, timeout=0.3)
        assert isinstance(sleep.value, TimeoutError) and sleep.value.cancelled
        assert "$/cancelRequest" in str(sleep.value) and "confirmed" in str(sleep.value)
        with pytest.raises(RequestTimeout) as spawn:
            client.spawn("Wait for a slow model", wait=True, timeout=0.5)
        assert spawn.value.cancelled and "worker is cancelled too" in str(spawn.value)
        [worker] = client.status().workers
        assert worker.state == "cancelled"


def test_event_streams_follow_one_worker_each_and_steer_reaches_it(bosun_bin, mock_provider, tmp_path):
    # The steered worker's first model call is held until the steer is answered: it surely runs then.
    script = tmp_path / "hold.yaml"
    script.write_text('rules:\n  - match: { lastMessage: "List the files" }\n    hold: true\n    times: 1\n')
    port = mock_provider("--latency-ms", "300", "--script", str(script))
    with start_client(bosun_bin, tmp_path, port) as client:
        client.initialize(root=str(tmp_path))
        steered = client.spawn("List the files", role="researcher")
        other = client.spawn("Name the files")
        seen = []
        for event in client.events(steered.id):
            seen.append(event)
            if event.kind == "started":
                assert client.steer(steered.id, "Keep it short.").delivery == "next-step"
                release_when_held(port, 1)
        assert all(isinstance(e, WorkerEvent) and e.worker_id == steered.id for e in seen)
        assert [e.seq for e in seen] == list(range(seen[0].seq, seen[0].seq + len(seen))), "a gap or a repeat"
        kinds = [e.kind for e in seen]
        assert kinds[0] == "queued" and "steered" in kinds and kinds[-1] == "succeeded"
        # The other worker ran meanwhile: its stream starts from the store.
        other_kinds = [e.kind for e in client.events(other.id)]
        assert other_kinds[0] == "queued" and other_kinds[-1] == "succeeded"


def test_cancel_ends_a_running_worker_and_its_stream(bosun_bin, mock_provider, tmp_path):
    with start_client(bosun_bin, tmp_path, mock_provider("--latency-ms", "5000")) as client:
        client.initialize(root=str(tmp_path))
        doomed = client.spawn("Wait for a slow model")
        stream = client.events(doomed.id)
        assert [next(stream).kind, next(stream).kind] == ["queued", "started"]
        assert client.cancel(doomed.id, reason="not needed").cancelled == [doomed.id]
        assert [e.kind for e in stream][-1] == "cancelled"
        assert client.status(doomed.id).error.code == "cancelled"


def test_the_asyncio_client(bosun_bin, mock_provider, tmp_path):
    port = mock_provider("--latency-ms", "300")
    config = write_mock_config(tmp_path, port)

    async def run():
        async with await AsyncBosunClient.start([bosun_bin, "serve", "--config", str(config), "--debug-methods"],
                                                cwd=tmp_path) as client:
            info = await client.initialize(root=str(tmp_path), max_concurrent_workers=3)
            assert info.session.max_concurrent_workers == 3
            workers = [await client.spawn(f"Count the files, part {n}") for n in range(3)]

            async def kinds(worker_id):
                return [event.kind async for event in client.events(worker_id)]

            streams = await asyncio.gather(*(kinds(w.id) for w in workers))
            assert all(s[0] == "queued" and s[-1] == "succeeded" for s in streams), streams
            done = await client.await_workers([w.id for w in workers])
            assert sorted(w.id for w in done.finished) == sorted(w.id for w in workers) and done.pending == []
            with pytest.raises(RequestTimeout) as timeout:
                await client.request("debug/sleep", {"seconds": 600}, timeout=0.3)
            assert timeout.value.cancelled
            with pytest.raises(BosunError) as unknown:
                await client.cancel("w_nobody")
            assert unknown.value.code == ErrorCode.UNKNOWN_WORKER
            return await client.close()

    assert asyncio.run(run()) == 0


def test_cancelling_an_asyncio_task_cancels_its_request_on_the_server(bosun_bin, mock_provider, tmp_path):
    config = write_mock_config(tmp_path, mock_provider("--latency-ms", "60000"))

    async def run():
        started = asyncio.Event()

        def on_notification(note):
            if note.method == "worker/event" and note.params["kind"] == "started":
                started.set()

        async with await AsyncBosunClient.start([bosun_bin, "serve", "--config", str(config)], cwd=tmp_path,
                                                on_notification=on_notification) as client:
            await client.initialize(root=str(tmp_path))
            waiting = asyncio.ensure_future(client.spawn("Wait for a slow model", wait=True))
            await started.wait()
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            [worker] = (await client.status()).workers
            async for event in client.events(worker.id):
                last = event
            return last.kind, (await client.status(worker.id)).error.code

    assert asyncio.run(asyncio.wait_for(run(), 60)) == ("cancelled", "cancelled")
