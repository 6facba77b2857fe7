"""`make stress`: the orchestration under load, over the real binary and the mock provider.

- cap-storm: 1,000 random spawn / cancel / steer operations from several threads at once
  against a session capped at 4; the cap is checked three ways: replaying the `worker/event`
  notifications in arrival order, replaying the store's events in commit order, and polling
  `status` throughout. No notification may be dropped (the replay needs them all).
- queue: 10,000 spawns written back to back behind one busy slot, all accepted; the server's
  RSS and the latency of a whole-session `status` with 10,000 workers (to the answer's last
  byte, before parsing) are recorded, then everything is cancelled.
- shared-store: 20 `bosun serve` processes, one session each, on one store file, each running
  its workers to the end; every worker ends `succeeded` in its own session, and
  `PRAGMA integrity_check` says ok.
- sizes: a 40 MB `task` is refused with -32602 naming `task`; six workers with the largest
  legal briefs (a 64 Ki-character task, 32 inputs of 64 Ki, 64 `doNot` of 4 Ki) are taken;
  the server's RSS, the whole-session `status` size and the store's size are recorded.
- sandbox: a fork bomb, a 1 GB write to /tmp and a 4 GB allocation, each as a `verify`
  command check in the default sandbox: each is stopped by its bound.

Run: python3 Tests/reliability/stress.py [cap-storm queue shared-store sizes sandbox]   (exit status 1 on a
violation). Each part prints one JSON line of figures; timing figures are recorded, not
asserted (they go to bench/RESULTS.md).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from world import (TERMINAL, BosunError, Collector, World, bosun_binary, percentile, rss_kib, wait_until)


def peak_running(events: list[tuple[str, str]]) -> int:
    """The most workers running at once in a sequence of (workerId, kind): `started` takes
    a slot, a terminal event gives it back."""
    running: set[str] = set()
    peak = 0
    for worker_id, kind in events:
        if kind == "started":
            running.add(worker_id)
            peak = max(peak, len(running))
        elif kind in TERMINAL:
            running.discard(worker_id)
    return peak


def cap_storm(bosun: str, operations: int = 1000, cap: int = 4, seed: int = 7) -> dict:
    rng = random.Random(seed)
    world = World(bosun, ["--latency-ms", "20", "--tool-steps", "1"])
    notes = Collector()
    client = world.serve(on_notification=notes)
    try:
        client.initialize(root=str(world.workspace), max_concurrent_workers=cap)
        known: list[str] = []
        known_lock = threading.Lock()
        tally = {"spawn": 0, "cancel": 0, "steer": 0, "refused": 0}
        status_peak = [0]
        done = threading.Event()

        def poll_status() -> None:
            while not done.is_set():
                running = client.request("status", timeout=60)["session"]["counts"]["running"]
                status_peak[0] = max(status_peak[0], running)

        def operate(index: int) -> None:
            op_rng = random.Random(seed * 100_003 + index)
            with known_lock:
                target = op_rng.choice(known) if known else None
            kind = op_rng.choices(["spawn", "cancel", "steer"], weights=[5, 3, 2])[0] if target else "spawn"
            try:
                if kind == "spawn":
                    worker = client.request("spawn", {"task": f"Storm item {index}", "priority": op_rng.randint(0, 3)},
                                            timeout=60)
                    with known_lock:
                        known.append(worker["id"])
                elif kind == "cancel":
                    client.request("cancel", {"workerId": target}, timeout=60)
                else:
                    client.request("steer", {"workerId": target, "message": f"Also note item {index}."}, timeout=60)
                outcome = kind
            except BosunError as error:
                # Cancelling an ended worker and steering a cancelled one are refused (-32011).
                if error.code != -32011:
                    raise
                outcome = "refused"
            with known_lock:
                tally[outcome] += 1

        poller = threading.Thread(target=poll_status, daemon=True)
        poller.start()
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(operate, range(operations)))
        done_all = client.request("await", {"timeoutSeconds": 300}, timeout=330)
        seconds = time.monotonic() - started
        done.set()
        poller.join(timeout=60)
        assert not done_all["pending"], f"{len(done_all['pending'])} workers did not end"
        client.close()
        notified = [(n.params["workerId"], n.params["kind"]) for n in notes.snapshot() if n.method == "worker/event"]
        dropped = [n for n in notes.snapshot() if n.method == "bosun/notificationsDropped"]
        stored = world.query("SELECT worker_id, kind FROM events ORDER BY id")
        figures = {"part": "cap-storm", "operations": operations, "cap": cap, **tally,
                   "workers": len(known), "events": len(stored), "seconds": round(seconds, 2),
                   "peak_from_notifications": peak_running(notified), "peak_from_store": peak_running(stored),
                   "peak_from_status": status_peak[0], "integrity": world.integrity()}
        assert not dropped, f"notifications were dropped: {dropped[0].params}"
        assert len(notified) == len(stored), f"{len(notified)} notifications, {len(stored)} stored events"
        for source in ("notifications", "store", "status"):
            assert 1 <= figures[f"peak_from_{source}"] <= cap, f"the cap broke by {source}: {figures}"
        assert figures["integrity"] == "ok", figures
        return figures
    finally:
        client.process.kill()
        world.close()


class RawPipe:
    """`bosun serve` over NDJSON on raw pipes: requests are written back to back without
    waiting, and an answer's latency is the time to its last byte, before any JSON parsing."""

    def __init__(self, world: World):
        self.process = subprocess.Popen(
            [world.bosun, "serve", "--config", str(world.config), "--db", str(world.db), "--framing", "ndjson",
             "--log-level", "error"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={**os.environ, **world.env}, cwd=str(world.workspace))
        self.next_id = 0

    def send(self, method: str, params: dict) -> int:
        self.next_id += 1
        line = json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}) + "\n"
        self.process.stdin.write(line.encode())
        return self.next_id

    def flush(self) -> None:
        self.process.stdin.flush()

    def answer_line(self) -> bytes:
        """The next line that is a response (notifications are skipped)."""
        while True:
            line = self.process.stdout.readline()
            assert line, "bosun serve closed its output"
            # Small lines are parsed to tell notifications from answers; a line this large
            # can only be a `status` answer, and parsing it would be timed with it.
            if len(line) > 1 << 16 or "method" not in json.loads(line):
                return line

    def call(self, method: str, params: dict) -> dict:
        self.send(method, params)
        self.flush()
        answer = json.loads(self.answer_line())
        assert "result" in answer, f"{method}: {answer}"
        return answer["result"]

    def timed(self, method: str, params: dict) -> tuple[float, int]:
        """Milliseconds to the last byte of the answer, and its size."""
        sent = time.monotonic()
        self.send(method, params)
        self.flush()
        line = self.answer_line()
        return (time.monotonic() - sent) * 1000, len(line)


