#!/usr/bin/env python3
"""What writing in a layer costs, over the real binary and the mock provider:

- layer start: spawn -> the coder's first `changes` event (its layer made, one file written),
  on a 10-file and a 100,000-file workspace, against a role with `isolation: none`
  (spawn -> its write's tool_result, no layer);
- the cost per writing step: a worker that writes 100 files in one reply, with a layer and
  without, per write;
- `changes` and `apply` of those 100 files, `--runs` times, beside the disk's floor (the same
  100 files created, flushed and renamed by Python at the same moment);
- a command over the layer: `true` in the sandbox with the overlay mount, against without.

    python3 bench/review_bench.py --bosun BIN [--runs N]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients", "python"))
from bosun_client import BosunClient  # noqa: E402

SCRIPT = """
rules:
  - match: { lastMessage: "Write one file", turn: 0 }
    reply: { toolCalls: [{ name: write_file, input: { path: one.txt, content: "one\\n" } }] }
  - match: { lastMessage: "Write a hundred files", turn: 0 }
    reply:
      toolCalls:
%s
  - match: { turn: 1 }
    reply: { toolCalls: [{ name: submit_result, input: { text: done } }] }
""" % "\n".join(f'        - {{ name: write_file, input: {{ path: "out/f{i}.txt", content: "line {i}\\n" }} }}' for i in range(100))


def make_tree(root, files):
    per_dir = 100
    for d in range(max(1, files // per_dir)):
        directory = os.path.join(root, f"d{d:04}")
        os.makedirs(directory, exist_ok=True)
        for f in range(min(per_dir, files)):
            with open(os.path.join(directory, f"f{f:03}.txt"), "w") as out:
                out.write(f"{d} {f}\n")


class World:
    def __init__(self, binary, scratch, workspace):
        script = os.path.join(scratch, "script.yaml")
        with open(script, "w") as out:
            out.write(SCRIPT)
        self.mock = subprocess.Popen([binary, "mock-provider", "--port", "0", "--script", script],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        port = int(self.mock.stdout.readline())
        config = os.path.join(scratch, "bosun.yaml")
        with open(config, "w") as out:
            out.write(f'providers:\n  mock: {{ kind: openai, baseURL: "http://127.0.0.1:{port}/v1" }}\n'
                      "models:\n  fast: { provider: mock, id: mock-fast, price: { input: 1, output: 5 } }\n"
                      "tiers: { orchestrator: fast, mid: fast, worker: fast }\n"
                      "session: { maxConcurrentWorkers: 1 }\n"
                      "tools: { writeMaxBytes: 1000000 }\n"
                      "roles:\n  direct: { tools: [write_file], permissions: [write], isolation: none, maxSteps: 5 }\n"
                      "  layered: { tools: [write_file], permissions: [write], maxSteps: 5 }\n")
        self.events = {}
        self.lock = threading.Condition()
        self.client = BosunClient.start([binary, "serve", "--log-level", "error", "--config", config,
                                         "--db", os.path.join(scratch, "state", "trace.sqlite")],
                                        cwd=workspace, on_notification=self.note)
        self.client.initialize(workspace)

    def note(self, notification):
        if notification.method != "worker/event":
            return
        params = notification.params
        with self.lock:
            self.events.setdefault((params["workerId"], params["kind"]), time.perf_counter())
            self.lock.notify_all()

    def wait_event(self, worker, kind):
        with self.lock:
            while (worker, kind) not in self.events:
                self.lock.wait(30)
            return self.events[(worker, kind)]

    def first_write(self, role):
        """Milliseconds from spawn to the worker's first write being visible to the client."""
        start = time.perf_counter()
        worker = self.client.request("spawn", {"task": "Write one file", "role": role})["id"]
        kind = "changes" if role == "layered" else "tool_result"
        end = self.wait_event(worker, kind)
        self.client.request("await", {"workers": [worker]})
        return (end - start) * 1000, worker

    def hundred(self, role):
        start = time.perf_counter()
        worker = self.client.request("spawn", {"task": "Write a hundred files", "role": role, "wait": True})
        return (time.perf_counter() - start) * 1000, worker["id"]

    def close(self):
        self.client.close()
        self.mock.kill()
        self.mock.wait()


def spread(samples):
    return f"median {statistics.median(samples):.0f} ms (min {min(samples):.0f}, max {max(samples):.0f}, {len(samples)} runs)"


