"""A small Python client for bosun/1: start `bosun serve`, speak JSON-RPC over its stdio.

Standard library only. Example::

    from bosun_client import BosunClient

    with BosunClient.start(["bosun", "serve"]) as bosun:
        bosun.initialize()
        worker = bosun.request("spawn", {"task": "Summarise README.md", "wait": True})
        print(worker["result"]["text"])
"""

from .client import BosunClient, BosunError, Notification

__all__ = ["BosunClient", "BosunError", "Notification"]
