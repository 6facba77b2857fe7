"""`bosun top` in a real terminal, and `bosun cancel`, against a real `bosun serve`.

tmux gives `top` a terminal (`send-keys` types, `capture-pane` reads the screen). The
session runs in another process, a `bosun serve` over pipes with the mock provider, exactly
as when `top` watches it from another terminal: the two share only the trace store file.
"""
import contextlib
import json
import queue
import subprocess
import threading
import time
import uuid

import pytest

from conftest import ASKER_ROLE, ASKER_SCRIPT, write_mock_config


def wait_for(predicate, what, timeout=30):
    """Polls `predicate` until it returns something true; fails naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)  # paces the checks; the wait is for the predicate


class Serve:
    """A `bosun serve` speaking newline-delimited JSON; its output is read on a thread."""

    def __init__(self, bosun, config, db, workspace):
        self.process = subprocess.Popen([bosun, "serve", "--config", str(config), "--db", str(db), "--framing", "ndjson",
                                         "--log-level", "error"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=workspace)
        self.messages = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()
        self.next_id = 0

    def _read(self):
        for line in self.process.stdout:
            if line.strip():
                self.messages.put(json.loads(line))

    def request(self, method, params):
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        self.process.stdin.flush()
        return wait_for(lambda: self._find(lambda m: m.get("id") == self.next_id), f"the answer to {method}")[1]

    def event(self, worker_id, kind):
        """The time the `worker/event` of that kind arrived (first read), once it has."""
        return self._find(lambda m: m.get("method") == "worker/event" and m["params"]["workerId"] == worker_id
                          and m["params"]["kind"] == kind)

    def _find(self, match):
        while not self.messages.empty():
            self.seen.append((time.monotonic(), self.messages.get()))
        return next((at_and_message for at_and_message in self.seen if match(at_and_message[1])), None)

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


class Tmux:
    """One `bosun top` in a tmux server of its own (a private socket)."""

    def __init__(self, command, environment):
        self.socket = f"bosun-top-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{key}={value}" for key, value in environment.items())
        subprocess.run(["tmux", "-L", self.socket, "new-session", "-d", "-s", "top", "-x", "180", "-y", "30",
                        f"env {exports} {command}"], check=True)

    def screen(self, escapes=False):
        result = subprocess.run(["tmux", "-L", self.socket, "capture-pane", "-p", "-t", "top"] + (["-e"] if escapes else []),
                                capture_output=True, text=True)
        return result.stdout if result.returncode == 0 else None

    def keys(self, *keys):
        subprocess.run(["tmux", "-L", self.socket, "send-keys", "-t", "top", *keys], check=True)

    def row(self, worker_id):
        screen = self.screen() or ""
        return next((line for line in screen.splitlines() if f" {worker_id} " in line), "")

    def close(self):
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@contextlib.contextmanager
def serving(bosun_bin, mock_provider, tmp_path, *mock_options, config_extra=""):
    """A `bosun serve` (one worker at a time) on `bosun mock-provider` with `mock_options`; yields it and its store."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    config = write_mock_config(tmp_path, mock_provider(*mock_options), extra=config_extra)
    db = tmp_path / "trace.sqlite"
    serve = Serve(bosun_bin, config, db, workspace)
    assert "result" in serve.request("initialize", {"rootUri": f"file://{workspace}",
                                                    "initializationOptions": {"maxConcurrentWorkers": 1}})
    try:
        yield serve, db
    finally:
        serve.close()


@pytest.fixture
def session(bosun_bin, mock_provider, tmp_path):
    # Every model call waits for a release that never comes: a worker stays running in its
    # first model call until it is cancelled.
    script = tmp_path / "hold.yaml"
    script.write_text("rules:\n  - hold: true\n")
    with serving(bosun_bin, mock_provider, tmp_path, "--tool-steps", "1", "--script", str(script)) as started:
        yield started


def spawn_long(serve, task):
    answer = serve.request("spawn", {"task": task, "limits": {"maxSteps": 1000, "timeoutSeconds": 300}})
    return answer["result"]["id"]


