"""bosun as an ACP agent (Agent Client Protocol, as Zed speaks it), driven by the PyPI
`agent-client-protocol` package's client over stdio, against the real binary and a scripted
`bosun mock-provider`: the planner, the synthesizer and each subtask answer from the script.
"""
import asyncio
import json
import os
import pathlib
import sqlite3

import pytest

acp = pytest.importorskip("acp")
from acp import spawn_agent_process, text_block, resource_link_block  # noqa: E402
from acp.schema import ClientCapabilities, Implementation  # noqa: E402

from conftest import write_mock_config  # noqa: E402

PLAN = """{ subtasks: [
    { id: a, role: worker, brief: { task: "Collect fact A" } },
    { id: b, role: researcher, brief: { task: "Collect fact B" } },
    { id: c, role: writer, brief: { task: "Combine the facts" }, after: [a, b] } ] }"""

SCRIPT = """rules:
  - match: {{ system: "bosun's planner" }}
    reply: {{ toolCalls: [{{ name: submit_result, input: {plan} }}] }}
  - match: {{ system: "bosun's synthesizer" }}
    reply:
      toolCalls:
        - name: submit_result
          input: {{ text: "A is 1 and B is 2, so A+B is 3.", sources: [{{ workerId: "$enum[0]", claim: "a part" }}], conflicts: [], gaps: [] }}
  - match: {{ lastMessage: "Combine the facts" }}
    reply: {{ toolCalls: [{{ name: submit_result, input: {{ text: "A+B is 3" }} }}] }}
  - match: {{ lastMessage: "Collect fact A" }}
    latencyMs: {slow_ms}
    reply: {{ toolCalls: [{{ name: submit_result, input: {{ text: "A is 1" }} }}] }}
  - match: {{ lastMessage: "Collect fact B" }}
    reply: {{ toolCalls: [{{ name: submit_result, input: {{ text: "B is 2" }} }}] }}
"""


class Recorder:
    """An ACP client that keeps every session/update and refuses what bosun never asks."""

    def __init__(self):
        self.updates = []
        self.seen = asyncio.Event()
        self.want = None

    async def session_update(self, session_id, update, **kwargs):
        self.updates.append((session_id, update))
        if self.want is not None and self.want(update):
            self.seen.set()

    async def request_permission(self, *args, **kwargs):
        raise AssertionError("no worker of this test asks")

    def of(self, kind):
        return [update for _, update in self.updates if update.session_update == kind]


class World:
    def __init__(self, binary, root: pathlib.Path, port: int):
        self.binary = binary
        self.config = write_mock_config(root, port)
        self.db = root / "trace.sqlite"
        self.workspace = root / "workspace"
        self.workspace.mkdir()
        (self.workspace / "README.md").write_text("# demo\nA workspace for ACP tests.\n")

    def agent(self, client):
        return spawn_agent_process(client, self.binary, "serve", "--config", str(self.config), "--db", str(self.db),
                                   cwd=str(self.workspace), env=dict(os.environ))


def world(bosun_bin, mock_provider, tmp_path, slow_ms=20, script_text=None):
    script = tmp_path / "mock.yaml"
    script.write_text(script_text or SCRIPT.format(plan=PLAN, slow_ms=slow_ms))
    return World(bosun_bin, tmp_path, mock_provider("--latency-ms", "20", "--tool-steps", "0", "--script", str(script)))


async def start(conn):
    init = await conn.initialize(protocol_version=1, client_capabilities=ClientCapabilities(),
                                 client_info=Implementation(name="pytest", version="1"))
    assert init.protocol_version == 1
    assert init.agent_info.name == "bosun"
    assert init.agent_capabilities.load_session is True
    assert init.agent_capabilities.prompt_capabilities.embedded_context is True
    assert init.auth_methods == []


