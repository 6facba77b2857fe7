"""A real third-party LSP client (pytest-lsp on pygls) drives `bosun serve`."""
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from conftest import BOSUN


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[BOSUN, "serve"]))
async def client(lsp_client: LanguageClient):
    yield


async def test_initialize_status_shutdown_exit(client: LanguageClient):
    result = await client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(),
        client_info=types.ClientInfo(name="pytest-lsp"),
        initialization_options={"maxConcurrentWorkers": 2, "events": "terminal"},
    ))
    assert result.server_info.name == "bosun"
    assert result.server_info.version

    # pygls hands results of methods it has no type for back as attribute objects.
    status = await client.protocol.send_request_async("status", {})
    assert status.session.id.startswith("s_")
    assert status.session.maxConcurrentWorkers == 2
    assert status.session.counts.running == 0
    assert status.workers == []

    await client.shutdown_session()
    assert client._server.returncode == 0, "exit after shutdown must end with code 0"
