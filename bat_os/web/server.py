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

The handlers are module-level, on :data:`routes`; what they share (the link to the kernel, the token) is on the
application under typed keys (:data:`LINK`, :data:`TOKEN`). A handler raises; the :func:`errors` middleware is
the one place an error becomes an answer, in the kernel's shape ``{"status": "error", "error": {"code",
"message"}}``::

    Refused            400 bad_request   a body that is not a JSON object, a command the page does not send, ...
    └── TooLarge       413 too_large     a body over MAX_BODY; nothing was sent to the kernel
    KernelDown         503 kernel_down   the kernel is not there, or restarted while working on the request
    NoReply            504 no_reply      nothing about the request within its wait (KernelDown is a NoReply:
                                         the more specific match wins)
    Untranslatable     422 untranslatable  a well-formed sentence the translator cannot make a request of

Everything else is the kernel's own reply with HTTP 200: its coded errors are shown as they are. POSTs must say
``Content-Type: application/json`` (a form on another site cannot), and the cookie is ``SameSite=Strict``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from bat_os.console.errors import KernelDown, NoReply
from bat_os.console.translating import Untranslatable, from_reply, translate_request
from bat_os.web.link import KernelLink

logger = logging.getLogger(__name__)

PAGE = Path(__file__).resolve().parent / "page"
STATIC = {"app.js": "application/javascript", "drafts.js": "application/javascript", "app.css": "text/css"}
MAX_BODY = 1 << 20  # bytes of a POST body (the kernel's own frame limit still applies after)
COOKIE = "batos_token"
QUEUED = 1000  # stream messages a slow page may have waiting before the oldest are dropped

# What the page may send. Reading the kernel's files (ingest, backup, pack, forget) is the console's job.
READS = frozenset({"world", "status", "inspect", "methods", "source", "history", "cycle", "search", "chronicle", "get_slot",
                   "cycles", "drafts"})
WORKS = frozenset({"send", "initiate_cognitive_cycle", "relearn", "set_method", "revert", "remove_method", "ask",
                   "selfcheck", "draft", "draft_edit", "draft_example", "correct"})
WRITES = frozenset({"set_slot", "clone", "answer", "draft_drop"})
ALLOWED = READS | WORKS | WRITES



@dataclass(frozen=True)
class Waits:
    quick: float = 10.0  # seconds a quick request (a read, an edit) may take
    work: float = 300.0  # seconds of silence a cycle, a relearn or a change may keep (events restart the wait)


LINK = web.AppKey("link", KernelLink)  # the one link to the kernel, shared by every request and page
TOKEN = web.AppKey("token", str)  # this launch's token
WAITS = web.AppKey("waits", Waits)

routes = web.RouteTableDef()


class Refused(Exception):
    """A request the inspector refuses itself; nothing was sent to the kernel."""

    code, status = "bad_request", 400


class TooLarge(Refused):
    code, status = "too_large", 413


#: Errors from below -> (code, HTTP status); the first match wins, so the more specific comes first.
ERRORS: tuple[tuple[type[Exception], str, int], ...] = (
    (KernelDown, "kernel_down", 503),
    (NoReply, "no_reply", 504),
    (Untranslatable, "untranslatable", 422),
)


def error(code: str, message: str, status: int) -> web.Response:
    """An error in the kernel's shape, with an HTTP status."""
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


# --- middlewares ---------------------------------------------------------------------------------------
@web.middleware
async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
    """The token on every route (403 without it), JSON bodies only, and the cookie the page's first load gets."""
    token = request.app[TOKEN]
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


@web.middleware
async def errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """The one place a handler's error becomes an answer (see the module's table)."""
    try:
        return await handler(request)
    except Refused as exc:
        return error(exc.code, str(exc), exc.status)
    except (KernelDown, NoReply, Untranslatable) as exc:
        code, status = next((code, status) for kind, code, status in ERRORS if isinstance(exc, kind))
        return error(code, str(exc), status)


# --- routes ---------------------------------------------------------------------------------------------
@routes.get("/")
async def page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(PAGE / "index.html", headers={"Cache-Control": "no-store"})


@routes.get("/static/{name}")
async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in STATIC:
        raise web.HTTPNotFound()
    return web.FileResponse(PAGE / name, headers={"Content-Type": STATIC[name], "Cache-Control": "no-store"})