async def test_a_prompt_is_an_orchestration_streamed_as_plan_tool_calls_and_message(bosun_bin, mock_provider, tmp_path):
    w = world(bosun_bin, mock_provider, tmp_path, slow_ms=20)
    client = Recorder()
    async with w.agent(client) as (conn, _process):
        await start(conn)
        session = await conn.new_session(cwd=str(w.workspace), mcp_servers=[])
        assert session.session_id.startswith("s_")
        readme = resource_link_block(name="README.md", uri=(w.workspace / "README.md").as_uri())
        response = await asyncio.wait_for(conn.prompt(session_id=session.session_id, prompt=[
            text_block("Find A and B and combine them"), readme]), timeout=90)
        assert response.stop_reason == "end_turn"

    assert {sid for sid, _ in client.updates} == {session.session_id}
    # The plan: three entries from the planner's subtasks, all completed in the last update.
    plans = client.of("plan")
    assert plans, client.updates
    first = plans[0].entries
    assert [entry.content for entry in first] == ["Collect fact A", "Collect fact B", "Combine the facts"]
    assert [entry.status for entry in first] == ["pending"] * 3
    assert [entry.priority for entry in first] == ["high", "high", "medium"]
    assert [entry.status for entry in plans[-1].entries] == ["completed"] * 3
    statuses = [[entry.status for entry in plan.entries] for plan in plans]
    assert any("in_progress" in row for row in statuses), statuses

    # One tool call per worker: the planner, three subtasks with the evaluator that verified
    # each (none had a deterministic check), the synthesizer, each completed.
    calls = client.of("tool_call")
    titles = [call.title for call in calls]
    assert len(calls) == 8, titles
    assert titles[0].startswith("planner:")
    assert titles[-1].startswith("synthesizer:")
    subtasks = sorted(t for t in titles[1:-1] if not t.startswith("evaluator:"))
    assert subtasks == ["researcher: Collect fact B", "worker: Collect fact A", "writer: Combine the facts"]
    assert len([t for t in titles if t.startswith("evaluator:")]) == 3, titles
    assert len({call.tool_call_id for call in calls}) == 8
    assert {call.kind for call in calls} <= {"think", "search", "other"}
    final = {}
    for call in calls:
        final[call.tool_call_id] = call.status
    for update in client.of("tool_call_update"):
        if update.status:
            final[update.tool_call_id] = update.status
    assert set(final.values()) == {"completed"}, final

    # The synthesis is the agent's message, after every other update.
    chunks = client.of("agent_message_chunk")
    assert "".join(chunk.content.text for chunk in chunks) == "A is 1 and B is 2, so A+B is 3."

    # Each worker's end carries its result as rawOutput, as bosun/1 gives it: the text it shows and more.
    outputs = {u.tool_call_id: u.raw_output for u in client.of("tool_call_update") if u.raw_output is not None}
    assert set(outputs) == set(final), outputs
    shown = {u.tool_call_id: u.content[0].content.text for u in client.of("tool_call_update")
             if u.raw_output is not None}
    assert all(isinstance(output, dict) and output["text"] == shown[i] for i, output in outputs.items()), outputs
    synthesizer = next(call.tool_call_id for call in calls if call.title.startswith("synthesizer:"))
    assert outputs[synthesizer]["text"] == "A is 1 and B is 2, so A+B is 3."
    assert client.updates[-1][1].session_update == "agent_message_chunk"


async def test_session_cancel_ends_the_turn_as_cancelled(bosun_bin, mock_provider, tmp_path):
    w = world(bosun_bin, mock_provider, tmp_path, slow_ms=30000)
    client = Recorder()
    # Cancel once fact A's worker (whose model call takes 30 s) is running.
    client.want = lambda update: (update.session_update == "plan"
                                  and any(entry.status == "in_progress" for entry in update.entries))
    async with w.agent(client) as (conn, _process):
        await start(conn)
        session = await conn.new_session(cwd=str(w.workspace), mcp_servers=[])
        prompt = asyncio.ensure_future(conn.prompt(session_id=session.session_id, prompt=[text_block("Find A and B")]))
        await asyncio.wait_for(client.seen.wait(), timeout=60)
        await conn.cancel(session_id=session.session_id)
        response = await asyncio.wait_for(prompt, timeout=30)
        assert response.stop_reason == "cancelled"
        assert not client.of("agent_message_chunk")

        # A prompt for a session this connection does not have is refused, naming the field.
        with pytest.raises(acp.RequestError) as refused:
            await conn.prompt(session_id="s_nosuchsession", prompt=[text_block("x")])
        assert refused.value.code == -32602
        assert "sessionId" in str(refused.value.data)

    # The running worker ended as its tool call says: failed (cancelled), not left running.
    final = {}
    for update in client.of("tool_call") + client.of("tool_call_update"):
        if update.status:
            final[update.tool_call_id] = update.status
    assert "in_progress" not in final.values(), final
    # A worker that ended cancelled says why in its rawOutput, the failure as bosun/1 gives it.
    failures = [u.raw_output for u in client.of("tool_call_update") if u.status == "failed" and u.raw_output]
    assert all(set(failure) >= {"code", "message"} for failure in failures), failures


