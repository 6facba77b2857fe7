"""ARCHITECTURE.md's code map and Package.swift name the same module edges.

An edge is a dependency of a module under `Sources/` (a target, an executable or a system
library) on another target of this package. Test targets and the test-side helpers that
live under `Tests/` are not in the map, and neither are other packages' products (swift-log,
ArgumentParser, Yams). The code map is the fenced block under "## Code map": each line is
groups of comma-separated names joined by `◀─`, and every name of a group depends on every
name of the group to its left (`A, B ◀─ C ◀─ D` says C depends on A and B, and D on C).
"""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
TARGET_KINDS = ("target", "executableTarget", "testTarget", "systemLibrary")


def balanced(text: str, start: int, opening: str, closing: str) -> str:
    """The text from `start` (an `opening` character) to its matching `closing` one."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == opening:
            depth += 1
        elif text[index] == closing:
            depth -= 1
            if depth == 0:
                return text[start:index + 1]
    raise ValueError(f"unbalanced {opening} at {start}")


def package_targets(source: str) -> dict[str, dict]:
    """Each target's kind, path (None for the default one) and the names it depends on."""
    source = re.sub(r"//[^\n]*", "", source)
    targets = {}
    for match in re.finditer(r"\.(" + "|".join(TARGET_KINDS) + r")\(", source):
        call = balanced(source, match.end() - 1, "(", ")")
        name = re.search(r'name:\s*"([^"]+)"', call).group(1)
        path = re.search(r'path:\s*"([^"]+)"', call)
        dependencies = re.search(r"dependencies:\s*\[", call)
        names = []
        if dependencies:
            listed = balanced(call, dependencies.end() - 1, "[", "]")
            listed = re.sub(r"\.product\([^)]*\)", "", listed)
            names = re.findall(r'"([^"]+)"', listed)
        targets[name] = {"kind": match.group(1), "path": path.group(1) if path else None, "dependencies": names}
    return targets


def package_edges(source: str) -> set[tuple[str, str]]:
    targets = package_targets(source)
    modules = {name for name, target in targets.items()
               if target["kind"] != "testTarget" and not (target["path"] or "").startswith("Tests/")}
    return {(name, dependency) for name in modules for dependency in targets[name]["dependencies"]
            if dependency in targets}


def code_map_edges(architecture: str) -> set[tuple[str, str]]:
    section = architecture.split("## Code map", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S).group(1)
    edges = set()
    for line in block.splitlines():
        groups = [[name.strip() for name in group.split(",") if name.strip()] for group in line.split("◀─")]
        for left, right in zip(groups, groups[1:]):
            edges |= {(dependent, dependency) for dependent in right for dependency in left}
    return edges


def header_edges(source: str) -> set[tuple[str, str]]:
    """The edges the comment at the top of Package.swift draws, in the code map's notation
    with `<-` for the arrow and an optional parenthesised reason after a name."""
    lines = []
    for line in source.splitlines():
        if not line.startswith("//"):
            if lines:
                break
            continue
        text = line.removeprefix("//").strip()
        if "<-" in text:
            lines.append(re.sub(r"\([^)]*\)", "", text).replace("<-", "◀─"))
    return code_map_edges("## Code map\n```\n" + "\n".join(lines) + "\n```")


def describe(edges: set[tuple[str, str]]) -> str:
    return ", ".join(f"{dependent} → {dependency}" for dependent, dependency in sorted(edges))


def test_the_code_map_lists_every_edge_of_the_package_and_no_other():
    package = package_edges((ROOT / "Package.swift").read_text())
    mapped = code_map_edges((ROOT / "ARCHITECTURE.md").read_text())
    assert package, "no edges parsed from Package.swift"
    assert not package - mapped, f"in Package.swift, missing from ARCHITECTURE.md's code map: {describe(package - mapped)}"
    assert not mapped - package, f"in ARCHITECTURE.md's code map, not in Package.swift: {describe(mapped - package)}"


def test_the_package_header_comment_draws_the_same_edges():
    source = (ROOT / "Package.swift").read_text()
    package = package_edges(source)
    drawn = header_edges(source)
    assert not package - drawn, f"missing from Package.swift's header comment: {describe(package - drawn)}"
    assert not drawn - package, f"in Package.swift's header comment, not a dependency: {describe(drawn - package)}"


def test_the_parsers_read_the_notation_as_documented():
    """The checks above are only as good as the parsing; pin it on a small example."""
    package = '''
        // A <- B
        .target(name: "A"),
        .systemLibrary(name: "CLib", pkgConfig: "lib"),
        .target(name: "B", dependencies: ["A", "CLib", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(name: "tool", dependencies: ["B", "Yams"]),
        .target(name: "Helper", dependencies: ["B"], path: "Tests/Helper"),
        .testTarget(name: "BTests", dependencies: ["B", "Helper"]),
    '''
    assert package_edges(package) == {("B", "A"), ("B", "CLib"), ("tool", "B")}
    assert code_map_edges("## Code map\n```\nA, CLib ◀─ B ◀─ tool, other\n```\n") == {
        ("B", "A"), ("B", "CLib"), ("tool", "B"), ("other", "B")}
    assert header_edges("// intro\n// A, CLib (why) <- B\n//   B <- tool\nlet x = 1\n// C <- D\n") == {
        ("B", "A"), ("B", "CLib"), ("tool", "B")}


def test_no_module_re_exports_another():
    """`@_exported import` would let a module use what its own dependencies do not list, past
    the explicit-import check that keeps Package.swift's edges true."""
    offenders = [f"{path.relative_to(ROOT)}:{number}"
                 for path in sorted((ROOT / "Sources").rglob("*.swift"))
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if re.match(r"\s*@_exported\b", line)]
    assert not offenders, f"@_exported import in {', '.join(offenders)}: import the module where it is used instead"
