"""A Python client for bosun/1: start `bosun serve` and drive its workers. Standard library only.

    from bosun_client import BosunClient

    with BosunClient.start(["bosun", "serve"]) as bosun:
        bosun.initialize(root=".")
        worker = bosun.spawn("Summarise README.md", inputs=["README.md"], wait=True)
        print(worker.state, worker.result.text if worker.result else worker.error)

`AsyncBosunClient` (in `bosun_client.aio`) is the same for asyncio.
"""

from .aio import AsyncBosunClient
from .asks import AskCallback, AskDecision, AskReply, AsyncAskCallback
from .client import BosunClient, Notification
from .errors import BosunError, ConnectionClosed, ErrorCode, RequestTimeout
from .params import Limits
from .types import (ORCHESTRATION_TERMINAL_STATES, TERMINAL_STATES, AnswerResult, Ask, AskOption, AwaitResult, CancelResult, CheckResult, Conflict,
                    Decision, InitializeResult, OrchestrateResult, OrchestrationEvent, OrchestrationSummary, Plan,
                    PlanSubtask, Role, Session, SessionStatus, Source, SteerResult, SubtaskBrief, SubtaskOutcome,
                    SynthesisResult, Usage, VerifiedShare, VerifyResult, VerifyRound, Worker, WorkerError, WorkerEvent,
                    WorkerResult)

__version__ = "0.1.0"

__all__ = ["AnswerResult", "Ask", "AskCallback", "AskDecision", "AskOption", "AskReply", "AsyncAskCallback",
           "AsyncBosunClient", "AwaitResult", "BosunClient", "BosunError", "CancelResult", "CheckResult", "Conflict",
           "ConnectionClosed", "Decision", "ErrorCode", "InitializeResult", "Limits", "Notification",
           "ORCHESTRATION_TERMINAL_STATES", "OrchestrateResult", "OrchestrationEvent", "OrchestrationSummary", "Plan",
           "PlanSubtask", "RequestTimeout", "Role", "Session", "SessionStatus", "Source", "SteerResult", "SubtaskBrief",
           "SubtaskOutcome", "SynthesisResult", "TERMINAL_STATES", "Usage", "VerifiedShare", "VerifyResult", "VerifyRound", "Worker",
           "WorkerError", "WorkerEvent", "WorkerResult"]
