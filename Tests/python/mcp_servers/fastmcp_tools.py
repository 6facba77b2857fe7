"""A stdio (or, with `http PORT`, Streamable HTTP) MCP server written with fastmcp, for the
tests of bosun's workers using MCP servers. Its tools cover what those tests need: a plain
answer, a process id (to see a restart), dying, a 10 MB answer, an image, a secret from its
environment, a name with odd characters and a tool that never answers."""
import os
import sys
import time

from fastmcp import FastMCP
from fastmcp.utilities.types import Image

if os.environ.get("MCP_TEST_GARBAGE"):
    print("Welcome! Starting the tools server...", flush=True)  # stdout: what a broken server does
if os.environ.get("MCP_TEST_HANG"):
    print("loading a very large index", file=sys.stderr, flush=True)
    time.sleep(3600)  # stands for a server that never finishes starting

mcp = FastMCP("tools")


@mcp.tool
def add(a: int, b: int) -> str:
    """Adds two whole numbers."""
    return f"SUM={a + b}"


@mcp.tool
def pid() -> str:
    """This server's process id."""
    return f"PID={os.getpid()}"


@mcp.tool
def die() -> str:
    """Ends this server at once, mid-call."""
    print("dying on purpose", file=sys.stderr, flush=True)
    os._exit(3)


@mcp.tool
def big(size: int) -> str:
    """A result of `size` bytes."""
    return "x" * size


@mcp.tool
def picture() -> list:
    """A tiny PNG and a caption."""
    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")
    return ["a one-pixel picture", Image(data=png, format="png")]


@mcp.tool
def secret() -> str:
    """The value of SECRET_TOKEN in this server's environment."""
    return "TOKEN=" + os.environ.get("SECRET_TOKEN", "")


@mcp.tool
def slow() -> str:
    """Never answers in time."""
    time.sleep(3600)  # stands for a tool that never answers
    return "late"


@mcp.tool(name="odd.name/with spaces!")
def odd() -> str:
    """A tool whose name has characters model APIs refuse."""
    return "ODD=ok"


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "http":
        mcp.run(transport="http", host="127.0.0.1", port=int(sys.argv[2]), show_banner=False)
    else:
        mcp.run(show_banner=False)
