"""`bosun trace html`'s page in headless Chromium, on a real session of `bosun serve` with the mock.

The page's script runs in the browser (`--dump-dom` prints the DOM after it ran). The view
is given in the address's fragment (`#q=…&from=…&to=…&call=…`), the way a user shares one:
search filters the rows, zoom places the bars on a narrower window, and a model call opens
with its prompt, completion, tokens, cost and latency. `--watch` keeps the page current
while a worker runs and stops when none is left.
"""
import html as htmllib
import re
import subprocess

import pytest

from conftest import write_mock_config
from test_top import Serve, wait_for
from test_trace import chromium


def dom(page, fragment=""):
    """The page's DOM after its script ran."""
    run = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000",
                          "--dump-dom", f"file://{page}{fragment}"], capture_output=True, text=True, timeout=120, check=True)
    assert 'data-ready="true"' in run.stdout, "the page's script did not run:\n" + run.stderr[-2000:]
    return run.stdout


def rows(document):
    """worker id -> its row's opening tag."""
    return {m.group(2): m.group(0) for m in re.finditer(r'<details class="worker" id="(?P<id>(w_\w+))"[^>]*>', document)}


def style_of(document, worker_id):
    """The bar's left and width, in percent, as the page placed it."""
    row = document[document.index(f'id="{worker_id}"'):]
    match = re.search(r'<span class="bar [^"]*" data-s="[^"]*" data-e="[^"]*" style="left: ?([\d.-]+)%; ?width: ?([\d.]+)%', row)
    return float(match.group(1)), float(match.group(2))


@pytest.fixture
def world(bosun_bin, mock_provider, tmp_path, request):
    """A session on the mock; each model call takes `latency_ms` (150 unless the test says)."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    config = write_mock_config(tmp_path, mock_provider("--latency-ms", str(getattr(request, "param", 150)), "--tool-steps", "2"))
    db = tmp_path / "trace.sqlite"
    serve = Serve(bosun_bin, config, db, workspace)
    session = serve.request("initialize", {"rootUri": f"file://{workspace}"})["result"]["session"]["id"]
    try:
        yield serve, session, db, tmp_path
    finally:
        serve.close()


def test_the_timeline_zooms_searches_opens_calls_and_scores_checks(bosun_bin, world):
    serve, session, db, tmp_path = world
    first = serve.request("spawn", {"task": "Summarise the zebra notes", "wait": True})["result"]
    second = serve.request("spawn", {"task": "Count the files", "wait": True})["result"]
    checks = [{"kind": "command", "command": ["true"]}, {"kind": "command", "command": ["false"]}]
    verified = serve.request("verify", {"workerId": second["id"], "checks": checks})["result"]
    assert not verified["passed"]
    page = tmp_path / "timeline.html"
    subprocess.run([bosun_bin, "trace", "html", session, "-o", str(page), "--db", str(db)], check=True, timeout=60)
    source = page.read_text()
    assert source.count("<script") == 1 and "src=" not in source and "http://" not in source
    assert '<meta http-equiv="refresh"' not in source  # written once, after the workers ended

    # Verify's rounds as a score beside the row and a table inside it.
    whole = dom(page)
    second_row = whole[whole.index(f'id="{second["id"]}"'):]
    assert re.search(r'<span class="score fail" title="verify round 1: 1/2 checks passed">1/2</span>', second_row)
    assert re.search(r'<td class="score fail">1/2</td>', second_row)
    assert first["id"] in whole and "score" not in whole[whole.index(f'id="{first["id"]}"'):whole.index(f'id="{second["id"]}"')]

    # Search: only the row whose task has the word is shown.
    found = dom(page, "#q=zebra")
    assert "1 of 2 workers match" in found
    assert "hidden" not in rows(found)[first["id"]] and "hidden" in rows(found)[second["id"]]

    # Zoom: the window of the second worker's run; its bar now spans the whole track.
    start = float(re.search(r'data-s="([\d.]+)"', whole[whole.index(f'id="{second["id"]}"'):].split('class="bar')[1]).group(1))
    end = float(re.search(r'data-e="([\d.]+)"', whole[whole.index(f'id="{second["id"]}"'):].split('class="bar')[1]).group(1))
    zoomed = dom(page, f"#from={start}&to={end}")
    left, width = style_of(zoomed, second["id"])
    assert abs(left) < 0.5 and abs(width - 100) < 0.5, (left, width)
    first_left, first_width = style_of(zoomed, first["id"])
    assert first_left + first_width <= 0.5, "the first worker ran before the window"
    assert re.search(r'<span id="window">[^<]+ – [^<]+</span>', zoomed)

    # A model call: its segment links to an entry with tokens, cost, latency, prompt and completion.
    call = re.search(rf'data-call="({first["id"]}-c\d+)"', whole).group(1)
    opened = dom(page, f"#call={call}")
    entry = opened[opened.index(f'<details class="call" id="{call}" open=""'):]
    entry = entry[:entry.index("</details>")]
    assert re.search(r"step 1 · mock-fast · \d+ in / \d+ out · \$0\.\d{4} · \d+(ms|\.\ds)", entry), entry[:300]
    prompt = htmllib.unescape(re.search(r'<pre class="prompt">(.*?)</pre>', entry, re.S).group(1))
    completion = htmllib.unescape(re.search(r'<pre class="completion">(.*?)</pre>', entry, re.S).group(1))
    assert prompt.startswith("[brief] TASK") and "Summarise the zebra notes" in prompt
    assert completion.startswith("[model] → list_files(")
    assert f'<details class="worker" id="{first["id"]}" data-state="succeeded" open=""' in opened


@pytest.mark.parametrize("world", [1500], indirect=True)  # 3 calls of 1.5 s: time for --watch to see it run
def test_watch_keeps_the_page_current_while_a_worker_runs(bosun_bin, world):
    serve, session, db, tmp_path = world
    worker = serve.request("spawn", {"task": "Take a few steps"})["result"]["id"]
    page = tmp_path / "live.html"
    watch = subprocess.Popen([bosun_bin, "trace", "html", session, "-o", str(page), "--db", str(db), "--watch",
                              "--interval", "0.2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: page.exists() and '<meta http-equiv="refresh" content="1">' in page.read_text(),
                 "the live page, which reloads itself")
        assert "live: this page reloads every 1s while workers run" in page.read_text()
        wait_for(lambda: serve.event(worker, "succeeded"), "the worker to end", timeout=60)
        assert watch.wait(timeout=30) == 0, watch.stderr.read()
    finally:
        if watch.poll() is None:
            watch.kill()
    final = page.read_text()
    assert '<meta http-equiv="refresh"' not in final and 'data-state="succeeded"' in final


def test_watch_needs_a_file(bosun_bin, world):
    _, session, db, _ = world
    run = subprocess.run([bosun_bin, "trace", "html", session, "-o", "-", "--watch", "--db", str(db)],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 64 and "--watch rewrites a file: give one with -o FILE" in run.stderr