@routes.get("/api/world")
async def world(request: web.Request) -> web.Response:
    """The kernel's ``world``, every page of it (its roots come in pages: bat_os.kernel.commands.paging), and its
    ``status``."""
    link, quick = request.app[LINK], request.app[WAITS].quick
    first, status_reply = await asyncio.gather(link.request({"command": "world"}, timeout=quick),
                                               link.request({"command": "status"}, timeout=quick))
    replies = [first, status_reply]
    if first.get("status") == "ok" and len(first["result"]["roots"]) < first["result"]["total"]:
        size, total = first["result"]["limit"], first["result"]["total"]
        replies += await asyncio.gather(*(link.request({"command": "world", "offset": offset, "cycles": 0},
                                                       timeout=quick) for offset in range(size, total, size)))
    for reply in replies:
        if reply.get("status") != "ok":
            return web.json_response(reply, dumps=dumps)
    whole = dict(first["result"])
    whole["roots"] = [card for reply in [first, *replies[2:]] for card in reply["result"]["roots"]]
    whole["offset"], whole["limit"] = 0, len(whole["roots"])
    return web.json_response({"status": "ok", "world": whole, "kernel": status_reply["result"], "link": link.state},
                             dumps=dumps)


@routes.get("/api/object")
async def inspect_object(request: web.Request) -> web.Response:
    target = request.query.get("target", "")
    if not target or len(target) > 200:
        raise Refused("give ?target=NAME or an oid such as 0x1a")
    link, quick = request.app[LINK], request.app[WAITS].quick
    inspected, listed = await asyncio.gather(link.request({"command": "inspect", "target": target}, timeout=quick),
                                             link.request({"command": "methods", "target": target}, timeout=quick))
    if inspected.get("status") != "ok":
        return web.json_response(inspected, dumps=dumps)
    methods = listed.get("result", {}).get("methods", []) if listed.get("status") == "ok" else []
    return web.json_response({"status": "ok", "inspect": inspected["result"], "methods": methods}, dumps=dumps)


@routes.post("/api/request")
async def forward(request: web.Request) -> web.Response:
    body = await body_of(request)
    command = body.get("command")
    if command not in ALLOWED:
        raise Refused(f"the inspector does not send {str(command)[:80]!r}; it sends {', '.join(sorted(ALLOWED))}")
    message = {k: v for k, v in body.items() if k not in ("id", "events", "timeout")}
    waits, work = request.app[WAITS], command in WORKS
    reply = await request.app[LINK].request(message, timeout=waits.work if work else waits.quick,
                                            on_event=_ignore if work else None)
    return web.json_response(reply, dumps=dumps)


@routes.post("/api/translate")
async def translate(request: web.Request) -> web.Response:
    body = await body_of(request)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise Refused("give the sentence as {\"text\": \"...\"}")
    reply = await request.app[LINK].request(translate_request(text), timeout=request.app[WAITS].work)
    understood = from_reply(text, reply)
    return web.json_response({"status": "ok", "request": understood.request, "origin": understood.origin(),
                              "notes": list(understood.notes), "fallback": understood.fallback,
                              "mission": understood.is_mission}, dumps=dumps)


@routes.get("/api/events")
async def events(request: web.Request) -> web.WebSocketResponse:
    link = request.app[LINK]
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


async def body_of(request: web.Request) -> dict:
    """A POST's body: a JSON object, or :class:`Refused`."""
    try:
        body = await request.json(loads=json.loads)
    except web.HTTPRequestEntityTooLarge:
        raise TooLarge(f"a body over {MAX_BODY} bytes; nothing was sent to the kernel") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused(f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise Refused("the body must be a JSON object")
    return body


def _ignore(event: dict) -> None:
    """Events of a request the page made: the page sees them on the stream (every cycle's moves are there)."""


def make_app(link: KernelLink, token: str, waits: Waits = Waits()) -> web.Application:
    """The inspector's application: :data:`routes` behind the token, talking to the kernel through ``link``."""
    app = web.Application(middlewares=[guard, errors], client_max_size=MAX_BODY)
    app[LINK] = link
    app[TOKEN] = token
    app[WAITS] = waits
    app.add_routes(routes)
    return app


__all__ = ["ALLOWED", "ERRORS", "LINK", "MAX_BODY", "TOKEN", "WAITS", "Refused", "TooLarge", "Waits", "make_app", "routes"]
