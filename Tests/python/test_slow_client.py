"""A client that stops reading `bosun serve`'s output while its workers run.

The real binary, a real mock provider, real pipes: the client writes 30 spawns and reads
nothing until every worker has ended (it watches the trace store's file for that). With a
small `--notification-backlog-bytes`, bosun must drop worker events rather than hold them,
never drop a response or a terminal event, and tell the client how many it missed once it
reads again; every missed event is in the trace.
"""
import json
import sqlite3
import subprocess
import threading
import time

from conftest import write_mock_config
from test_protocol_schemas import check

WORKERS = 30


def read_until_answered(serve, message_id):
    """The messages `serve` writes up to and including its answer to `message_id` (within a minute)."""
    watchdog = threading.Timer(60, serve.kill)
    watchdog.start()
    try:
        messages = []
        while not messages or messages[-1].get("id") != message_id:
            line = serve.stdout.readline()
            assert line, f"bosun serve ended its output without answering request {message_id}"
            if line.strip():
                messages.append(json.loads(line))
        return messages
    finally:
        watchdog.cancel()


def terminal_workers(db_path):
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM workers WHERE state IN "
                              "('succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted')").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not created yet


def test_a_client_that_stops_reading_misses_only_what_it_can_fetch_again(bosun_bin, mock_provider, tmp_path):
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    for index in range(40):  # so that each list_files result (and its event) is ~2 KB
        (workspace / f"a-file-with-a-rather-long-name-to-make-the-listing-big-{index:02}.txt").write_text("x\n")
    config = write_mock_config(tmp_path, mock_provider("--latency-ms", "0", "--tool-steps", "3"))
    serve = None
    try:
        db = tmp_path / "trace.sqlite"
        serve = subprocess.Popen([bosun_bin, "serve", "--config", str(config), "--db", str(db), "--framing", "ndjson",
                                  "--notification-backlog-bytes", "8192", "--log-level", "error"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=workspace)

        def send(message_id, method, params):
            serve.stdin.write((json.dumps({"jsonrpc": "2.0", "id": message_id, "method": method, "params": params}) + "\n").encode())
            serve.stdin.flush()

        send(0, "initialize", {"rootUri": f"file://{workspace}", "initializationOptions": {"maxConcurrentWorkers": 5}})
        assert "result" in json.loads(serve.stdout.readline())
        for index in range(WORKERS):
            send(1 + index, "spawn", {"task": f"List the files, part {index}"})

        # The client reads nothing until every worker has ended.
        deadline = time.monotonic() + 90
        while terminal_workers(db) < WORKERS:
            assert time.monotonic() < deadline, f"only {terminal_workers(db)} of {WORKERS} workers ended within 90 s"
            assert serve.poll() is None, "bosun serve exited"
            time.sleep(0.1)  # paces the checks of the store; the wait is for every worker to end

        send(1000, "trace", {"limit": 10000})
        messages = read_until_answered(serve, 1000)
        # A drop notice is written once the backlog has shrunk, which may be after that answer:
        # the answer to a request sent now comes after everything already queued.
        send(1001, "status", {})
        messages += read_until_answered(serve, 1001)[:-1]
        responses = {m["id"]: m for m in messages if "id" in m}
        assert sorted(responses) == list(range(1, WORKERS + 1)) + [1000], "a response went missing"
        assert all("result" in responses[1 + index] for index in range(WORKERS))

        events = [m["params"] for m in messages if m.get("method") == "worker/event"]
        notices = [m["params"] for m in messages if m.get("method") == "bosun/notificationsDropped"]
        assert notices, "nothing was dropped, or the client was not told"
        for notice in notices:
            check("bosun/notificationsDropped.params", notice)
        assert "trace" in notices[0]["message"]
        stored = responses[1000]["result"]["events"]
        terminal = {"succeeded", "failed", "cancelled", "timed_out", "interrupted"}
        assert sorted(e["workerId"] for e in events if e["kind"] in terminal) == sorted(
            e["workerId"] for e in stored if e["kind"] in terminal), "a terminal event went missing"
        assert len({e["workerId"] for e in stored if e["kind"] == "succeeded"}) == WORKERS
        # Each stored event was either sent or counted as dropped (the trace answer came last).
        assert len(events) + sum(n["count"] for n in notices) == len(stored)
        received = {(e["workerId"], e["seq"]) for e in events}
        assert received <= {(e["workerId"], e["seq"]) for e in stored}
    finally:
        if serve:
            serve.stdin.close()
            serve.wait(timeout=30)
