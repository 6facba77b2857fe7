"""A trace store on a full disk: a worker whose end cannot be committed is not reported as
ended, the server says the store is full and keeps answering, and the end arrives once
space returns, with the store agreeing. A clean shutdown while the disk is full reports no
end either. The store lives on a small tmpfs mounted for the test (root only)."""
import errno
import os
import pathlib
import sqlite3
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "reliability"))

from world import TERMINAL, BosunClient, BosunError, Collector, World, kill_hard, wait_until  # noqa: E402


@pytest.fixture
def small_disk():
    """A 2 MiB tmpfs, unmounted afterwards; skipped where this process may not mount one."""
    directory = tempfile.mkdtemp(prefix="bosun-full-disk-")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", directory],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        os.rmdir(directory)
        pytest.skip(f"cannot mount a tmpfs to fill (needs root): {mounted.stderr.strip()}")
    yield pathlib.Path(directory)
    subprocess.run(["umount", "-l", directory], check=False)
    os.rmdir(directory)


def fill(directory: pathlib.Path) -> pathlib.Path:
    """Writes a file until the disk refuses another byte."""
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as out:
        for chunk in (1 << 16, 1 << 12, 1):
            try:
                while True:
                    out.write(b"\0" * chunk)
            except OSError as error:
                assert error.errno == errno.ENOSPC, error
    return filler


def terminal_events(notes: Collector, worker_id: str) -> list[str]:
    return [note.params["kind"] for note in notes.snapshot()
            if note.method == "worker/event" and note.params["workerId"] == worker_id and note.params["kind"] in TERMINAL]


def stored_state(db: pathlib.Path, worker_id: str) -> str:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as connection:
        return connection.execute("SELECT state FROM workers WHERE id = ?", (worker_id,)).fetchone()[0]


class Server:
    """`bosun serve` on the world's config with its store on `disk`, its log in a file."""

    def __init__(self, world: World, disk: pathlib.Path, session=None):
        self.db = disk / "trace.sqlite"
        self.log = world.directory / f"serve-{len(list(world.directory.glob('serve-*')))}.log"
        self.notes = Collector()
        with open(self.log, "wb") as log:
            self.client = BosunClient.start(
                [world.bosun, "serve", "--config", str(world.config), "--db", str(self.db)],
                env=world.env, cwd=str(world.workspace), stderr=log, on_notification=self.notes)
        self.session = self.client.initialize(root=str(world.workspace), session=session).session.id

    def logged(self, text: str) -> bool:
        return text in self.log.read_text()


def end_on_a_full_disk(server: Server, disk: pathlib.Path):
    """Spawns a worker, fills the disk while its model call runs, and waits until the server
    says it cannot commit the worker's end; returns the worker and the filler file."""
    worker = server.client.spawn("Summarise the README.")
    wait_until(lambda: any(note.params.get("kind") == "model_call" for note in server.notes.snapshot()
                           if note.method == "worker/event"), 30, "the worker's first model call")
    filler = fill(disk)
    wait_until(lambda: server.logged(f"worker {worker.id} ended succeeded, but the trace store cannot take it"),
               60, "the server saying it cannot commit the end")
    return worker, filler


def test_an_end_the_full_store_cannot_take_is_reported_only_once_committed(bosun_bin, small_disk):
    world = World(bosun_bin, ["--latency-ms", "1500", "--tool-steps", "1"])
    server = Server(world, small_disk)
    try:
        worker, filler = end_on_a_full_disk(server, small_disk)

        assert terminal_events(server.notes, worker.id) == []
        assert server.client.status(worker.id).state == "running"
        # Not ended in the store either (its `running` row may still wait in the writer's queue).
        assert stored_state(server.db, worker.id) in ("queued", "running")
        assert server.client.await_workers([worker.id], timeout_seconds=0.2).pending == [worker.id]
        assert "is full" in open(server.log).read()
        with pytest.raises(BosunError) as refused:
            server.client.spawn("Another task.")
        assert "is full" in refused.value.message and "Free space" in refused.value.message
        # Reads of the store are still answered, and what it holds has no end.
        assert all(event.kind not in TERMINAL for event in server.client.trace(worker.id))

        filler.unlink()
        wait_until(lambda: terminal_events(server.notes, worker.id) == ["succeeded"], 60, "the end after space returned")
        assert stored_state(server.db, worker.id) == "succeeded"
        finished = server.client.await_workers([worker.id]).finished
        assert [w.state for w in finished] == ["succeeded"] and finished[0].result.text
        assert server.client.close() == 0
    finally:
        if server.client.process.poll() is None:
            kill_hard(server.client)
        world.close()


def test_a_clean_shutdown_while_full_reports_no_end_the_store_does_not_hold(bosun_bin, small_disk):
    world = World(bosun_bin, ["--latency-ms", "1500", "--tool-steps", "1"])
    server = Server(world, small_disk)
    try:
        worker, filler = end_on_a_full_disk(server, small_disk)
        assert server.client.close(timeout=60) == 0
        heard = terminal_events(server.notes, worker.id)
        stored = stored_state(server.db, worker.id)
        # The closing session retries the end a few times. Usually the disk is still full and
        # nothing is heard; but SQLite can find room again without the test freeing any (a
        # failed attempt's pages reused, a checkpoint that rewinds the WAL), and then the end
        # is committed and heard. Either way the client heard exactly what the store holds.
        if heard:
            assert heard == ["succeeded"] and stored == "succeeded", (heard, stored)
            return
        assert stored in ("queued", "running")

        filler.unlink()
        again = Server(world, small_disk, session=server.session)
        try:
            assert again.client.status(worker.id).state == "interrupted"
            assert stored_state(again.db, worker.id) == "interrupted"
            assert again.client.close() == 0
        finally:
            if again.client.process.poll() is None:
                kill_hard(again.client)
    finally:
        if server.client.process.poll() is None:
            kill_hard(server.client)
        world.close()