def test_top_shows_state_changes_and_cancels_a_worker_of_another_process(bosun_bin, session):
    serve, db = session
    first = spawn_long(serve, "List the files again and again")
    second = spawn_long(serve, "Wait your turn, then list the files")
    top = Tmux(f"{bosun_bin} top --db {db}", {"NO_COLOR": "1"})
    try:
        wait_for(lambda: " running " in top.row(first), "the first worker shown running")
        assert "queued #1" in top.row(second)
        assert f"queue: 1. {second}" in top.screen()
        assert "%" in top.row(first)  # the bar of elapsed time against the timeout

        # The first row is selected: cancel it from top.
        top.keys("c")
        wait_for(lambda: f"cancel {first}? y/n" in (top.screen() or ""), "the cancel confirmation")
        top.keys("y")
        wait_for(lambda: serve.event(first, "cancelled"), "the serving process to cancel the worker")
        # Its slot goes to the queued worker; top shows both changes.
        started_at, _ = wait_for(lambda: serve.event(second, "started"), "the second worker to start")
        wait_for(lambda: " cancelled " in top.row(first) and " running " in top.row(second), "top to show the changes")
        print(f"top showed the second worker running {time.monotonic() - started_at:.3f}s after its started event")
        assert f"cancelled {first}" in top.screen()

        # The worker's events, and back.
        top.keys("Down", "Enter")
        wait_for(lambda: f"events of {second}" in (top.screen() or ""), "the events page")
        assert " started " in top.screen()
        top.keys("Escape")
        wait_for(lambda: "WORKER" in (top.screen() or ""), "the worker table again")

        # The same channel from the command line.
        cancel = subprocess.run([bosun_bin, "cancel", second, "--db", str(db)], capture_output=True, text=True, timeout=30)
        assert cancel.returncode == 0, cancel.stderr
        assert cancel.stdout == f"cancelled {second}\n"
        wait_for(lambda: " cancelled " in top.row(second), "top to show the command line's cancel")
        again = subprocess.run([bosun_bin, "cancel", second, "--db", str(db)], capture_output=True, text=True, timeout=30)
        assert again.returncode == 1 and "already ended" in again.stderr

        # The filter hides what does not match.
        top.keys("f")  # running: nothing runs now
        wait_for(lambda: "no workers running" in (top.screen() or ""), "the running filter")
        assert "\x1b[34m" not in top.screen(escapes=True)  # NO_COLOR: no state colours
        top.keys("q")
        wait_for(lambda: top.screen() is None, "top to quit")
    finally:
        top.close()
    status = serve.request("status", {})["result"]
    assert {w["id"]: w["state"] for w in status["workers"]} == {first: "cancelled", second: "cancelled"}


def test_top_colours_states_unless_no_color(bosun_bin, session):
    serve, db = session
    worker = spawn_long(serve, "List the files for a while")
    top = Tmux(f"{bosun_bin} top --db {db}", {"TERM": "xterm-256color"})
    try:
        wait_for(lambda: " running " in top.row(worker), "the worker shown running")
        spawn_long(serve, "Queue behind the first")
        wait_for(lambda: "\x1b[90mqueued" in (top.screen(escapes=True) or ""), "a coloured queued state")
    finally:
        top.close()
        serve.request("cancel", {"all": True})


