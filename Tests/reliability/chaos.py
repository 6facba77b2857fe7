"""`make chaos`: kill -9 `bosun serve` at random moments and check that nothing it
acknowledged is lost.

One session, ~100 workers against the mock provider with latency. Each round starts
`bosun serve` on the same store with the same session id (`initializationOptions.session`),
checks what the restarted server shows, then spawns more workers, resumes interrupted ones
with `steer`, awaits and polls, and is killed with SIGKILL at a random moment. After each
kill:

- `PRAGMA integrity_check` of the store file says ok;
- every worker whose spawn was answered is there;
- every terminal state the client was told (a `worker/event`, an `await`, a `status`) is
  unchanged, with the same result or error code, unless the client steered that worker since;
- nothing is left queued or running: what was running or queued is `interrupted` (or ended
  just before the kill, committed before anyone could be told).

A last server resumes every interrupted worker with `steer` and awaits them: each runs
again to an end.

Run: python3 Tests/reliability/chaos.py --rounds 20   (exit status 1 on any violation)
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time

from world import (CONNECTION_CLOSED, TERMINAL, BosunError, Collector, World, bosun_binary, kill_hard)


class Ledger:
    """What the client was told, across every round: the workers whose spawn was answered,
    and the last terminal state it heard of each (dropped when it steers the worker)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acknowledged: set[str] = set()
        self.told: dict[str, dict] = {}
        self.steered_since: set[str] = set()
        # Contradictions heard on the reader thread, reported by the next `verify`.
        self.contradictions: list[str] = []

    def spawned(self, worker_id: str) -> None:
        with self.lock:
            self.acknowledged.add(worker_id)

    def heard(self, worker: dict) -> None:
        """A view of a worker (from `status`, `await`, `spawn`) or a terminal event's data."""
        state = worker.get("state")
        if state not in TERMINAL:
            return
        with self.lock:
            if worker["id"] in self.steered_since:
                return
            told = {"state": state}
            if worker.get("error"):
                told["error"] = worker["error"].get("code")
            if worker.get("result"):
                told["result"] = worker["result"].get("text")
            previous = self.told.get(worker["id"])
            if previous and previous["state"] != state:
                self.contradictions.append(f"worker {worker['id']} was told {previous} and then {told} without a steer")
            self.told[worker["id"]] = {**(previous or {}), **told}

    def steering(self, worker_id: str) -> None:
        """Before a steer is sent: from now on the worker may legitimately change state."""
        with self.lock:
            self.told.pop(worker_id, None)
            self.steered_since.add(worker_id)

    def new_round(self) -> None:
        """States heard after a steer's answer count again from the next round on."""
        with self.lock:
            self.steered_since.clear()


def on_event(ledger: Ledger):
    def handle(note) -> None:
        if note.method != "worker/event":
            return
        params = note.params or {}
        if params.get("kind") in TERMINAL:
            data = params.get("data") or {}
            ledger.heard({"id": params["workerId"], "state": data.get("state", params["kind"]),
                          "error": data.get("error"), "result": data.get("result")})
    return handle


def verify(client, ledger: Ledger, round_number: int) -> dict:
    """What the restarted server shows, against everything the client was told."""
    status = client.request("status", timeout=60)
    workers = {worker["id"]: worker for worker in status["workers"]}
    problems = []
    missing = ledger.acknowledged - workers.keys()
    if missing:
        problems.append(f"{len(missing)} acknowledged workers are gone: {sorted(missing)[:5]}")
    for worker_id, worker in workers.items():
        if worker["state"] not in TERMINAL:
            problems.append(f"worker {worker_id} is {worker['state']} after a restart (want interrupted)")
    with ledger.lock:
        told = dict(ledger.told)
        problems += ledger.contradictions
    for worker_id, expected in told.items():
        shown = client.request("status", {"workerId": worker_id}, timeout=60)
        actual = {"state": shown["state"]}
        if "error" in expected:
            actual["error"] = (shown.get("error") or {}).get("code")
        if "result" in expected:
            actual["result"] = (shown.get("result") or {}).get("text")
        if actual != expected:
            problems.append(f"worker {worker_id} was told {expected}, the restarted server shows {actual}")
    if problems:
        raise AssertionError(f"round {round_number}: " + "; ".join(problems[:10]))
    counts = {}
    for worker in workers.values():
        counts[worker["state"]] = counts.get(worker["state"], 0) + 1
    return {"workers": len(workers), "told": len(told), "counts": counts}