def queue_10k(bosun: str, spawns: int = 10_000, samples: int = 50) -> dict:
    # Every call takes 60 s: one worker holds the only slot, the rest wait on the queue.
    world = World(bosun, ["--latency-ms", "60000", "--tool-steps", "1"])
    serve = RawPipe(world)
    try:
        serve.call("initialize", {"rootUri": f"file://{world.workspace}",
                                  "initializationOptions": {"maxConcurrentWorkers": 1, "events": "terminal"}})
        rss_idle, _ = rss_kib(serve.process.pid)
        started = time.monotonic()

        def write_spawns() -> None:
            for index in range(spawns):
                serve.send("spawn", {"task": f"Wait in line {index}"})
            serve.process.stdin.flush()

        # Written from another thread while this one reads, so no answer waits in the server
        # for the client to read it (that would measure the output backlog, not the queue).
        writer = threading.Thread(target=write_spawns)
        writer.start()
        ids = []
        for _ in range(spawns):
            answer = json.loads(serve.answer_line())
            assert "result" in answer, f"a spawn was refused: {answer}"
            ids.append(answer["result"]["id"])
        writer.join()
        spawn_seconds = time.monotonic() - started
        assert len(set(ids)) == spawns
        counts = serve.call("status", {})["session"]["counts"]
        assert sum(counts.values()) == spawns and counts["running"] <= 1, counts
        unchanged = [serve.timed("status", {}) for _ in range(samples)]
        # A state change before each poll makes `status` encode afresh (no cached answer).
        changed = []
        for index in range(10):
            serve.call("cancel", {"workerId": ids[-1 - index]})
            changed.append(serve.timed("status", {}))
        rss_now, rss_peak = rss_kib(serve.process.pid)
        serve.call("cancel", {"all": True})
        left = serve.call("await", {"timeoutSeconds": 60})["pending"]
        assert not left, f"{len(left)} workers still waiting after cancel all"
        serve.call("shutdown", {})
        ms = [m for m, _ in unchanged]
        fresh = [m for m, _ in changed]
        return {"part": "queue", "spawns": spawns, "queued_at_status": counts["queued"],
                "spawn_seconds": round(spawn_seconds, 2), "spawns_per_second": round(spawns / spawn_seconds),
                "status_bytes": unchanged[-1][1],
                "status_ms_cached_p50": round(percentile(ms, 0.5), 1),
                "status_ms_cached_p99": round(percentile(ms, 0.99), 1),
                "status_ms_fresh_p50": round(percentile(fresh, 0.5), 1),
                "status_ms_fresh_max": round(max(fresh), 1),
                "rss_mib_idle": round(rss_idle / 1024, 1), "rss_mib_10k_queued": round(rss_now / 1024, 1),
                "rss_mib_peak": round(rss_peak / 1024, 1)}
    finally:
        serve.process.kill()
        serve.process.wait(timeout=30)
        world.close()


