"""`make demo`'s script against the real binary.

The demo is the first thing a newcomer runs; this keeps it working. It drives a real
`bosun serve` over the mock provider through the Python client in `clients/python`
(test_python_package.py tests the client itself).
"""
import re
import subprocess
import sys

from conftest import ROOT


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
    # The eight workers, the verified one, the two synthesized and the synthesizer.
    assert page.count('class="bar state-succeeded"') == 12