def storm(client, ledger: Ledger, rng: random.Random, spawns: int, stop: threading.Event) -> None:
    """Resumes up to 8 ended workers, spawns `spawns` more, then awaits and polls until the
    server is killed (or `stop`). The resumed and new runs are what the kill interrupts; the
    workers left alone keep the states the next round checks."""
    def calls():
        yield "steer", None
        for index in range(spawns):
            yield "spawn", {"task": f"List the files, round worker {index}", "priority": rng.randint(0, 2)}
        while True:
            yield rng.choice(["await", "status", "status-one"]), None

    try:
        for method, params in calls():
            if stop.is_set():
                return
            if method == "spawn":
                ledger.spawned(client.request("spawn", params, timeout=30)["id"])
            elif method == "steer":
                status = client.request("status", timeout=30)
                for worker in status["workers"]:
                    ledger.heard(worker)
                # Interrupted workers first, then finished ones, so the kill finds runs in flight.
                ended = [w for w in status["workers"] if w["state"] in TERMINAL - {"cancelled"}]
                ended.sort(key=lambda w: (w["state"] != "interrupted", rng.random()))
                for worker_id in [w["id"] for w in ended[:8]]:
                    ledger.steering(worker_id)
                    client.request("steer", {"workerId": worker_id, "message": "Carry on."}, timeout=30)
            elif method == "await":
                answer = client.request("await", {"mode": "any", "timeoutSeconds": rng.uniform(0.05, 0.4)}, timeout=30)
                for worker in answer["finished"]:
                    ledger.heard(worker)
            elif method == "status":
                for worker in client.request("status", timeout=30)["workers"]:
                    ledger.heard(worker)
            else:
                known = sorted(ledger.acknowledged)
                if known:
                    ledger.heard(client.request("status", {"workerId": rng.choice(known)}, timeout=30))
    except BosunError as error:
        if error.code != CONNECTION_CLOSED:
            raise
    except (BrokenPipeError, OSError):
        pass  # killed while writing a request


def run(rounds: int, workers: int, seed: int, bosun: str, log=print) -> dict:
    rng = random.Random(seed)
    world = World(bosun, ["--latency-ms", "300", "--tool-steps", "2"])
    ledger = Ledger()
    session_id = None
    summary = {"rounds": rounds, "seed": seed, "kills": 0, "integrity_checks": 0, "told_checked": 0,
               "interrupted_at_restarts": 0}
    per_round = max(1, workers // rounds)
    started = time.monotonic()
    try:
        for round_number in range(1, rounds + 1):
            ledger.new_round()
            client = world.serve(on_notification=on_event(ledger))
            info = client.initialize(root=str(world.workspace), session=session_id, max_concurrent_workers=8)
            if session_id is None:
                session_id = info.session.id
            elif info.session.id != session_id or not info.session.resumed:
                raise AssertionError(f"round {round_number}: the session was not resumed: {info.session}")
            if round_number > 1:
                shown = verify(client, ledger, round_number)
                summary["told_checked"] += shown["told"]
                summary["interrupted_at_restarts"] += shown["counts"].get("interrupted", 0)
                log(f"round {round_number}: {shown['workers']} workers, {shown['told']} told states unchanged, "
                    f"{json.dumps(shown['counts'], sort_keys=True)}")

            stop = threading.Event()
            spawns = per_round if round_number < rounds else workers - per_round * (rounds - 1)
            driver = threading.Thread(target=storm, args=(client, ledger, rng, spawns, stop), daemon=True)
            driver.start()
            time.sleep(rng.uniform(0.1, 1.5))
            kill_hard(client)
            stop.set()
            driver.join(timeout=60)
            summary["kills"] += 1
            verdict = world.integrity()
            summary["integrity_checks"] += 1
            if verdict != "ok":
                raise AssertionError(f"round {round_number}: integrity_check says {verdict}")

        # A last server: everything is still there, and every interrupted worker can be resumed to the end.
        ledger.new_round()
        client = world.serve(on_notification=on_event(ledger))
        client.initialize(root=str(world.workspace), session=session_id, max_concurrent_workers=8)
        shown = verify(client, ledger, rounds + 1)
        summary["told_checked"] += shown["told"]
        status = client.request("status", timeout=60)
        interrupted = [w["id"] for w in status["workers"] if w["state"] == "interrupted"]
        for worker_id in interrupted:
            client.request("steer", {"workerId": worker_id, "message": "Finish now."}, timeout=30)
        done = client.request("await", {"timeoutSeconds": 120}, timeout=150)
        if done["pending"]:
            raise AssertionError(f"{len(done['pending'])} resumed workers did not end within 120 s")
        # A resumed run ends like any run (a worker that keeps repeating itself fails as
        # stalled); what matters here is that it runs again and ends, never interrupted.
        resumed = [w for w in done["finished"] if w["id"] in interrupted]
        not_run = [w for w in resumed if w["state"] not in TERMINAL - {"interrupted"}]
        if not_run:
            raise AssertionError(f"resumed workers did not run to an end: {not_run[:3]}")
        client.close()
        summary.update(workers=shown["workers"], resumed_at_end=len(interrupted),
                       resumed_succeeded=sum(w["state"] == "succeeded" for w in resumed),
                       acknowledged=len(ledger.acknowledged), seconds=round(time.monotonic() - started, 1),
                       final_integrity=world.integrity())
        return summary
    finally:
        world.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=100, help="workers spawned over all rounds")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--bosun", default=None, help="the binary (default: $BOSUN_BIN or the debug build)")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print(f"chaos: {args.rounds} rounds, {args.workers} workers, seed {seed}", flush=True)
    try:
        summary = run(args.rounds, args.workers, seed, args.bosun or bosun_binary(),
                      log=lambda line: print(line, flush=True))
    except AssertionError as failure:
        print(f"FAILED (seed {seed}): {failure}", flush=True)
        return 1
    print("chaos passed: " + json.dumps(summary, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
