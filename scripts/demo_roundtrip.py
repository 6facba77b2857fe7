#!/usr/bin/env python3
"""A real round trip with `bosun serve`: initialize, status, shutdown, exit, printed as
they go over the wire. Usage: demo_roundtrip.py BOSUN_BIN"""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

ARROW_OUT, ARROW_IN = "\033[36m→\033[0m", "\033[32m←\033[0m"
if not sys.stdout.isatty():
    ARROW_OUT, ARROW_IN = "->", "<-"


class Connection:
    def __init__(self, binary, store):
        self.proc = subprocess.Popen([binary, "serve", "--log-level", "warning", "--db", store],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self.next_id = 0

    def send(self, message):
        body = json.dumps(message).encode()
        print(f"{ARROW_OUT} {message['method']}\n{indent(message)}")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def receive(self):
        headers = {}
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit("bosun closed its output")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        message = json.loads(self.proc.stdout.read(int(headers["content-length"])))
        print(f"{ARROW_IN} {'error' if 'error' in message else 'result'} for id {message.get('id')}\n{indent(message)}")
        return message

    def request(self, method, params=None):
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return self.receive()

    def notify(self, method, params=None):
        self.send({"jsonrpc": "2.0", "method": method, **({"params": params} if params is not None else {})})


def indent(message):
    return "\n".join("    " + line for line in json.dumps(message, indent=2).splitlines())


def main():
    binary = sys.argv[1]
    print(f"bosun demo: one session with {binary}\n")
    # A throwaway trace store, so the demo leaves nothing behind.
    scratch = tempfile.mkdtemp(prefix="bosun-demo-")
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    connection = Connection(binary, os.path.join(scratch, "demo.sqlite"))
    connection.request("initialize", {"processId": os.getpid(), "clientInfo": {"name": "make demo"},
                                      "rootUri": f"file://{os.getcwd()}",
                                      "initializationOptions": {"maxConcurrentWorkers": 3}})
    connection.notify("initialized", {})
    connection.request("status")
    connection.request("shutdown")
    connection.notify("exit")
    code = connection.proc.wait(timeout=10)
    print(f"\nbosun exited with code {code} (0: a clean shutdown then exit)")
    if code:
        sys.exit(code)


if __name__ == "__main__":
    main()