async def test_bad_requests_get_clear_errors(bosun_bin, mock_provider, tmp_path):
    w = world(bosun_bin, mock_provider, tmp_path, slow_ms=20)
    async with w.agent(Recorder()) as (conn, _process):
        await start(conn)
        with pytest.raises(acp.RequestError) as relative:
            await conn.new_session(cwd="workspace", mcp_servers=[])
        assert relative.value.code == -32602 and "absolute" in str(relative.value)
        session = await conn.new_session(cwd=str(w.workspace), mcp_servers=[])
        with pytest.raises(acp.RequestError) as empty:
            await conn.prompt(session_id=session.session_id, prompt=[text_block("   ")])
        assert empty.value.code == -32602
        with pytest.raises(acp.RequestError) as unknown:
            await conn.load_session(cwd=str(w.workspace), session_id="s_0000000000000000", mcp_servers=[])
        assert unknown.value.code == -32602 and "session/new" in str(unknown.value)
        assert unknown.value.data == {"field": "sessionId"}
        # A bosun/1 method is refused with a message that says what to send instead.
        with pytest.raises(acp.RequestError) as bosun1:
            await conn._conn.send_request("spawn", {"task": "x"})
        assert bosun1.value.code == -32601 and "session/prompt" in str(bosun1.value)


async def test_session_load_replays_what_the_session_did(bosun_bin, mock_provider, tmp_path):
    w = world(bosun_bin, mock_provider, tmp_path, slow_ms=20)
    async with w.agent(Recorder()) as (conn, _process):
        await start(conn)
        session = await conn.new_session(cwd=str(w.workspace), mcp_servers=[])
        response = await asyncio.wait_for(conn.prompt(session_id=session.session_id, prompt=[text_block("Find A and B")]),
                                          timeout=90)
        assert response.stop_reason == "end_turn"

    # Another connection (the editor restarted) loads it: the goal, the workers, the answer.
    client = Recorder()
    async with w.agent(client) as (conn, _process):
        await start(conn)
        await conn.load_session(cwd=str(w.workspace), session_id=session.session_id, mcp_servers=[])
        kinds = [update.session_update for _, update in client.updates]
        assert kinds[0] == "user_message_chunk" and client.updates[0][1].content.text == "Find A and B"
        assert kinds.count("tool_call") == 8
        assert "".join(u.content.text for u in client.of("agent_message_chunk")) == "A is 1 and B is 2, so A+B is 3."
        assert {update.status for update in client.of("tool_call")} == {"completed"}
        # The loaded session takes prompts.
        response = await asyncio.wait_for(conn.prompt(session_id=session.session_id, prompt=[text_block("Again")]),
                                          timeout=90)
        assert response.stop_reason == "end_turn"


PARTIAL_SCRIPT = """rules:
  - match: { system: "bosun's planner" }
    reply:
      toolCalls:
        - name: submit_result
          input: { subtasks: [
            { id: good, role: worker, brief: { task: "Summarise the README" } },
            { id: bad, role: worker, brief: { task: "Produce missing.txt" }, checks: [{ kind: files, exist: [missing.txt] }] } ] }
  - match: { system: "bosun's coordinator" }
    reply: { toolCalls: [{ name: submit_result, input: { kind: abandon, reason: "Nobody can make missing.txt here." } }] }
  - match: { system: "bosun's synthesizer" }
    reply:
      toolCalls:
        - name: submit_result
          input: { text: "The README describes a demo.", sources: [{ workerId: "$enum[0]", claim: "the summary" }], conflicts: [], gaps: [] }
  - match: { lastMessage: "Summarise the README" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "It is a demo." } }] }
  - match: { lastMessage: "missing.txt" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "Done, trust me." } }] }
"""