def test_top_through_a_pipe_prints_every_worker(bosun_bin, session):
    """`bosun top | cat` prints the table once: every worker, however many (it left one out)."""
    serve, db = session
    workers = [spawn_long(serve, f"Wait in line {n}") for n in range(17)]
    try:
        run = subprocess.run([bosun_bin, "top", "--db", str(db)], capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        shown = [line.split()[0] for line in run.stdout.splitlines() if line.split()[:1] and line.split()[0].startswith("w_")]
        assert sorted(shown) == sorted(workers), run.stdout
        assert "WORKER" in run.stdout and "queue: 1. " in run.stdout
    finally:
        serve.request("cancel", {"all": True})


# A coder whose first step writes two files and a log (which .gitignore ignores) into its
# layer, and whose second submits.
WRITING_SCRIPT = """\
rules:
  - match: { lastMessage: "in this worker's layer" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "written" } }] }
  - match: { lastMessage: "Write two files", turn: 0 }
    reply: { toolCalls: [{ name: write_file, input: { path: a.txt, content: "first\\n" } },
                         { name: write_file, input: { path: b.txt, content: "second\\n" } },
                         { name: write_file, input: { path: run.log, content: "noise\\n" } }] }
"""


def test_top_shows_a_writing_workers_changed_files(bosun_bin, mock_provider, tmp_path):
    script = tmp_path / "mock.yaml"
    script.write_text(WRITING_SCRIPT)
    with serving(bosun_bin, mock_provider, tmp_path, "--tool-steps", "0", "--script", str(script)) as (serve, db):
        (tmp_path / "workspace" / ".gitignore").write_text("*.log\n")
        coder = serve.request("spawn", {"task": "Write two files", "role": "coder"})["result"]["id"]
        reader = serve.request("spawn", {"task": "Read the files"})["result"]["id"]
        top = Tmux(f"{bosun_bin} top --db {db}", {"NO_COLOR": "1"})
        try:
            wait_for(lambda: " FILES " in (top.screen() or ""), "the FILES column")
            # Two changed files waiting for review (the ignored log apart); a worker without a
            # layer shows none.
            wait_for(lambda: " succeeded " in top.row(coder) and " 2 " in top.row(coder), "the coder's two changed files")
            wait_for(lambda: " succeeded " in top.row(reader), "the reader to end")
            files_column = top.screen().splitlines()[3].index(" FILES ") + 1
            assert top.row(reader)[files_column:files_column + 12].strip() == "", top.screen()
            assert top.row(coder)[files_column:files_column + 12].strip() == "2", top.screen()

            # The detail page lists them.
            top.keys("Enter")
            wait_for(lambda: f"events of {coder}" in (top.screen() or ""), "the coder's events page")
            assert "changed files: 2, pending: a.txt, b.txt (and 1 that .gitignore ignores)" in top.screen()
            top.keys("Escape")

            # Applied from the serving process: top shows where they stand.
            assert serve.request("apply", {"workerId": coder})["result"]["state"] == "applied"
            wait_for(lambda: " 2 applied " in top.row(coder), "the applied changes")
        finally:
            top.close()


def test_top_shows_a_waiting_worker_and_answers_its_ask(bosun_bin, mock_provider, tmp_path):
    script = tmp_path / "mock.yaml"
    script.write_text(ASKER_SCRIPT)
    with serving(bosun_bin, mock_provider, tmp_path, "--tool-steps", "0", "--script", str(script), config_extra=ASKER_ROLE) as (serve, db):
        picker = serve.request("spawn", {"task": "Pick a database", "role": "asker"})["result"]["id"]
        top = Tmux(f"{bosun_bin} top --db {db}", {"NO_COLOR": "1"})
        try:
            # Waiting, with its ask in the row, time waited apart from time running.
            wait_for(lambda: " waiting " in top.row(picker), "the worker shown waiting")
            assert "asks: Which database? [postgres|sqlite]" in top.row(picker)
            assert "1 waiting" in top.screen()
            header = top.screen().splitlines()[3]
            waited = header.index(" WAITED ") + 1
            wait_for(lambda: top.row(picker)[waited:waited + 8].strip().endswith("s"), "the time waited")

            # a, then the option's number: the answer goes to the owning bosun serve through the store.
            top.keys("a")
            wait_for(lambda: "1 postgres  2 sqlite  d decline" in (top.screen() or ""), "the answer prompt")
            top.keys("2")
            wait_for(lambda: serve.event(picker, "answered"), "the serving process to take the answer")
            _, answered = serve.event(picker, "answered")
            assert answered["params"]["data"]["text"] == "sqlite"
            wait_for(lambda: " succeeded " in top.row(picker), "the answered worker to succeed")
            wait_for(lambda: "answered " in (top.screen() or ""), "top to say the answer was taken")
            assert top.row(picker)[waited:waited + 8].strip(), "the time it waited stays shown"

            # A free question: typed text, sent with enter.
            namer = serve.request("spawn", {"task": "Name the project", "role": "asker"})["result"]["id"]
            wait_for(lambda: " waiting " in top.row(namer), "the second worker waiting")
            top.keys("Down")
            top.keys("Enter")
            wait_for(lambda: f"events of {namer}" in (top.screen() or ""), "its events page")
            wait_for(lambda: "What is the project called?" in top.screen(), "the pending ask on its events page")
            top.keys("a")
            wait_for(lambda: "enter send" in (top.screen() or ""), "the text prompt")
            top.keys("-l", "bösunx")  # a character of two UTF-8 bytes, and one to take back
            wait_for(lambda: "bösunx█" in (top.screen() or ""), "the typed text")
            top.keys("BSpace")
            wait_for(lambda: "bösun█" in (top.screen() or ""), "the text without its last character")
            top.keys("Enter")
            wait_for(lambda: serve.event(namer, "answered"), "the typed answer")
            assert serve.event(namer, "answered")[1]["params"]["data"]["text"] == "bösun"
            top.keys("Escape")

            # A permission: a allows once, A always, d denies.
            guarded = serve.request("spawn", {"task": "Greet", "role": "guarded"})["result"]["id"]
            wait_for(lambda: " waiting " in top.row(guarded), "the permission ask")
            assert 'asks: run_command {"command":["echo","hello"]}' in top.row(guarded), top.screen()
            top.keys("Down")
            wait_for(lambda: top.row(guarded).startswith("›"), "the guarded worker selected")
            top.keys("a")
            wait_for(lambda: "(run_command): a allow once  A allow always  d deny" in (top.screen() or ""), "the decisions")
            top.keys("d")
            wait_for(lambda: serve.event(guarded, "answered"), "the denial")
            assert serve.event(guarded, "answered")[1]["params"]["data"]["decision"] == "deny"
        finally:
            top.close()
