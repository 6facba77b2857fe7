"""A server of the `initialize` era only (MCP 2025-11-25 and older), written with the last
1.x release of the official `mcp` SDK: stdio, or with `http PORT` Streamable HTTP on
loopback with sessions. Run it with the Python of `.venv-mcp1` (see the Makefile)."""
import sys

from mcp.server.fastmcp import FastMCP

server = FastMCP("sdk1-tools")


@server.tool()
def add(a: int, b: int) -> str:
    """Adds two whole numbers."""
    return f"SUM={a + b}"


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "http":
        server.settings.host = "127.0.0.1"
        server.settings.port = int(sys.argv[2])
        server.settings.log_level = "WARNING"
        server.run(transport="streamable-http")
    else:
        server.run()