async def test_a_partial_orchestration_ends_the_turn_saying_what_was_abandoned_and_why(bosun_bin, mock_provider, tmp_path):
    w = world(bosun_bin, mock_provider, tmp_path, script_text=PARTIAL_SCRIPT)
    client = Recorder()
    async with w.agent(client) as (conn, _process):
        await start(conn)
        session = await conn.new_session(cwd=str(w.workspace), mcp_servers=[])
        response = await asyncio.wait_for(conn.prompt(session_id=session.session_id, prompt=[
            text_block("Summarise the README and produce missing.txt")]), timeout=90)
        assert response.stop_reason == "end_turn"

    message = "".join(chunk.content.text for chunk in client.of("agent_message_chunk"))
    assert message.startswith("The README describes a demo."), message
    assert "Partial result: 1 of 2 subtasks passed." in message, message
    assert "Abandoned:\n- bad: " in message and "missing.txt" in message.split("Abandoned:")[1], message
    last_plan = client.of("plan")[-1].entries
    assert [entry.status for entry in last_plan] == ["completed", "completed"]
    assert "abandoned" in last_plan[1].content and "abandoned" not in last_plan[0].content
    thoughts = "".join(chunk.content.text for chunk in client.of("agent_thought_chunk"))
    assert "Subtask bad failed; decided to abandon: Nobody can make missing.txt here." in thoughts, thoughts
    assert "Nobody can make missing.txt here." in message.split("Abandoned:")[1], message
    # The coordinator that decided shows as a tool call of its own.
    assert any(call.title.startswith("coordinator:") for call in client.of("tool_call"))


async def test_a_goal_the_planner_answers_is_one_call_and_replays_on_load(bosun_bin, mock_provider, tmp_path):
    script = """rules:
  - match: { system: "bosun's planner" }
    reply: { toolCalls: [{ name: submit_result, input: { answer: "It is a demo workspace.", subtasks: [] } }] }
"""
    w = world(bosun_bin, mock_provider, tmp_path, script_text=script)
    client = Recorder()
    async with w.agent(client) as (conn, _process):
        await start(conn)
        session = await conn.new_session(cwd=str(w.workspace), mcp_servers=[])
        response = await asyncio.wait_for(conn.prompt(session_id=session.session_id,
                                                      prompt=[text_block("What is this workspace?")]), timeout=90)
        assert response.stop_reason == "end_turn"
        assert "".join(u.content.text for u in client.of("agent_message_chunk")) == "It is a demo workspace."
        assert [call.title.split(":")[0] for call in client.of("tool_call")] == ["planner"]

    # Loaded again, the answer is replayed though no synthesizer ran.
    loaded = Recorder()
    async with w.agent(loaded) as (conn, _process):
        await start(conn)
        await conn.load_session(cwd=str(w.workspace), session_id=session.session_id, mcp_servers=[])
        assert "".join(u.content.text for u in loaded.of("agent_message_chunk")) == "It is a demo workspace."


WRITING_SCRIPT = """rules:
  - match: { system: "bosun's planner" }
    reply:
      toolCalls:
        - name: submit_result
          input: { subtasks: [
            { id: edit, role: coder, brief: { task: "Edit the notes" }, checks: [{ kind: files, exist: [notes.txt, new.txt] }] } ] }
  - match: { lastMessage: "in this worker's layer" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "Edited the notes." } }] }
  - match: { lastMessage: "Edit the notes", turn: 0 }
    reply:
      toolCalls:
        - { name: write_file, input: { path: notes.txt, content: "line 1\\nline 2\\nline 3\\nline 4\\nline 5\\nline 6\\nline 7\\nLINE 8\\n" } }
        - { name: write_file, input: { path: new.txt, content: "a new file\\n" } }
"""


