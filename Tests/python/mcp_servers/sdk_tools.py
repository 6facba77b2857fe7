"""A stdio MCP server written with the official `mcp` SDK (2.x `MCPServer`): one tool."""
from mcp.server.mcpserver import MCPServer

server = MCPServer("sdk-tools")


@server.tool()
def multiply(a: int, b: int) -> str:
    """Multiplies two whole numbers."""
    return f"PRODUCT={a * b}"


if __name__ == "__main__":
    server.run()