def disk_floor_ms(scratch):
    """What 100 new files cost this disk with nothing of bosun: each written beside its name,
    flushed (four threads, as apply does), renamed in, the directory flushed."""
    directory = tempfile.mkdtemp(dir=scratch)
    start = time.perf_counter()
    names = []
    for i in range(100):
        temporary = os.path.join(directory, f".f{i}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, f"line {i}\n".encode())
        os.close(fd)
        names.append(temporary)

    def flush(path):
        fd = os.open(path, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(flush, names))
    for i, temporary in enumerate(names):
        os.rename(temporary, os.path.join(directory, f"f{i}.txt"))
    flush(directory)
    elapsed = (time.perf_counter() - start) * 1000
    shutil.rmtree(directory)
    return elapsed


def overlay_command_ms(runs):
    bwrap = shutil.which("bwrap")
    with tempfile.TemporaryDirectory(dir="/var/tmp") as scratch:
        workspace, upper, work = (os.path.join(scratch, n) for n in ("ws", "upper", "work"))
        for d in (workspace, upper, work):
            os.makedirs(d)
        box = [bwrap, "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
               "--symlink", "usr/bin", "/bin", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
               "--bind", workspace, workspace, "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534",
               "--cap-drop", "ALL", "--die-with-parent", "--new-session", "--", "true"]
        overlay = ["unshare", "--user", "--map-root-user", "--mount", "--", "/bin/sh", "-c",
                   'mount -t overlay bosun-layer -o "$1" "$2" && shift 2 && exec "$@"', "bosun-layer",
                   f"lowerdir={workspace},upperdir={upper},workdir={work},userxattr", workspace] + box
        result = {}
        for name, argv in (("sandbox", box), ("sandbox + layer", overlay)):
            samples = []
            for _ in range(runs):
                start = time.perf_counter()
                subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                samples.append((time.perf_counter() - start) * 1000)
            result[name] = statistics.median(samples)
        return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bosun", required=True)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(f"host load: {os.getloadavg()[0]:.1f}, runs per figure: {args.runs}")
    for files in (10, 100_000):
        with tempfile.TemporaryDirectory(dir="/var/tmp") as scratch:
            workspace = os.path.join(scratch, "workspace")
            os.makedirs(workspace)
            make_tree(workspace, files)
            world = World(args.bosun, scratch, workspace)
            try:
                layered = statistics.median(world.first_write("layered")[0] for _ in range(args.runs))
                direct = statistics.median(world.first_write("direct")[0] for _ in range(args.runs))
                print(f"{files:>7} files: spawn -> first write  with a layer {layered:.1f} ms, without {direct:.1f} ms, "
                      f"difference {layered - direct:+.1f} ms (median)")
                if files == 100_000:
                    changes_ms, apply_ms, floor_ms = [], [], []
                    for _ in range(args.runs):
                        shutil.rmtree(os.path.join(workspace, "out"), ignore_errors=True)
                        with_layer, worker = world.hundred("layered")
                        start = time.perf_counter()
                        changes = world.client.request("changes", {"workerId": worker})
                        changes_ms.append((time.perf_counter() - start) * 1000)
                        assert len(changes["files"]) == 100, changes["files"]
                        start = time.perf_counter()
                        applied = world.client.request("apply", {"workerId": worker})
                        apply_ms.append((time.perf_counter() - start) * 1000)
                        assert len(applied["applied"]) == 100, applied
                        floor_ms.append(disk_floor_ms(scratch))
                    print(f"changes of 100 files: {spread(changes_ms)}")
                    print(f"apply of 100 files: {spread(apply_ms)}; the disk's floor at the same moments "
                          f"(100 files created, flushed and renamed by Python): {spread(floor_ms)}")
                    # The direct worker writes the same paths, after the apply.
                    without, _ = world.hundred("direct")
                    print(f"100 writes in one reply: with a layer {with_layer:.0f} ms, without {without:.0f} ms; "
                          f"{(with_layer - without) / 100:+.2f} ms per write")
            finally:
                world.close()
    commands = overlay_command_ms(args.runs)
    print("`true` per command: " + ", ".join(f"{k} {v:.1f} ms" for k, v in commands.items())
          + f"; the layer adds {commands['sandbox + layer'] - commands['sandbox']:.1f} ms (median)")


if __name__ == "__main__":
    main()
