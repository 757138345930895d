"""An OpenAI-compatible chat server that answers instantly with a scripted tool-using dialogue.

It runs in its own process so that its CPU is never counted as harness CPU.
The script is the same for every harness, so each rollout costs the same chat
calls whoever drives it:

  1. no tool result in the conversation yet, and a `lookup` tool offered:
     call `lookup` (finish_reason "tool_calls");
  2. otherwise, an `answer` tool offered: call it with the answer (frontier's
     JSONL episode ends on that call);
  3. otherwise: reply with the answer as text (Inspect's generate() loop ends
     on a reply without tool calls).

GET /stats returns {"requests": n, "unauthorized": m} so a runner can count
the chat calls of its measured run (and see that each sent its API key). `--latency-ms` adds a fixed delay per call (default 0).

Run:  python instant_server.py [--host 127.0.0.1] [--port 0] [--latency-ms 0]
It prints "PORT <n>" on stdout once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import time

from aiohttp import web

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


class Script:
    """The scripted model: what to reply to a chat request, and how many it has answered."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.requests = 0
        self.unauthorized = 0
        self.ids = 0

    def _call(self, name: str, arguments: dict[str, str]) -> dict[str, object]:
        self.ids += 1
        return {
            "id": f"call_{self.ids}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)},
        }

    def reply(self, body: dict[str, object]) -> dict[str, object]:
        messages = body.get("messages") or []
        assert isinstance(messages, list)
        tools = body.get("tools") or []
        assert isinstance(tools, list)
        names = {str(t.get("function", {}).get("name")) for t in tools if isinstance(t, dict)}
        has_result = any(isinstance(m, dict) and m.get("role") == "tool" for m in messages)
        prompt = next(
            (
                str(m.get("content"))
                for m in messages
                if isinstance(m, dict) and m.get("role") == "user"
            ),
            "",
        )
        found = NUMBER.search(prompt)
        answer = found.group() if found else "unknown"
        message: dict[str, object] = {"role": "assistant", "content": None}
        if not has_result and "lookup" in names:
            message["tool_calls"] = [self._call("lookup", {"key": answer})]
            finish = "tool_calls"
        elif "answer" in names:
            message["tool_calls"] = [self._call("answer", {"answer": answer})]
            finish = "tool_calls"
        else:
            message["content"] = answer
            finish = "stop"
        return {
            "id": f"chatcmpl-{self.requests}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(body.get("model", "instant")),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60},
        }


def app(script: Script) -> web.Application:
    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        script.requests += 1
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            script.unauthorized += 1
        if script.latency > 0:
            await asyncio.sleep(script.latency)
        return web.json_response(script.reply(body))

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({"requests": script.requests, "unauthorized": script.unauthorized})

    application = web.Application(client_max_size=16 * 1024 * 1024)
    application.router.add_post("/v1/chat/completions", chat)
    application.router.add_get("/stats", stats)
    return application


async def serve(host: str, port: int, latency: float) -> None:
    runner = web.AppRunner(app(Script(latency)), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=4096)
    await site.start()
    print(f"PORT {runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.latency_ms / 1000))


if __name__ == "__main__":
    main()
