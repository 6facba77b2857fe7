#!/usr/bin/env python3
"""Writes bosun(1), a roff man page, from the binary's own `--help` texts (the root command's and
every subcommand's, nested ones included), so the page says what the binary it ships with does.

Usage: python3 packaging/manpage.py path/to/bosun > bosun.1   (`make install` runs it.)
"""
import re
import subprocess
import sys
from datetime import date

SECTION = re.compile(r"^([A-Z][A-Z ]+):\s*(.*)$")


def help_text(binary, path):
    return subprocess.run([binary, *path, "--help"], check=True, capture_output=True, text=True).stdout


def sections(text):
    """The help's sections in order: (title, lines); text before the first title is 'OVERVIEW'."""
    found, title, lines = [], "OVERVIEW", []
    for line in text.splitlines():
        match = SECTION.match(line)
        if match:
            if lines or title != "OVERVIEW":
                found.append((title, lines))
            title, lines = match.group(1), ([match.group(2)] if match.group(2) else [])
        else:
            lines.append(line)
    found.append((title, lines))
    return found


def escape(text):
    """Roff text: backslashes and hyphens escaped, anything beyond ASCII as a named glyph."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = "".join(char if ord(char) < 128 else f"\\[u{ord(char):04X}]" for char in text)
    return "\\&" + text if text.startswith((".", "'")) else text


def paragraphs(lines):
    """Blank-line separated prose, each paragraph joined into one line."""
    out, current = [], []
    for line in lines + [""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            out.append(" ".join(current))
            current = []
    return out


def entries(lines):
    """`  term    description` lines with indented continuations: (term, description) pairs."""
    pairs = []
    for line in lines:
        if not line.strip() or line.strip().startswith("See '"):
            continue
        indent = len(line) - len(line.lstrip())
        if indent <= 2:
            term, _, description = line.strip().partition("  ")
            pairs.append([term.strip(), description.strip()])
        elif pairs:
            pairs[-1][1] = (pairs[-1][1] + " " + line.strip()).strip()
    return pairs


def subcommands(text):
    for title, lines in sections(text):
        if title == "SUBCOMMANDS":
            return [term.split()[0] for term, _ in entries(lines)]
    return []


def render(binary, path, out, level):
    text = help_text(binary, path)
    if path:
        out.append(f"{'.SH' if level == 1 else '.SS'} {escape(' '.join(['bosun', *path]).upper() if level == 1 else ' '.join(['bosun', *path]))}")
    for title, lines in sections(text):
        if title == "USAGE":
            out.append(".PP\n.B " + escape(" ".join(line.strip() for line in lines if line.strip())))
        elif title in ("OPTIONS", "ARGUMENTS", "SUBCOMMANDS"):
            if title == "OPTIONS" and path:
                out.append(".PP\nOptions:")
            for term, description in entries(lines):
                out.append(f".TP\n.B {escape(term)}\n{escape(description)}")
        else:
            for paragraph in paragraphs(lines):
                out.append(".PP\n" + escape(paragraph))
    for name in subcommands(text):
        render(binary, [*path, name], out, level + 1)


def main():
    binary = sys.argv[1]
    version = subprocess.run([binary, "--version"], check=True, capture_output=True, text=True).stdout.strip()
    root = sections(help_text(binary, []))
    overview = paragraphs(dict(root).get("OVERVIEW", []))
    out = [f'.TH BOSUN 1 "{date.today().isoformat()}" "bosun {escape(version)}" "User Commands"',
           ".SH NAME", "bosun \\- " + escape(overview[0].rstrip(".") if overview else "bosun"), ".SH SYNOPSIS",
           ".B bosun\n[\\fIcommand\\fR] [\\fIoptions\\fR]", ".SH DESCRIPTION"]
    render(binary, [], out, 0)
    out.append(".SH SEE ALSO\nThe README and docs/ of the bosun source tree; \\fBbosun help\\fR \\fIcommand\\fR.")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
