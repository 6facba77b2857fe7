#!/usr/bin/env python3
"""What the run_command sandbox costs per command: `true` run directly vs inside bubblewrap
with the exact arguments bosun uses (Sources/Workspace/Sandbox.swift). Stdlib only.

    python3 bench/tools_sandbox_bench.py [runs]
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 100


def sandboxed(bwrap, workspace, argv):
    argv_out = [bwrap]
    for path in ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/nix"]:
        if os.path.islink(path):
            argv_out += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path):
            argv_out += ["--ro-bind", path, path]
    home = os.path.expanduser("~")
    argv_out += ["--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--tmpfs", "/tmp",
                 "--perms", "0700", "--tmpfs", home, "--ro-bind", workspace, workspace,
                 "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL",
                 "--die-with-parent", "--new-session", "--chdir", workspace, "--"]
    return argv_out + argv


def measure(argv):
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main():
    bwrap = shutil.which("bwrap")
    if not bwrap:
        sys.exit("bwrap is not installed: apt-get install bubblewrap")
    with tempfile.TemporaryDirectory() as workspace:
        direct = measure(["true"])
        boxed = measure(sandboxed(bwrap, workspace, ["true"]))
    print(f"runs: {RUNS}")
    print(f"direct   `true`: median {direct[0]:.2f} ms, p95 {direct[1]:.2f} ms")
    print(f"bwrap    `true`: median {boxed[0]:.2f} ms, p95 {boxed[1]:.2f} ms")
    print(f"sandbox overhead: {boxed[0] - direct[0]:.2f} ms per command (median)")


if __name__ == "__main__":
    main()
