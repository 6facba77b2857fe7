"""What several benchmarks stand on: `bosun mock-provider` and `bosun serve` on a scratch
workspace, config and store, spoken to over newline-delimited JSON."""
import os
import subprocess


class MockWorld:
    """Starts the mock provider (with `mock_arguments`) and a server whose every tier is the
    mock's model; `answers` reads the server's output in large buffered chunks."""

    def __init__(self, binary, scratch, workspace, mock_arguments):
        self.mock = subprocess.Popen([binary, "mock-provider", "--port", "0", *mock_arguments],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        port = int(self.mock.stdout.readline())
        config = os.path.join(scratch, "bosun.yaml")
        with open(config, "w") as out:
            out.write(f'providers:\n  mock: {{ kind: openai, baseURL: "http://127.0.0.1:{port}/v1" }}\n'
                      "models:\n  fast: { provider: mock, id: mock-fast, price: { input: 1, output: 5 } }\n"
                      "tiers: { orchestrator: fast, mid: fast, worker: fast }\n")
        env = dict(os.environ, XDG_STATE_HOME=os.path.join(scratch, "state"),
                   XDG_CONFIG_HOME=os.path.join(scratch, "config"))
        self.serve = subprocess.Popen([binary, "serve", "--log-level", "error", "--config", config,
                                       "--db", os.path.join(scratch, "trace.sqlite")], cwd=workspace, env=env,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      bufsize=0)
        self.answers = os.fdopen(self.serve.stdout.fileno(), "rb", buffering=1 << 20)

    def close(self):
        self.serve.stdin.close()
        self.serve.wait(timeout=30)
        self.mock.kill()
        self.mock.wait()


def server_cpu_seconds(pid):
    """CPU time of every thread of the process, in seconds (nanosecond resolution)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1e9
