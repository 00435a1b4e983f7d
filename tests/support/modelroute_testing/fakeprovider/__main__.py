"""Run the fake provider for tests in other languages.

    PYTHONPATH=tests/support python -m modelroute_testing.fakeprovider [--port N] [--script replies.json]

Prints one JSON line {"url", "port", "anthropic_base_url", "openai_base_url"} on stdout, then
serves until SIGTERM/SIGINT (or stdin closes, with --exit-on-stdin-eof).
Script replies with POST /_fake/replies
{"replies": [{"text": "hi"}, {"fault": {"kind": "status", "status": 429, "retry_after": 0.1}}]}
and read what was sent with GET /_fake/requests.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from modelroute_testing.fakeprovider.script import Reply
from modelroute_testing.fakeprovider.server import FakeProvider


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m modelroute_testing.fakeprovider")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--script", type=Path, help="JSON file: a list of replies to queue")
    parser.add_argument("--default-text", help="answer with this text once the queue is empty")
    parser.add_argument("--exit-on-stdin-eof", action="store_true", help="stop when stdin closes")
    args = parser.parse_args(argv)
    default = Reply(text=args.default_text) if args.default_text is not None else None
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    with FakeProvider(port=args.port, default_reply=default) as fake:
        if args.script:
            fake.queue(Reply.from_json(r) for r in json.loads(args.script.read_text()))
        info = {
            "url": fake.url,
            "port": fake.port,
            "anthropic_base_url": fake.anthropic_base_url,
            "openai_base_url": fake.openai_base_url,
        }
        print(json.dumps(info), flush=True)
        if args.exit_on_stdin_eof:
            threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
        done.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