async def test_a_writing_workers_tool_call_shows_the_diffs_of_its_files(bosun_bin, mock_provider, tmp_path):
    w = world(bosun_bin, mock_provider, tmp_path, script_text=WRITING_SCRIPT)
    original = "".join(f"line {n}\n" for n in range(1, 9))
    (w.workspace / "notes.txt").write_text(original)
    client = Recorder()
    async with w.agent(client) as (conn, _process):
        await start(conn)
        session = await conn.new_session(cwd=str(w.workspace), mcp_servers=[])
        response = await asyncio.wait_for(conn.prompt(session_id=session.session_id,
                                                      prompt=[text_block("Edit the notes")]), timeout=90)
        assert response.stop_reason == "end_turn"

    coder = next(call for call in client.of("tool_call") if call.title.startswith("coder:"))
    assert coder.kind == "edit"
    updates = [u for u in client.of("tool_call_update") if u.tool_call_id == coder.tool_call_id and u.content]
    with_diffs = [u for u in updates if any(block.type == "diff" for block in u.content)]
    assert with_diffs, [u.content for u in updates]
    notes, new = str(w.workspace / "notes.txt"), str(w.workspace / "new.txt")
    # Shown while the worker runs, as soon as its layer gained a file.
    assert with_diffs[0].status is None and notes in {block.path for block in with_diffs[0].content if block.type == "diff"}
    # Content replaces content: the tool call's last content shows the result, then every file.
    last = updates[-1]
    assert last.status == "completed"
    assert last.content[0].type == "content" and last.content[0].content.text == "Edited the notes."
    diffs = {block.path: block for block in last.content if block.type == "diff"}
    assert set(diffs) == {notes, new}
    # Each file whole, before and after, by its absolute path: the line the worker changed is
    # five lines away from the first, so a diff with three lines of context would not hold it.
    assert diffs[notes].old_text == original
    assert diffs[notes].new_text == original.replace("line 8", "LINE 8")
    assert diffs[new].old_text is None and diffs[new].new_text == "a new file\n"
    # The verified subtask was applied.
    assert (w.workspace / "notes.txt").read_text() == original.replace("line 8", "LINE 8")


ASK_SCRIPT = """rules:
  - match: { system: "bosun's coordinator" }
    reply: { toolCalls: [{ name: submit_result, input: { answerable: false, reason: "The goal does not say which database." } }] }
  - match: { system: "bosun's planner" }
    reply: { toolCalls: [{ name: submit_result, input: { subtasks: [{ id: a, role: asker, brief: { task: "Pick a database" } }] } }] }
  - match: { system: "bosun's synthesizer" }
    reply:
      toolCalls:
        - name: submit_result
          input: { text: "The database is chosen.", sources: [{ workerId: "$enum[0]", claim: "the choice" }], conflicts: [], gaps: [] }
  - match: { system: "You ask first", lastMessage: "The answer (from" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "Done, as answered." } }] }
  - match: { system: "You ask first", lastMessage: "No answer" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "Decided myself." } }] }
  - match: { system: "You ask first", turn: 0 }
    reply: { toolCalls: [{ name: ask, input: { question: "Which database?", options: ["postgres", "sqlite"] } }] }
"""


class Permitting(Recorder):
    """An ACP client whose permission handler picks an option of the given kind (or the one
    with the given id), or cancels."""

    def __init__(self, pick):
        super().__init__()
        self.pick = pick
        self.asked = []

    async def request_permission(self, session_id, tool_call, options, **kwargs):
        from acp.schema import AllowedOutcome, DeniedOutcome, RequestPermissionResponse
        self.asked.append((session_id, tool_call, options))
        chosen = self.pick(options)
        if chosen is None:
            return RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))
        return RequestPermissionResponse(outcome=AllowedOutcome(outcome="selected", option_id=chosen.option_id))