def shared_store(bosun: str, servers: int = 20, workers_each: int = 20) -> dict:
    world = World(bosun, ["--latency-ms", "20", "--tool-steps", "2"])
    clients = []
    try:
        started = time.monotonic()
        for _ in range(servers):
            clients.append(world.serve())

        def run_one(client) -> tuple[str, list[dict]]:
            session = client.initialize(root=str(world.workspace), max_concurrent_workers=4, events="terminal").session.id
            for index in range(workers_each):
                client.request("spawn", {"task": f"List the files, part {index}"}, timeout=120)
            answer = client.request("await", {"timeoutSeconds": 300}, timeout=330)
            assert not answer["pending"], f"session {session}: {len(answer['pending'])} workers did not end"
            return session, answer["finished"]

        with ThreadPoolExecutor(max_workers=servers) as pool:
            results = list(pool.map(run_one, clients))
        seconds = time.monotonic() - started
        codes = [client.close(timeout=60) for client in clients]
        sessions = {session for session, _ in results}
        assert len(sessions) == servers, "two servers opened the same session"
        for session, finished in results:
            states = {worker["state"] for worker in finished}
            assert len(finished) == workers_each and states == {"succeeded"}, f"session {session}: {states}"
            stored = world.query("SELECT COUNT(*) FROM workers WHERE session_id = ? AND state = 'succeeded'", session)
            assert stored[0][0] == workers_each, f"session {session}: {stored[0][0]} stored as succeeded"
        assert codes == [0] * servers, f"exit codes {codes}"
        events = world.query("SELECT COUNT(*) FROM events")[0][0]
        integrity = world.integrity()
        assert integrity == "ok", integrity
        return {"part": "shared-store", "servers": servers, "workers": servers * workers_each, "events": events,
                "seconds": round(seconds, 2), "integrity": integrity}
    finally:
        for client in clients:
            client.process.kill()
        world.close()


def store_bytes(world: World) -> int:
    return sum(path.stat().st_size for path in world.directory.glob("trace.sqlite*"))


