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
    # orchestrate: its events in order, three subtasks passed on five workers, one synthesis.
    orchestration = re.findall(r"^    orchestration (o_\w+) #(\d+)\s+(\w+)", out, re.M)
    assert len({o for o, _, _ in orchestration}) == 1, out
    seqs, kinds = [int(seq) for _, seq, _ in orchestration], [kind for _, _, kind in orchestration]
    assert seqs == sorted(seqs) and kinds[:2] == ["started", "plan"] and kinds[-2:] == ["synthesis", "succeeded"], out
    assert re.search(r"plan docs, start, order after docs\+start$", out, re.M), out
    assert kinds.count("subtask") == 3, out
    # No subtask of the demo's plan has a deterministic check, so an evaluator verifies each.
    assert re.search(r"→ succeeded: 3 of 3 subtasks passed, 8 workers "
                     r"\(planner, researcher, researcher, evaluator, evaluator, writer, evaluator, synthesizer\), "
                     r"\$0\.\d+$", out, re.M), out
    assert re.search(r"synthesis w_\w+: Read README\.md's quick start", out), out
    # The command it prints to look again works as typed: the demo's store is named with --db.
    again = re.search(r"look again with `bosun (trace show s_\w+ --db \S+)`", out)
    assert again, out
    shown = subprocess.run([bosun_bin, *again.group(1).split()], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and "synthesizer/smart" in shown.stdout, shown.stdout + shown.stderr
    page = (tmp_path / "timeline.html").read_text()
    # The eight workers, the verified one, the two synthesized and the synthesizer; the
    # orchestration's eight under its own heading.
    assert page.count('class="bar state-succeeded"') == 20
    assert page.count('class="orchestration"') == 1

