"""A server of MCP 2026-07-28 only, written with the official `mcp` SDK (2.x `MCPServer`):
stdio served by the SDK's own loop for that era (it answers `initialize` with the spec's
UnsupportedProtocolVersion), or, with `http PORT`, Streamable HTTP on loopback that serves
only 2026-07-28 requests (anything else is a 400). Its tool list may be cached for an hour,
and `grow` adds a tool and says so on `subscriptions/listen` streams."""
import sys

import anyio
from mcp.server.caching import CacheHint
from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("sdk-modern", cache_hints={"tools/list": CacheHint(ttl_ms=3_600_000, scope="public")})


@server.tool()
def multiply(a: int, b: int) -> str:
    """Multiplies two whole numbers."""
    return f"PRODUCT={a * b}"


@server.tool()
async def grow(ctx: Context) -> str:
    """Adds the tool `extra` and tells the listeners."""

    def extra() -> str:
        """A tool that came later."""
        return "EXTRA=yes"

    server.add_tool(extra)
    await ctx.notify_tools_changed()
    # The listen stream writes the notification on a task of its own: this pause lets it go
    # out before the answer does, so the client has heard of `extra` once `grow` answered.
    await anyio.sleep(0.5)
    return "GREW"


async def stdio() -> None:
    from mcp.server.runner import _serve_modern_stream
    from mcp.server.stdio import stdio_server

    lowlevel = server._lowlevel_server
    async with stdio_server() as (read, write), lowlevel.lifespan(lowlevel) as state:
        await _serve_modern_stream(lowlevel, read, write, lifespan_state=state, raise_exceptions=False)


def http(port: int) -> None:
    import uvicorn
    from mcp.server._streamable_http_modern import handle_modern_request
    from starlette.responses import JSONResponse

    app = server.streamable_http_app()
    manager = server.session_manager

    async def modern_only(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        headers = dict(scope["headers"])
        if scope["method"] != "POST" or headers.get(b"mcp-protocol-version") != b"2026-07-28":
            body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "this server speaks 2026-07-28 only"}}
            return await JSONResponse(body, status_code=400)(scope, receive, send)
        await handle_modern_request(manager.app, manager.security_settings, manager.json_response,
                                    manager._lifespan_state, scope, receive, send)

    async def lifespan_wrapper(scope, receive, send):
        if scope["type"] == "lifespan":
            return await app(scope, receive, send)
        return await modern_only(scope, receive, send)

    uvicorn.run(lifespan_wrapper, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "http":
        http(int(sys.argv[2]))
    else:
        anyio.run(stdio)
