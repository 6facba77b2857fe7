"""The short run of `make chaos` that `make test` includes: three kill -9 rounds of one
session against the mock provider, each checked for a sound store file, every acknowledged
worker present, every terminal state the client was told unchanged, and nothing left
running (Tests/reliability/chaos.py says what each round does)."""
import pathlib
import random
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "reliability"))

import chaos  # noqa: E402


def test_three_kill_nine_rounds_lose_nothing_acknowledged(bosun_bin):
    seed = random.randrange(1 << 30)
    try:
        summary = chaos.run(rounds=3, workers=30, seed=seed, bosun=bosun_bin, log=lambda line: None)
    except AssertionError as failure:
        raise AssertionError(f"seed {seed}: {failure}") from None
    assert summary["kills"] == 3 and summary["integrity_checks"] == 3, f"seed {seed}: {summary}"
    assert summary["workers"] >= summary["acknowledged"] > 0, f"seed {seed}: {summary}"
    assert summary["final_integrity"] == "ok", f"seed {seed}: {summary}"
