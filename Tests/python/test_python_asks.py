"""Workers' asks through the `bosun_client` package, against the real binary: `on_ask` (sync and
asyncio) answers the server's `worker/ask`, a callback that raises leaves the ask pending,
and `answer()` answers it, or is refused naming the field."""
import asyncio
import threading
import time

import pytest

from conftest import ASKER_ROLE, ASKER_SCRIPT, write_mock_config

from bosun_client import Ask, AskReply, AsyncBosunClient, BosunClient, BosunError, ErrorCode

@pytest.fixture
def world(mock_provider, tmp_path):
    script = tmp_path / "mock.yaml"
    script.write_text(ASKER_SCRIPT)
    port = mock_provider("--tool-steps", "0", "--script", str(script))
    config = write_mock_config(tmp_path, port)
    config.write_text(config.read_text() + ASKER_ROLE)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    return [str(config), str(tmp_path / "trace.sqlite")], workspace, tmp_path


def serve(binary, world_args):
    config, db = world_args
    return [binary, "serve", "--config", config, "--db", db]


def answered(client, worker_id):
    return [event.data for event in client.trace(worker_id) if event.kind == "answered"]


def wait_for(predicate, what, timeout=60):
    """Polls `predicate` until it returns something true; fails naming `what`."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)  # paces the polls; the wait is for the predicate
    return value


def test_sync_on_ask_answers_on_a_thread_of_its_own_that_may_call_the_client(bosun_bin, world):
    args, workspace, _ = world
    seen: list[Ask] = []
    states: list[str] = []
    reader_threads = set()

    def on_ask(ask: Ask) -> AskReply:
        seen.append(ask)
        reader_threads.add(threading.current_thread().name)
        states.append(client.status(ask.worker_id).state)  # a call of the client from the callback
        return {"text": "sqlite"}

    client = BosunClient.start(serve(bosun_bin, args), cwd=str(workspace), on_ask=on_ask)
    try:
        client.initialize(str(workspace))
        worker = client.spawn("Pick a database", role="asker", wait=True)
        assert worker.state == "succeeded" and worker.result and worker.result.text == "Done, as answered."
        [ask] = seen
        assert ask.kind == "question" and ask.question == "Which database?" and ask.worker_id == worker.id
        assert ask.options is not None and [option.id for option in ask.options] == ["postgres", "sqlite"]
        assert states == ["waiting"]
        assert "bosun-reader" not in reader_threads
        [answer] = answered(client, worker.id)
        assert answer["askId"] == ask.ask_id and answer["text"] == "sqlite" and answer["answeredBy"] == "client"
        assert client.status(worker.id).waited_ms is not None
    finally:
        client.close()


def test_on_ask_allows_or_denies_a_permission(bosun_bin, world):
    args, workspace, _ = world
    decisions = iter(["allow", "deny"])
    seen: list[Ask] = []

    def on_ask(ask: Ask) -> AskReply:
        seen.append(ask)
        return {"decision": "allow"} if next(decisions) == "allow" else {"decision": "deny", "text": "not today"}

    client = BosunClient.start(serve(bosun_bin, args), cwd=str(workspace), on_ask=on_ask)
    try:
        client.initialize(str(workspace))
        allowed = client.spawn("Greet", role="guarded", wait=True)
        denied = client.spawn("Greet again", role="guarded", wait=True)
        [first, second] = seen
        assert first.kind == "permission" and first.tool == "run_command" and first.input == {"command": ["echo", "hello"]}
        assert first.options is not None and [o.id for o in first.options] == ["allow", "allow_always", "deny"]
        assert second.worker_id == denied.id

        def command_result(worker_id):
            return next(e.data for e in client.trace(worker_id) if e.kind == "tool_result" and e.data["name"] == "run_command")
        ran, refused = command_result(allowed.id), command_result(denied.id)
        assert not ran["isError"] and "hello" in ran["text"], ran
        assert refused["isError"] and "not approved" in refused["text"] and "not today" in refused["text"], refused
        assert [a["decision"] for a in answered(client, allowed.id) + answered(client, denied.id)] == ["allow", "deny"]
    finally:
        client.close()


def test_a_raising_on_ask_leaves_the_ask_pending_for_answer(bosun_bin, world):
    args, workspace, tmp_path = world
    log = tmp_path / "serve.log"

    def on_ask(ask: Ask) -> AskReply:
        raise RuntimeError("the person closed the dialog")

    with open(log, "w") as stderr:
        client = BosunClient.start(serve(bosun_bin, args), cwd=str(workspace), on_ask=on_ask, stderr=stderr)
        try:
            client.initialize(str(workspace))
            worker = client.spawn("Pick a database", role="asker")
            # The server has the client's error answer: the ask is still pending, not denied.
            wait_for(lambda: "stays pending" in log.read_text(), "the server to log the callback's error")
            assert "the person closed the dialog" in log.read_text()
            waiting = client.status(worker.id)
            assert waiting.state == "waiting" and len(waiting.asks) == 1
            ask = waiting.asks[0]

            # Answers that do not fit are refused naming the field; the worker keeps waiting.
            with pytest.raises(BosunError) as unknown:
                client.answer("a_0000000000000000", text="postgres")
            assert unknown.value.code == ErrorCode.UNKNOWN_WORKER and unknown.value.field == "askId"
            with pytest.raises(BosunError) as wrong:
                client.answer(ask.ask_id, text="mysql")
            assert wrong.value.code == ErrorCode.INVALID_PARAMS and wrong.value.field == "text"
            with pytest.raises(BosunError) as allow:
                client.answer(ask.ask_id, decision="allow")
            assert allow.value.code == ErrorCode.INVALID_PARAMS and allow.value.field == "decision"
            assert client.status(worker.id).state == "waiting"

            result = client.answer(ask.ask_id, text="postgres")
            assert result.ask_id == ask.ask_id and result.worker_id == worker.id
            [done] = client.await_workers([worker.id]).finished
            assert done.state == "succeeded" and done.result and done.result.text == "Done, as answered."
            [answer] = answered(client, worker.id)
            assert answer["text"] == "postgres"
            with pytest.raises(BosunError) as again:
                client.answer(ask.ask_id, text="sqlite")
            assert again.value.code == ErrorCode.WRONG_WORKER_STATE and again.value.field == "askId"
        finally:
            client.close()


def test_async_on_ask_may_be_a_coroutine_and_decline(bosun_bin, world):
    args, workspace, _ = world

    async def run():
        asked = asyncio.Event()

        async def on_ask(ask: Ask) -> AskReply:
            asked.set()
            await asyncio.sleep(0)  # a coroutine: it may await a person's answer
            return {"decision": "deny"}

        client = await AsyncBosunClient.start(serve(bosun_bin, args), cwd=str(workspace), on_ask=on_ask)
        try:
            await client.initialize(str(workspace))
            worker = await client.spawn("Pick a database", role="asker", wait=True)
            assert asked.is_set()
            assert worker.state == "succeeded" and worker.result and worker.result.text == "Decided myself."
            events = await client.trace(worker.id)
            [answer] = [event.data for event in events if event.kind == "answered"]
            assert answer["decision"] == "deny" and answer["answeredBy"] == "client"
        finally:
            await client.close()

    asyncio.run(run())


def test_async_on_ask_returning_none_leaves_the_ask_for_answer(bosun_bin, world):
    args, workspace, _ = world

    async def run():
        asks: "asyncio.Queue[Ask]" = asyncio.Queue()

        def on_ask(ask: Ask) -> None:
            asks.put_nowait(ask)  # someone else answers: here, the test with answer()

        client = await AsyncBosunClient.start(serve(bosun_bin, args), cwd=str(workspace), on_ask=on_ask)
        try:
            await client.initialize(str(workspace))
            worker = await client.spawn("Pick a database", role="asker")
            ask = await asyncio.wait_for(asks.get(), timeout=60)
            assert (await client.status(worker.id)).state == "waiting"
            result = await client.answer(ask.ask_id, text="postgres")
            assert result.worker_id == worker.id
            [done] = (await client.await_workers([worker.id])).finished
            assert done.result and done.result.text == "Done, as answered."
        finally:
            await client.close()

    asyncio.run(run())


def test_a_client_without_on_ask_answers_with_answer(bosun_bin, world):
    args, workspace, _ = world
    client = BosunClient.start(serve(bosun_bin, args), cwd=str(workspace))
    try:
        client.initialize(str(workspace))
        worker = client.spawn("Pick a database", role="asker")
        ask = wait_for(lambda: client.status(worker.id).asks, "the worker's ask")[0]
        assert client.answer(ask.ask_id, text="sqlite").worker_id == worker.id
        assert client.await_workers([worker.id]).finished[0].state == "succeeded"
        assert [a["text"] for a in answered(client, worker.id)] == ["sqlite"]
    finally:
        client.close()
