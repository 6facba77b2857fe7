"""The peer for bench/mcp_compare.py: an MCP server written with the official MCP Python SDK
(PyPI `mcp`, its high-level server class) over stdio, with one `status` tool that answers
a session summary shaped like bosun's. Run by mcp_compare.py; not meant to be run by hand."""
try:  # 2.x
    from mcp.server.mcpserver import MCPServer as Server
except ImportError:  # 1.x
    from mcp.server.fastmcp import FastMCP as Server

server = Server("peer")


@server.tool()
def status(workerId: str | None = None) -> dict:
    """One worker, or the session summary."""
    counts = {state: 0 for state in ("queued", "running", "succeeded", "failed", "cancelled", "timed_out", "interrupted")}
    return {"session": {"id": "s_peer", "maxConcurrentWorkers": 5, "counts": counts},
            "usage": {"inputTokens": 0, "outputTokens": 0, "cacheReadTokens": 0, "costUSD": 0},
            "workers": []}


if __name__ == "__main__":
    server.run()
