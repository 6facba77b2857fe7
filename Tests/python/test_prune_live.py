"""`bosun trace prune` against running servers: a session a live process holds is never
deleted, however old the cut-off says it is, and prune says what it skipped. Once the
servers are gone (a clean exit, or kill -9), their sessions are pruned like any other."""
import json
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "reliability"))

from world import World, kill_hard  # noqa: E402


def prune(world: World) -> str:
    run = subprocess.run([world.bosun, "trace", "prune", "--older-than", "0s", "--db", str(world.db)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_prune_leaves_live_sessions_whole_and_removes_them_once_their_servers_are_gone(bosun_bin):
    world = World(bosun_bin, ["--latency-ms", "5", "--tool-steps", "1"])
    clients = [world.serve(), world.serve()]
    try:
        sessions = [client.initialize(root=str(world.workspace)).session.id for client in clients]
        answered = {}
        for client in clients:
            for index in range(3):
                worker = client.spawn(f"Summarise part {index} of the README.", wait=True)
                assert worker.state == "succeeded"
                answered[worker.id] = worker.result.text

        report = prune(world)
        assert report.startswith("pruned 0 sessions\n"), report
        assert f"skipped 2 held by a running bosun: {' '.join(sorted(sessions))}" in report, report

        stored = {row[0]: (row[1], json.loads(row[2])["text"]) for row in
                  world.query("SELECT id, state, result_json FROM workers")}
        assert stored == {worker: ("succeeded", text) for worker, text in answered.items()}
        for client, session in zip(clients, sessions):
            later = client.spawn("Name the README's title.", wait=True)
            assert later.state == "succeeded"
            assert world.query("SELECT s.id FROM workers w JOIN sessions s ON s.id = w.session_id WHERE w.id = ?",
                               later.id) == [(session,)]
            assert client.status(later.id).result.text == later.result.text

        assert clients[0].close() == 0
        kill_hard(clients[1])
        assert prune(world) == "pruned 2 sessions\n"
        assert world.query("SELECT COUNT(*) FROM workers") == [(0,)]
        assert world.query("SELECT COUNT(*) FROM session_leases") == [(0,)]
    finally:
        for client in clients:
            if client.process.poll() is None:
                kill_hard(client)
        world.close()