def ask_world(bosun_bin, mock_provider, tmp_path):
    w = world(bosun_bin, mock_provider, tmp_path, script_text=ASK_SCRIPT)
    w.config.write_text(w.config.read_text() + 'roles:\n  asker: { tools: [ask, list_files], prompt: "You ask first." }\n')
    return w


@pytest.mark.parametrize("choice, result", [("sqlite", "Done, as answered."), ("reject", "Decided myself."),
                                            (None, "Decided myself.")])
async def test_a_workers_ask_is_a_permission_request_tied_to_its_tool_call(bosun_bin, mock_provider, tmp_path,
                                                                             choice, result):
    w = ask_world(bosun_bin, mock_provider, tmp_path)

    def pick(options):
        if choice is None:
            return None
        return next(o for o in options if (o.kind == "reject_once" if choice == "reject" else o.option_id == choice))

    client = Permitting(pick)
    async with w.agent(client) as (conn, _process):
        await start(conn)
        session = await conn.new_session(cwd=str(w.workspace), mcp_servers=[])
        response = await asyncio.wait_for(conn.prompt(session_id=session.session_id, prompt=[
            text_block("Set up the database")]), timeout=90)
        assert response.stop_reason == "end_turn"

    [(session_id, tool_call, options)] = client.asked
    assert session_id == session.session_id
    asker = [call for call in client.of("tool_call") if call.title.startswith("asker:")]
    assert [call.tool_call_id for call in asker] == [tool_call.tool_call_id], "the request names the worker's tool call"
    assert [(o.option_id, o.kind) for o in options] == [("postgres", "allow_once"), ("sqlite", "allow_once"),
                                                        ("bosun:decline", "reject_once")]
    assert "Which database?" in str(tool_call.content), tool_call
    finished = [u for u in client.of("tool_call_update") if u.tool_call_id == tool_call.tool_call_id and u.raw_output]
    assert any(result in str(u.raw_output) for u in finished), finished
    # The coordinator could not answer from the goal, so the ask went on to the editor.
    stored = sqlite3.connect(w.db)
    routes = [json.loads(data)["to"] for (data,) in stored.execute("select data_json from events where kind = 'asked' order by rowid")]
    assert routes == ["coordinator", "client"], routes


LIST_SCRIPT = ASK_SCRIPT.replace('role: asker, brief: { task: "Pick a database" }', 'role: lister, brief: { task: "List the workspace" }') + """
  - match: { system: "You list carefully", lastMessage: "README.md" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "Listed." } }] }
  - match: { system: "You list carefully", turn: 1 }
    reply: { toolCalls: [{ name: submit_result, input: { text: "Not allowed to list." } }] }
  - match: { system: "You list carefully", turn: 0 }
    reply: { toolCalls: [{ name: list_files, input: { path: "." } }] }
"""


@pytest.mark.parametrize("kind, result", [("allow_once", "Listed."), ("reject_once", "Not allowed to list.")])
async def test_a_tool_call_an_ask_rule_matches_is_a_permission_request(bosun_bin, mock_provider, tmp_path, kind, result):
    w = world(bosun_bin, mock_provider, tmp_path, script_text=LIST_SCRIPT)
    w.config.write_text(w.config.read_text() + 'roles:\n  lister: { tools: [list_files], prompt: "You list carefully.", '
                        'approval: { ask: [list_files] } }\n')
    client = Permitting(lambda options: next(o for o in options if o.kind == kind))
    async with w.agent(client) as (conn, _process):
        await start(conn)
        session = await conn.new_session(cwd=str(w.workspace), mcp_servers=[])
        response = await asyncio.wait_for(conn.prompt(session_id=session.session_id, prompt=[text_block("List it")]),
                                          timeout=90)
        assert response.stop_reason == "end_turn"

    [(_, tool_call, options)] = client.asked
    assert [(o.option_id, o.kind) for o in options] == [("allow", "allow_once"), ("allow_always", "allow_always"),
                                                        ("deny", "reject_once")]
    assert tool_call.raw_input["tool"] == "list_files", tool_call
    finished = [u for u in client.of("tool_call_update") if u.tool_call_id == tool_call.tool_call_id and u.raw_output]
    assert any(result in str(u.raw_output) for u in finished), finished
