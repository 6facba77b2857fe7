"""What the dynamic loader maps into every bosun process at exec: the shared libraries the
binary names (its ELF NEEDED entries). libcurl is not among them: it and the ~30 libraries it
needs are opened at the first HTTP transfer (Sources/CCurl/shim.h), so a start does
not pay for them; `StartupFootprintTests` checks that it is mapped once a model is called."""
import shutil
import subprocess

import pytest


def needed_libraries(binary: str) -> list[str]:
    """The NEEDED entries of the binary's dynamic section, from `readelf -d`."""
    if not shutil.which("readelf"):
        pytest.skip("readelf (binutils) is not installed: cannot read the binary's dynamic section")
    dynamic = subprocess.run(["readelf", "--dynamic", "--wide", binary], capture_output=True, text=True, check=True).stdout
    # Lines such as: 0x0000000000000001 (NEEDED)  Shared library: [libsqlite3.so.0]
    return [line.rsplit("[", 1)[1].rstrip("]") for line in dynamic.splitlines() if "(NEEDED)" in line]


def test_libcurl_is_not_linked_and_sqlite_is(bosun_bin):
    needed = needed_libraries(bosun_bin)
    assert "libsqlite3.so.0" in needed, needed  # the entries were read: SQLite is linked
    assert [name for name in needed if "curl" in name] == [], needed
