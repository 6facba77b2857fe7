"""`make demo`'s script, and the Python client under it, against the real binary.

The demo is the first thing a newcomer runs; this keeps it working. It drives a real
`bosun serve` over the mock provider through `clients/python/bosun_client`.
"""
import os
import re
import subprocess
import sys
import tempfile

from conftest import ROOT

sys.path.insert(0, str(ROOT / "clients" / "python"))

from bosun_client import BosunClient, BosunError  # noqa: E402


def test_demo_runs_end_to_end(bosun_bin, tmp_path):
    run = subprocess.run([sys.executable, str(ROOT / "clients" / "examples" / "demo.py"),
                          "--bosun", bosun_bin, "--keep", str(tmp_path)],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert "queue position 3" in out  # eight workers at a cap of five: three wait
    assert re.search(r"steer\s+w_\w+ → delivery next-step", out)
    assert "await → 8 finished, 0 pending" in out
    assert out.count(" succeeded ") >= 8
    assert "shutdown/exit → exit code 0" in out
    page = (tmp_path / "timeline.html").read_text()
    assert page.count('class="bar state-succeeded"') == 8


def test_client_reports_errors_and_closes_cleanly(bosun_bin):
    with tempfile.TemporaryDirectory() as scratch:
        client = BosunClient.start([bosun_bin, "serve", "--db", os.path.join(scratch, "t.sqlite")], cwd=scratch)
        try:
            client.request("status")
        except BosunError as error:
            assert error.code == -32002  # before initialize
        else:
            raise AssertionError("status before initialize must fail")
        info = client.initialize(root=scratch, maxConcurrentWorkers=2)
        assert info["session"]["maxConcurrentWorkers"] == 2
        try:
            client.request("spawn", {"task": "x", "role": "pirate"})
        except BosunError as error:
            assert error.code == -32012 and "role" in error.message
        else:
            raise AssertionError("an unknown role must be refused")
        assert client.request("status")["session"]["counts"]["queued"] == 0
        assert client.close() == 0
