"""`make install`: the binary, completions and man page under DESTDIR/PREFIX, and `--version`
naming the commit. The recipe is run against the binary under test (INSTALL_BINARY), which
skips the release build: that build takes minutes, and what is tested here is the recipe."""
import pathlib
import shutil
import subprocess

import pytest

from conftest import ROOT

COMMIT_FILE = ROOT / "Sources" / "bosun" / "BuildCommit.generated.swift"


def make(*arguments):
    return subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *arguments],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def installed(bosun_bin, tmp_path):
    destdir = tmp_path / "stage"
    result = make("install", f"INSTALL_BINARY={bosun_bin}", f"DESTDIR={destdir}", "PREFIX=/opt/bosun")
    assert result.returncode == 0, result.stdout + result.stderr
    return destdir / "opt" / "bosun"


def test_install_puts_the_binary_completions_and_man_page_under_destdir_and_prefix(installed):
    binary = installed / "bin" / "bosun"
    assert subprocess.run([str(binary), "--version"], capture_output=True, text=True).stdout.startswith("0.1.0")
    bash = (installed / "share/bash-completion/completions/bosun").read_text()
    assert "_bosun" in bash and "mock-provider" in bash
    loaded = subprocess.run(["bash", "-c", f"source '{installed}/share/bash-completion/completions/bosun' && complete -p bosun"],
                            capture_output=True, text=True)
    assert loaded.returncode == 0 and "bosun" in loaded.stdout, loaded.stderr
    assert "#compdef bosun" in (installed / "share/zsh/site-functions/_bosun").read_text()
    assert "complete -c 'bosun'" in (installed / "share/fish/vendor_completions.d/bosun.fish").read_text()
    page = (installed / "share/man/man1/bosun.1").read_text()
    assert page.startswith(".TH BOSUN 1")
    assert ".SH BOSUN SERVE" in page and ".SS bosun trace sessions" in page
    assert "\\-\\-mock" in page and "\\-\\-workspace" in page
    if shutil.which("groff"):
        rendered = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=page, capture_output=True, text=True)
        assert rendered.returncode == 0 and rendered.stderr == "", rendered.stderr


def test_uninstall_removes_what_install_put(installed, tmp_path):
    result = make("uninstall", f"DESTDIR={tmp_path / 'stage'}", "PREFIX=/opt/bosun")
    assert result.returncode == 0, result.stderr
    assert [path for path in installed.rglob("*") if path.is_file()] == []


def test_version_names_the_commit_make_built_from(bosun_bin):
    """`make` writes the commit into the build; without it (a plain `swift build`, a tree
    outside git) the package version stands alone."""
    version = subprocess.run([bosun_bin, "--version"], capture_output=True, text=True).stdout.strip()
    if COMMIT_FILE.exists():
        commit = COMMIT_FILE.read_text().split('"')[1]
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
        assert commit.startswith(head.strip())
        assert version == f"0.1.0 (commit {commit})"
    else:
        assert version == "0.1.0"


def test_make_build_commit_writes_the_head_commit(tmp_path):
    """The recipe itself, on a copy of the Makefile in a fresh repository and outside any."""
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "Sources" / "bosun").mkdir(parents=True)
    generated = tmp_path / "Sources" / "bosun" / "BuildCommit.generated.swift"
    outside = subprocess.run(["make", "-s", "-C", str(tmp_path), "build-commit"], capture_output=True, text=True)
    assert outside.returncode == 0 and not generated.exists(), outside.stderr
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "Makefile"], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert subprocess.run(["make", "-s", "-C", str(tmp_path), "build-commit"]).returncode == 0
    assert f'static var commit: String? {{ "{head}" }}' in generated.read_text()