def sizes(bosun: str) -> dict:
    # Each call takes 60 s: the workers stay running (five) and queued (one) while measured.
    world = World(bosun, ["--latency-ms", "60000", "--tool-steps", "1"])
    client = world.serve()
    try:
        client.initialize(root=str(world.workspace), max_concurrent_workers=5, events="terminal")
        rss_idle, _ = rss_kib(client.process.pid)
        started = time.monotonic()
        try:
            client.request("spawn", {"task": "x" * (40 << 20)}, timeout=120)
            raise AssertionError("a 40 MB task was accepted")
        except BosunError as refused:
            assert refused.code == -32602 and refused.data["field"] == "task", refused
        refusal_seconds = time.monotonic() - started
        rss_refused, rss_refused_peak = rss_kib(client.process.pid)
        task = "Summarise " + "t" * (65_536 - 10)
        brief = {"task": task, "inputs": ["i" * 65_536] * 32, "doNot": ["d" * 4_096] * 64}
        ids = [client.request("spawn", brief, timeout=120)["id"] for _ in range(6)]
        rss_six, rss_peak = rss_kib(client.process.pid)
        status = json.dumps(client.request("status", timeout=60))
        assert all(len(worker["task"]) == 240 for worker in json.loads(status)["workers"])
        assert len(client.request("status", {"workerId": ids[0]})["task"]) == len(task)
        stored = store_bytes(world)
        client.request("cancel", {"all": True})
        assert client.close(timeout=60) == 0
        return {"part": "sizes", "refusal_seconds": round(refusal_seconds, 2),
                "rss_mib_idle": round(rss_idle / 1024, 1), "rss_mib_after_40mb_refused": round(rss_refused / 1024, 1),
                "rss_mib_peak_40mb_refused": round(rss_refused_peak / 1024, 1),
                "brief_bytes": len(json.dumps(brief)), "rss_mib_six_largest_briefs": round(rss_six / 1024, 1),
                "rss_mib_peak": round(rss_peak / 1024, 1), "status_bytes_six": len(status),
                "store_mib_six": round(stored / (1 << 20), 1)}
    finally:
        if client.process.poll() is None:
            client.process.kill()
        world.close()


def sandbox_bounds(bosun: str) -> dict:
    """Three commands past the default sandbox bounds, run as `verify` command checks (the
    same sandbox as `run_command`): each is stopped by its bound."""
    world = World(bosun, ["--latency-ms", "10", "--tool-steps", "1"])
    client = world.serve()
    cases = {
        "fork_bomb": (["/bin/sh", "-c", "i=0; while [ $i -lt 2000 ]; do sleep 30 & i=$((i+1)); done; echo started $i"],
                      "Cannot fork", "started 2000"),
        "tmp_fill": (["/bin/sh", "-c", "dd if=/dev/zero of=/tmp/fill bs=1M count=1024"], "No space left on device",
                     "1073741824 bytes"),
        "memory_hog": (["/usr/bin/python3", "-c", "x = bytearray(4 << 30); print('allocated')"], "MemoryError", "allocated"),
    }
    try:
        client.initialize(root=str(world.workspace))
        worker = client.request("spawn", {"task": "Name the README's title.", "wait": True}, timeout=120)
        figures: dict = {"part": "sandbox"}
        for name, (command, expected, never) in cases.items():
            started = time.monotonic()
            answer = client.request("verify", {"workerId": worker["id"],
                                               "checks": [{"kind": "command", "command": command, "timeoutSeconds": 120}]},
                                    timeout=300)
            seconds = time.monotonic() - started
            output = answer["rounds"][-1]["checks"][0]["output"]
            assert expected in output and never not in output, f"{name}: {output[-400:]}"
            figures[f"{name}_seconds"] = round(seconds, 2)
            if name == "tmp_fill":
                copied = [line for line in output.splitlines() if "bytes" in line and "copied" in line]
                figures["tmp_fill_bytes_written"] = int(copied[-1].split()[0]) if copied else None
        assert client.close(timeout=60) == 0
        return figures
    finally:
        if client.process.poll() is None:
            client.process.kill()
        world.close()


PARTS = {"cap-storm": cap_storm, "queue": queue_10k, "shared-store": shared_store, "sizes": sizes,
         "sandbox": sandbox_bounds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("parts", nargs="*", metavar="part", help=f"any of {', '.join(PARTS)} (default: all)")
    parser.add_argument("--bosun", default=None, help="the binary (default: $BOSUN_BIN or the debug build)")
    args = parser.parse_args()
    unknown = [part for part in args.parts if part not in PARTS]
    if unknown:
        parser.error(f"unknown part {unknown[0]}; the parts are {', '.join(PARTS)}")
    bosun = args.bosun or bosun_binary()
    failed = False
    for part in args.parts or list(PARTS):
        try:
            print(json.dumps(PARTS[part](bosun), sort_keys=True), flush=True)
        except AssertionError as failure:
            print(f"FAILED {part}: {failure}", flush=True)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
