"""The examples in clients/examples, run offline as a reader would, against the real binary."""
import re
import subprocess
import sys

from conftest import ROOT

EXAMPLES = ROOT / "clients" / "examples"


def run_example(name, bosun_bin):
    run = subprocess.run([sys.executable, str(EXAMPLES / name), "--bosun", bosun_bin],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def test_fan_out_then_synthesize(bosun_bin):
    out = run_example("fan_out_synthesize.py", bosun_bin)
    assert re.search(r"fanned out 3 workers: (w_\w+), (w_\w+), (w_\w+)", out), out
    assert len(re.findall(r"^w_\w+ succeeded ", out, re.M)) == 3, out
    assert "\nSYNTHESIS\n" in out and re.search(r"^source w_\w+: ", out, re.M), out
    assert re.search(r"^synthesized by w_\w+ for \$0\.\d{4}$", out, re.M), out


def test_verify_loop_fails_then_passes_after_the_steer(bosun_bin):
    out = run_example("verify_loop.py", bosun_bin)
    rounds = re.split(r"^round \d+:$", out, flags=re.M)[1:]
    assert len(rounds) == 2, out
    assert "FAIL files" in rounds[0] and "pass files" in rounds[1] and "pass command" in rounds[1], out
    assert "passed after 2 round(s)" in out, out


def test_orchestrate_plans_substitutes_a_failing_subtask_and_synthesizes(bosun_bin):
    out = run_example("orchestrate.py", bosun_bin)
    events = re.findall(r"^  #(\d+)\s+(.*)$", out, re.M)
    assert [int(seq) for seq, _ in events] == list(range(1, len(events) + 1)), out
    lines = [line for _, line in events]
    assert lines[0] == "started" and lines[1] == "plan: features, limits, note after features+limits", out
    assert lines[-1] == "succeeded", out
    assert any(line.startswith("decision substitute note: ") for line in lines), out
    assert any(line.startswith("replan: note runs again (substitute; 1 replan(s) so far)") for line in lines), out
    assert re.search(r"^o_\w+ succeeded: 9 workers, 1 decision\(s\), \$0\.\d{4}$", out, re.M), out
    assert re.search(r"^  note\s+passed\s+checks passed\s+attempts w_\w+, w_\w+$", out, re.M), out
    assert "\nSYNTHESIS\nNOTE.md announces orchestrate" in out and "\nNOTE.md\n# orchestrate\n" in out, out
