"""The web inspector's HTTP side (aiohttp): the page, a few JSON routes, and the live stream over a WebSocket.

Routes (every one answers 403 without the launch's token: the query parameter ``token``, the header
``X-Batos-Token`` or the cookie ``batos_token`` the page gets on its first load)::

    GET  /                   the page (bat_os/web/page/index.html)
    GET  /static/{file}      its script and style
    GET  /api/world          {"world": the kernel's ``world``, "kernel": its ``status``, "link": "up"}
    GET  /api/object?target= {"inspect": ``inspect``, "methods": ``methods``}
    POST /api/request        a kernel request (JSON) -> the kernel's reply, as it is
    POST /api/translate      {"text"} -> {"request": the brief, "origin", "notes", "fallback", "mission"}
    GET  /api/events         WebSocket: {"kind": "event" | "gap" | "link", ...} (bat_os.web.link)

A request the inspector refuses itself (a body that is not a JSON object, a command it does not send, a body
over :data:`MAX_BODY`) is answered like the kernel's errors, ``{"status": "error", "error": {"code",
"message"}}``, with HTTP 400 or 413; a kernel that is not there, with 503 (``kernel_down``) or 504
(``no_reply``). Everything else is the kernel's own reply with HTTP 200: its coded errors are shown as they
are. POSTs must say ``Content-Type: application/json`` (a form on another site cannot), and the cookie is
``SameSite=Strict``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from pathlib import Path
from typing import Any

from bat_os.console.errors import KernelDown, NoReply
from bat_os.web.link import KernelLink

logger = logging.getLogger(__name__)

PAGE = Path(__file__).resolve().parent / "page"
STATIC = {"app.js": "application/javascript", "app.css": "text/css"}
MAX_BODY = 1 << 20  # bytes of a POST body (the kernel's own frame limit still applies after)
COOKIE = "batos_token"
QUICK = 10.0  # seconds a quick request may take
WORK = 300.0  # seconds of silence a cycle, a relearn or a change may keep (events restart the wait)
QUEUED = 1000  # stream messages a slow page may have waiting before the oldest are dropped

# What the page may send. Reading the kernel's files (ingest, backup, pack, forget) is the console's job.
READS = frozenset({"world", "status", "inspect", "methods", "source", "history", "cycle", "search", "chronicle"})
WORKS = frozenset({"send", "initiate_cognitive_cycle", "relearn", "set_method", "revert", "remove_method", "ask",
                   "selfcheck"})
WRITES = frozenset({"set_slot", "clone", "answer"})
ALLOWED = READS | WORKS | WRITES


def error(code: str, message: str, status: int) -> Any:
    """The one place the inspector's own refusals are made: the kernel's error shape, an HTTP status."""
    from aiohttp import web

    return web.json_response({"status": "error", "error": {"code": code, "message": message}}, status=status,
                             dumps=dumps)


def dumps(value: Any) -> str:
    return json.dumps(value, default=_plain, allow_nan=False)


def _plain(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": len(value)}
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return {"$repr": repr(value)[:200]}


def make_app(link: KernelLink, token: str) -> Any:
    from aiohttp import web

    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        given = request.query.get("token") or request.headers.get("X-Batos-Token") or request.cookies.get(COOKIE) or ""
        if not hmac.compare_digest(given.encode("utf-8", "replace"), token.encode()):
            return web.Response(status=403, text="403: this inspector needs its token (the URL it printed when it "
                                                 "started carries it)\n")
        if request.method == "POST" and request.content_type != "application/json":
            return error("bad_request", "the inspector takes JSON bodies only (Content-Type: application/json)", 400)
        response = await handler(request)
        if "token" in request.query and request.path == "/":
            response.set_cookie(COOKIE, token, httponly=True, samesite="Strict")
        return response

    async def page(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(PAGE / "index.html", headers={"Cache-Control": "no-store"})

    async def static(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in STATIC:
            raise web.HTTPNotFound()
        return web.FileResponse(PAGE / name, headers={"Content-Type": STATIC[name], "Cache-Control": "no-store"})

    async def ask(message: dict, timeout: float = QUICK, work: bool = False) -> web.Response:
        try:
            reply = await link.request(message, timeout=timeout, on_event=_ignore if work else None)
        except KernelDown as exc:
            return error("kernel_down", str(exc), 503)
        except NoReply as exc:
            return error("no_reply", str(exc), 504)
        return web.json_response(reply, dumps=dumps)

    async def world(request: web.Request) -> web.Response:
        """The kernel's ``world``, every page of it (a reply's lists stop at 1,000 items), and its ``status``."""
        try:
            first, status_reply = await asyncio.gather(link.request({"command": "world"}, timeout=QUICK),
                                                       link.request({"command": "status"}, timeout=QUICK))
            replies = [first, status_reply]
            if first.get("status") == "ok" and first["result"]["truncated"]:
                size, total = len(first["result"]["roots"]), first["result"]["total"]
                replies += await asyncio.gather(*(link.request({"command": "world", "offset": offset, "cycles": 0},
                                                               timeout=QUICK) for offset in range(size, total, size)))
        except KernelDown as exc:
            return error("kernel_down", str(exc), 503)
        except NoReply as exc:
            return error("no_reply", str(exc), 504)
        for reply in replies:
            if reply.get("status") != "ok":
                return web.json_response(reply, dumps=dumps)
        whole = dict(first["result"])
        whole["roots"] = [card for reply in [first, *replies[2:]] for card in reply["result"]["roots"]]
        whole["truncated"] = False
        return web.json_response({"status": "ok", "world": whole, "kernel": status_reply["result"], "link": link.state},
                                 dumps=dumps)

    async def inspect_object(request: web.Request) -> web.Response:
        target = request.query.get("target", "")
        if not target or len(target) > 200:
            return error("bad_request", "give ?target=NAME or an oid such as 0x1a", 400)
        try:
            inspected, listed = await asyncio.gather(link.request({"command": "inspect", "target": target}),
                                                     link.request({"command": "methods", "target": target}))
        except KernelDown as exc:
            return error("kernel_down", str(exc), 503)
        except NoReply as exc:
            return error("no_reply", str(exc), 504)
        if inspected.get("status") != "ok":
            return web.json_response(inspected, dumps=dumps)
        methods = listed.get("result", {}).get("methods", []) if listed.get("status") == "ok" else []
        return web.json_response({"status": "ok", "inspect": inspected["result"], "methods": methods}, dumps=dumps)

    async def body_of(request: web.Request) -> dict | web.Response:
        try:
            body = await request.json(loads=json.loads)
        except web.HTTPRequestEntityTooLarge:
            return error("too_large", f"a body over {MAX_BODY} bytes; nothing was sent to the kernel", 413)
        except (ValueError, UnicodeDecodeError) as exc:
            return error("bad_request", f"the body is not JSON: {exc}", 400)
        if not isinstance(body, dict):
            return error("bad_request", "the body must be a JSON object", 400)
        return body

    async def forward(request: web.Request) -> web.Response:
        body = await body_of(request)
        if not isinstance(body, dict):
            return body
        command = body.get("command")
        if command not in ALLOWED:
            return error("bad_request", f"the inspector does not send {str(command)[:80]!r}; it sends "
                                        f"{', '.join(sorted(ALLOWED))}", 400)
        message = {k: v for k, v in body.items() if k not in ("id", "events", "timeout")}
        work = command in WORKS
        return await ask(message, WORK if work else QUICK, work)

    async def translate(request: web.Request) -> web.Response:
        from bat_os.console.translating import Untranslatable, from_reply, translate_request

        body = await body_of(request)
        if not isinstance(body, dict):
            return body
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return error("bad_request", "give the sentence as {\"text\": \"...\"}", 400)
        try:
            reply = await link.request(translate_request(text), timeout=WORK)
            understood = from_reply(text, reply)
        except KernelDown as exc:
            return error("kernel_down", str(exc), 503)
        except NoReply as exc:
            return error("no_reply", str(exc), 504)
        except Untranslatable as exc:
            return error("untranslatable", str(exc), 200)
        return web.json_response({"status": "ok", "request": understood.request, "origin": understood.origin(),
                                  "notes": list(understood.notes), "fallback": understood.fallback,
                                  "mission": understood.is_mission}, dumps=dumps)

    async def events(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(heartbeat=20)
        await socket.prepare(request)
        queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUED)
        dropped = [0]

        def listen(message: dict) -> None:
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:
                dropped[0] += 1

        link.listeners.add(listen)
        await socket.send_str(dumps({"kind": "link", "state": link.state, "status": link.status}))

        async def pump() -> None:
            while True:
                message = await queue.get()
                if dropped[0]:
                    await socket.send_str(dumps({"kind": "gap", "missed": dropped[0], "where": "inspector"}))
                    dropped[0] = 0
                await socket.send_str(dumps(message))

        sender = asyncio.get_running_loop().create_task(pump())
        try:
            async for _ in socket:  # the page sends nothing; this waits for it to go
                pass
        finally:
            link.listeners.discard(listen)
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
        return socket

    app = web.Application(middlewares=[guard], client_max_size=MAX_BODY)
    app.router.add_get("/", page)
    app.router.add_get("/static/{name}", static)
    app.router.add_get("/api/world", world)
    app.router.add_get("/api/object", inspect_object)
    app.router.add_post("/api/request", forward)
    app.router.add_post("/api/translate", translate)
    app.router.add_get("/api/events", events)
    return app


def _ignore(event: dict) -> None:
    """Events of a request the page made: the page sees them on the stream (every cycle's moves are there)."""


__all__ = ["ALLOWED", "MAX_BODY", "make_app"]
