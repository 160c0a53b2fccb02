"""A local Discord stand-in: the REST API and the gateway WebSocket, enough of both for this bot (API v10).

It runs on its own event loop in a thread and listens on 127.0.0.1 only, on two ports: REST at ``api_base``
(what DISCORD_API_BASE points at) and the gateway, whose address ``GET /gateway/bot`` gives. A test drives it
with plain method calls: inject events (``slash``, ``click``, ``mention``, ``dm``), script failures (``fail``,
``delay``), break the gateway (``drop``, ``reconnect``, ``invalidate``, ``close_gateway``, ``refuse_gateway``), and
read what the bot did (``requests``, ``identifies``, ``resumes``, ``wait_for``). Every request is recorded.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import WSMsgType, web

from . import payloads as p

API = "/api/v10"
MESSAGE_CONTENT = 1 << 15  # the privileged intent
EPHEMERAL = 1 << 6
WAIT = 10.0  # seconds a test waits for something before it fails


@dataclass
class Request:
    """One REST request as the stand-in received it, and what it answered."""
    method: str
    path: str  # after /api/v10, without the query
    query: dict[str, str]
    json: Any
    authorization: str | None
    at: float  # time.monotonic() when it arrived
    status: int = 0
    done_at: float = 0.0  # when it was answered (later than ``at`` by any scripted delay)

    @property
    def data(self) -> dict[str, Any]:
        """For an interaction callback, the message inside it; otherwise the JSON body."""
        body = self.json if isinstance(self.json, dict) else {}
        if self.path.endswith("/callback"):
            return body.get("data") or {}
        return body


@dataclass
class Rule:
    """A scripted answer for the next ``times`` requests that match ``method`` and the ``path`` regex."""
    path: str
    method: str | None
    times: int
    status: int = 0  # 0: answer normally (after the delay)
    delay: float = 0.0
    retry_after: float = 1.0
    is_global: bool = False
    code: int = 0
    message: str = ""

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and (self.method is None or self.method == method) and re.search(self.path, path)


@dataclass
class Frame:
    """One gateway message, either way."""
    conn: int
    direction: str  # "in" (from the bot) or "out"
    op: int
    t: str | None
    d: Any
    at: float


@dataclass
class Session:
    session_id: str
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)  # every dispatch, for a resume to replay
    conn: "Connection | None" = None


class Connection:
    def __init__(self, number: int, ws: web.WebSocketResponse, request: web.Request, compress: bool):
        self.number = number
        self.ws = ws
        self.transport = request.transport
        self.query = dict(request.query)  # v, encoding, compress as the bot asked
        self.zlib = zlib.compressobj() if compress else None
        self.session: Session | None = None

    async def send(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload, separators=(",", ":"))
        if self.zlib is not None:  # zlib-stream: one compression context per connection, each message flushed
            await self.ws.send_bytes(self.zlib.compress(text.encode()) + self.zlib.flush(zlib.Z_SYNC_FLUSH))
        else:
            await self.ws.send_str(text)


class FakeDiscord:
    def __init__(self, token: str = "fake-token", *, heartbeat_interval_ms: int = 41_250,
                 allow_message_content: bool = True, close_on_identify: int | None = None):
        self.token = token
        self.close_on_identify = close_on_identify  # e.g. 4004: the gateway refuses a token REST accepted
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.allow_message_content = allow_message_content
        self.requests: list[Request] = []
        self.frames: list[Frame] = []
        self.rules: list[Rule] = []
        self.messages: dict[str, dict[str, Any]] = {}  # every message the bot created, by id
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or a guild id -> the synced commands
        self.dispatched: dict[str, float] = {}  # interaction or message id -> when its event was sent
        self.snowflake = p.Snowflakes()
        self.session: Session | None = None
        self.sessions: dict[str, Session] = {}
        self.connections: list[Connection] = []
        self.kinds: dict[str, int] = {}  # interaction id -> its type (2 command, 3 component)
        self.response_messages: dict[str, str] = {}  # interaction id -> the message its callback created
        self._originals: dict[str, str] = {}  # interaction token -> its response message id
        self._changed = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runners: list[web.AppRunner] = []
        self._gateway_site: web.TCPSite | None = None
        self.rest_port = self.gateway_port = 0

    # ----------------------------------------------------------------------------------------- running

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.gateway_port}/"

    def start(self) -> "FakeDiscord":
        """Start on a loop of its own, in a daemon thread; returns once both ports listen."""
        started = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self._start())
            started.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._stop())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="fakediscord", daemon=True)
        self._thread.start()
        if not started.wait(WAIT):
            raise RuntimeError("the Discord stand-in did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(WAIT)
            self._thread = None

    def __enter__(self) -> "FakeDiscord":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    async def _start(self) -> None:
        rest = web.Application(client_max_size=8 * 1024 * 1024)
        rest.router.add_route("*", API + "/{tail:.*}", self._rest)
        gateway = web.Application()
        gateway.router.add_get("/", self._gateway)
        for app in (rest, gateway):
            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await runner.setup()
            self._runners.append(runner)
        rest_site = web.TCPSite(self._runners[0], "127.0.0.1", 0)
        await rest_site.start()
        self.rest_port = rest_site._server.sockets[0].getsockname()[1]
        await self._listen_gateway(0)

    async def _listen_gateway(self, port: int) -> None:
        self._gateway_site = web.TCPSite(self._runners[1], "127.0.0.1", port, reuse_address=True)
        await self._gateway_site.start()
        self.gateway_port = self._gateway_site._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.abort()
        for runner in self._runners:
            await runner.cleanup()

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` (a coroutine function or a plain one) on the stand-in's loop and return its result."""
        async def go():
            result = fn(*args)
            return await result if asyncio.iscoroutine(result) else result
        return asyncio.run_coroutine_threadsafe(go(), self._loop).result(WAIT)

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[], Any], timeout: float = WAIT, what: str = "") -> Any:
        """Wait until ``predicate()`` is truthy (it is re-checked whenever a request or a frame arrives)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = predicate()
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or predicate}")
                self._changed.wait(min(left, 0.2))

    # ----------------------------------------------------------------------------------------- scripting

    def fail(self, status: int, *, path: str, method: str | None = None, times: int = 1, retry_after: float = 1.0,
             is_global: bool = False, code: int = 0, message: str = "") -> None:
        """Answer the next ``times`` requests matching with ``status`` (429: with retry_after and the headers)."""
        self.rules.append(Rule(path, method, times, status=status, retry_after=retry_after, is_global=is_global,
                               code=code, message=message))

    def delay(self, seconds: float, *, path: str, method: str | None = None, times: int = 1) -> None:
        self.rules.append(Rule(path, method, times, delay=seconds))

    def of(self, path: str, method: str | None = None) -> list[Request]:
        """The recorded requests whose path matches the regex ``path``."""
        return [r for r in list(self.requests) if re.search(path, r.path) and (method is None or r.method == method)]

    def callbacks(self, interaction_id: str | None = None) -> list[Request]:
        return self.of(rf"^/interactions/{interaction_id or '[0-9]+'}/[^/]+/callback$")

    def wait_callback(self, interaction_id: str, timeout: float = WAIT) -> Request:
        """The successful callback for one interaction."""
        return self.wait_for(
            lambda: next((r for r in self.callbacks(interaction_id) if 200 <= r.status < 300), None),
            timeout, f"the callback of interaction {interaction_id}")

    def replies_in(self, channel_id: int) -> list[Request]:
        return [r for r in self.of(rf"^/channels/{channel_id}/messages$", "POST") if 200 <= r.status < 300]

    @property
    def identifies(self) -> list[dict[str, Any]]:
        return [f.d for f in list(self.frames) if f.direction == "in" and f.op == 2]

    @property
    def resumes(self) -> list[dict[str, Any]]:
        return [f.d for f in list(self.frames) if f.direction == "in" and f.op == 6]

    def sent_events(self, t: str) -> list[Frame]:
        return [f for f in list(self.frames) if f.direction == "out" and f.t == t]

    def wait_ready(self, count: int = 1, timeout: float = WAIT) -> None:
        """Until the ``count``-th session got READY and GUILD_CREATE."""
        self.wait_for(lambda: len(self.sent_events("GUILD_CREATE")) >= count, timeout, f"GUILD_CREATE #{count}")

    # ----------------------------------------------------------------------------------------- events

    def dispatch(self, t: str, d: dict[str, Any]) -> int:
        """Send a dispatch event on the current session (kept for a resume if the bot is not connected)."""
        return self.call(self._dispatch, t, d)

    async def _dispatch(self, t: str, d: dict[str, Any], session: Session | None = None) -> int:
        session = session or self.session
        if session is None:
            raise RuntimeError("no gateway session: the bot has not identified yet")
        session.seq += 1
        event = {"op": 0, "t": t, "s": session.seq, "d": d}
        session.events.append(event)
        if "id" in d and t in ("INTERACTION_CREATE", "MESSAGE_CREATE"):
            self.dispatched[d["id"]] = time.monotonic()
        if session.conn is not None and not session.conn.ws.closed:
            try:
                await self._send(session.conn, event)
            except (ConnectionError, RuntimeError):  # the socket just went: the event waits for a resume
                pass
        return session.seq

    def slash(self, question: str, *, user_id: int = p.USER_ID, name: str = "ask", **options: Any) -> str:
        """An INTERACTION_CREATE for ``/ask question:...`` (or another command); returns the interaction id."""
        options = {"question": question, **options} if name == "ask" else options
        data = p.slash_data(name, self._command_id(name), **options)
        return self._interact(2, data, user_id)

    def click(self, custom_id: str, *, message_id: str | None = None, user_id: int = p.USER_ID) -> str:
        """A button click on a message the bot sent (by id; else on a message holding only that button)."""
        msg = self.messages.get(message_id or "")
        if msg is None:
            button = {"type": 2, "style": 2, "label": "button", "custom_id": custom_id}
            msg = p.message(p.CHANNEL_ID, "", message_id=self.snowflake(), author=p.user(p.BOT_ID, "briefbot",
                            bot=True), guild=True, components=[{"type": 1, "components": [button]}])
        return self._interact(3, {"custom_id": custom_id, "component_type": 2}, user_id, message=msg)

    def _interact(self, kind: int, data: dict[str, Any], user_id: int, message: dict | None = None) -> str:
        iid = self.snowflake()
        self.kinds[iid] = kind
        self.dispatch("INTERACTION_CREATE", p.interaction(kind, data, interaction_id=iid, user_id=user_id,
                                                          token="aW50ZXJhY3Rpb24" + secrets.token_hex(16),
                                                          message=message))
        return iid

    def _command_id(self, name: str) -> str:
        for synced in self.commands.values():
            for c in synced:
                if c.get("name") == name:
                    return c["id"]
        return self.snowflake()

    def mention(self, text: str, *, user_id: int = p.USER_ID) -> str:
        """A MESSAGE_CREATE in the test channel that mentions the bot; returns the message id."""
        mid = self.snowflake()
        self.dispatch("MESSAGE_CREATE", p.message(
            p.CHANNEL_ID, f"<@{p.BOT_ID}> {text}", message_id=mid, author=p.person(user_id), guild=True,
            mentions=[dict(p.user(p.BOT_ID, "briefbot", bot=True), member=p.member(p.BOT_ID, with_user=False))]))
        return mid

    def dm(self, text: str, *, user_id: int = p.USER_ID) -> str:
        """A MESSAGE_CREATE in a direct message to the bot; returns the message id."""
        mid = self.snowflake()
        self.dispatch("MESSAGE_CREATE", p.message(p.DM_CHANNEL_ID, text, message_id=mid, author=p.person(user_id),
                                                  guild=False))
        return mid

    # ----------------------------------------------------------------------------------------- the gateway, broken

    def drop(self) -> None:
        """Cut the current connection without a close frame: the bot sees 1006 and should resume."""
        def cut():
            conn = self.session.conn if self.session else None
            if conn is not None and conn.transport is not None:
                conn.transport.abort()
        self.call(cut)

    def reconnect(self) -> None:
        """Op 7: ask the bot to reconnect and resume."""
        self.call(self._send_current, {"op": 7, "d": None})

    def invalidate(self, resumable: bool = False) -> None:
        """Op 9 (invalid session); with ``d: false`` the bot must identify anew."""
        if not resumable and self.session is not None:
            self.sessions.pop(self.session.session_id, None)
        self.call(self._send_current, {"op": 9, "d": resumable})

    def close_gateway(self, code: int) -> None:
        """Close the current connection with a close code (4004 authentication failed, 4014 disallowed intents)."""
        async def close():
            conn = self.session.conn if self.session else self.connections[-1]
            await conn.ws.close(code=code, message=b"closed by the stand-in")
        self.call(close)

    def refuse_gateway(self) -> None:
        """Stop listening on the gateway port and cut every connection: connecting is refused until accepted."""
        async def refuse():
            await self._gateway_site.stop()
            for conn in list(self.connections):
                if conn.transport is not None:
                    conn.transport.abort()
        self.call(refuse)

    def accept_gateway(self) -> None:
        self.call(self._listen_gateway, self.gateway_port)

    async def _send_current(self, payload: dict[str, Any]) -> None:
        conn = self.session.conn if self.session else None
        if conn is None:
            raise RuntimeError("the bot is not connected")
        await self._send(conn, payload)

    async def _send(self, conn: Connection, payload: dict[str, Any]) -> None:
        self.frames.append(Frame(conn.number, "out", payload["op"], payload.get("t"), payload.get("d"),
                                 time.monotonic()))
        self._notify()
        await conn.send(payload)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=4 * 1024 * 1024)
        await ws.prepare(request)
        compress = request.query.get("compress") == "zlib-stream"  # anything else: plain text frames
        conn = Connection(len(self.connections) + 1, ws, request, compress)
        self.connections.append(conn)
        await self._send(conn, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                op, d = payload.get("op"), payload.get("d")
                self.frames.append(Frame(conn.number, "in", op, None, d, time.monotonic()))
                self._notify()
                if op == 1:  # heartbeat
                    await self._send(conn, {"op": 11})
                elif op == 2:
                    await self._identify(conn, d)
                elif op == 6:
                    await self._resume(conn, d)
        finally:
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            self._notify()
        return ws

    async def _identify(self, conn: Connection, d: dict[str, Any]) -> None:
        if d.get("token") != self.token or self.close_on_identify == 4004:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if self.close_on_identify is not None:
            await conn.ws.close(code=self.close_on_identify, message=b"closed by the stand-in")
            return
        if int(d.get("intents") or 0) & MESSAGE_CONTENT and not self.allow_message_content:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        session = Session(secrets.token_hex(16), conn=conn)
        self.sessions[session.session_id] = self.session = conn.session = session
        await self._dispatch("READY", p.ready(session.session_id, self.gateway_url, d.get("shard")), session)
        await self._dispatch("GUILD_CREATE", p.guild(), session)

    async def _resume(self, conn: Connection, d: dict[str, Any]) -> None:
        session = self.sessions.get(d.get("session_id") or "")
        if d.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if session is None:
            await self._send(conn, {"op": 9, "d": False})
            return
        session.conn, conn.session = conn, session
        self.session = session
        for event in session.events:
            if event["s"] > (d.get("seq") or 0):
                await self._send(conn, event)
        await self._dispatch("RESUMED", {}, session)

    # ----------------------------------------------------------------------------------------- REST

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            if request.content_type == "multipart/form-data":
                form = await request.post()
                body = json.loads(form["payload_json"]) if "payload_json" in form else None
            else:
                raw = await request.read()
                body = json.loads(raw) if raw else None
        rec = Request(request.method, path, dict(request.query), body, request.headers.get("Authorization"),
                      time.monotonic())
        self.requests.append(rec)
        try:
            response = await self._answer(request.method, path, rec)
        except Exception as exc:  # a bug in the stand-in: say so loudly, as a 500 the test will see
            response = self._error(500, 0, f"stand-in error: {type(exc).__name__}: {exc}")
        rec.status, rec.done_at = response.status, time.monotonic()
        self._notify()
        return response

    async def _answer(self, method: str, path: str, rec: Request) -> web.Response:
        for rule in self.rules:
            if rule.matches(method, path):
                rule.times -= 1
                if rule.delay:
                    await asyncio.sleep(rule.delay)
                if rule.status == 429:
                    return self._rate_limited(rule)
                if rule.status:
                    return self._error(rule.status, rule.code, rule.message or f"{rule.status}: scripted error")
                break
        webhook = path.startswith(("/interactions/", "/webhooks/"))  # these carry their token in the path
        if not webhook and rec.authorization != f"Bot {self.token}":
            return self._error(401, 0, "401: Unauthorized")
        result = self._route(method, path, rec)
        if result is None:
            return self._error(404, 0, "404: Not Found")
        status, data = result
        return self._json(status, data, path)

    def _route(self, method: str, path: str, rec: Request) -> tuple[int, Any] | None:
        body = rec.json if isinstance(rec.json, dict) or isinstance(rec.json, list) else {}
        if method == "GET" and path == "/users/@me":
            return 200, p.bot_user()
        if method == "GET" and path in ("/applications/@me", "/oauth2/applications/@me"):
            return 200, p.application()
        if method == "GET" and path in ("/gateway/bot", "/gateway"):
            return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}}
        m = re.fullmatch(r"/applications/(\d+)(?:/guilds/(\d+))?/commands", path)
        if m:
            scope = m.group(2) or "global"
            if method == "PUT":
                self.commands[scope] = [dict(c, id=self.snowflake(), application_id=m.group(1), version="1",
                                             **({"guild_id": m.group(2)} if m.group(2) else {})) for c in body]
            return 200, self.commands.get(scope, [])
        m = re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path)
        if m and method == "POST":
            return self._callback(m.group(1), m.group(2), body, rec.query.get("with_response") in ("1", "true"))
        m = re.fullmatch(r"/webhooks/(\d+)/([^/]+)(?:/messages/(@original|\d+))?", path)
        if m:
            return self._webhook(method, m.group(2), m.group(3), body)
        m = re.fullmatch(r"/channels/(\d+)/messages(?:/(\d+))?", path)
        if m:
            return self._channel_message(method, int(m.group(1)), m.group(2), body)
        if re.fullmatch(r"/channels/\d+/typing", path) and method == "POST":
            return 204, None
        if method == "POST" and path == "/users/@me/channels":
            return 200, {"id": str(p.DM_CHANNEL_ID), "type": 1, "recipients": [p.person(int(body["recipient_id"]))],
                         "last_message_id": None}
        return None

    def _new_message(self, channel_id: int, body: dict[str, Any], *, flags: int = 0) -> dict[str, Any]:
        ref = body.get("message_reference")
        if ref is not None:  # discord.py sends these ids as numbers; Discord answers with strings
            ref = {k: str(v) if k.endswith("_id") else v for k, v in ref.items()}
        msg = p.message(channel_id, body.get("content") or "", message_id=self.snowflake(),
                        author=p.user(p.BOT_ID, "briefbot", bot=True), guild=channel_id == p.CHANNEL_ID,
                        embeds=body.get("embeds"), components=body.get("components"),
                        flags=flags | int(body.get("flags") or 0), reference=ref)
        self.messages[msg["id"]] = msg
        return msg

    def _callback(self, iid: str, token: str, body: dict[str, Any], with_response: bool) -> tuple[int, Any]:
        kind = body.get("type")
        data = body.get("data") or {}
        if any(r.status in range(200, 300) for r in self.callbacks(iid)):
            return 400, {"message": "Interaction has already been acknowledged.", "code": 40060}
        interaction: dict[str, Any] = {"id": iid, "type": self.kinds.get(iid, 2), "response_message_loading": kind == 5,
                                       "response_message_ephemeral": bool(int(data.get("flags") or 0) & EPHEMERAL)}
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 5):
            msg = self._new_message(p.CHANNEL_ID, data if kind == 4 else {"flags": data.get("flags")})
            self._originals[token] = self.response_messages[iid] = msg["id"]
            interaction["response_message_id"] = msg["id"]
            resource["message"] = msg
        if not with_response:
            return 204, None
        return 200, {"interaction": interaction, "resource": resource}

    def _webhook(self, method: str, token: str, which: str | None, body: dict[str, Any]) -> tuple[int, Any] | None:
        if which is None:
            if method != "POST":
                return None
            return 200, self._new_message(p.CHANNEL_ID, body)
        mid = self._originals.get(token) if which == "@original" else which
        msg = self.messages.get(mid or "")
        if msg is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        if method == "DELETE":
            del self.messages[mid]
            return 204, None
        if method == "PATCH":
            msg.update({k: v for k, v in body.items() if k in ("content", "embeds", "components", "flags")})
            msg["edited_timestamp"] = p.TIMESTAMP
        return 200, msg

    def _channel_message(self, method: str, channel_id: int, mid: str | None,
                         body: dict[str, Any]) -> tuple[int, Any] | None:
        if mid is None:
            return (200, self._new_message(channel_id, body)) if method == "POST" else None
        return self._webhook(method, "", mid, body)

    # ----------------------------------------------------------------------------------------- responses

    @staticmethod
    def _bucket_headers(path: str) -> dict[str, str]:
        """The rate-limit headers Discord sends with every answer (generous numbers: tests are not throttled)."""
        bucket = re.sub(r"\d{5,}", ":id", path.split("/callback")[0].split("/messages")[0])
        return {"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "999",
                "X-RateLimit-Reset": f"{time.time() + 1:.3f}", "X-RateLimit-Reset-After": "1.000",
                "X-RateLimit-Bucket": f"{abs(hash(bucket)):016x}"}

    def _json(self, status: int, data: Any, path: str) -> web.Response:
        headers = self._bucket_headers(path)
        if status == 204:
            return web.Response(status=204, headers=headers)
        return _json_response(data, status, headers)

    @staticmethod
    def _error(status: int, code: int, message: str) -> web.Response:
        return _json_response({"message": message, "code": code}, status, {})

    @staticmethod
    def _rate_limited(rule: Rule) -> web.Response:
        headers = {"Retry-After": str(max(1, round(rule.retry_after))), "X-RateLimit-Limit": "5",
                   "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": f"{rule.retry_after:.3f}",
                   "X-RateLimit-Reset": f"{time.time() + rule.retry_after:.3f}",
                   "X-RateLimit-Scope": "global" if rule.is_global else "user",
                   "Via": "1.1 google"}  # discord.py treats a 429 without Via as a Cloudflare ban
        if rule.is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {"message": "You are being rate limited.", "retry_after": rule.retry_after,
                "global": rule.is_global}
        if rule.is_global:
            body["code"] = 0
        return _json_response(body, 429, headers)


def _json_response(data: Any, status: int, headers: dict[str, str]) -> web.Response:
    """JSON with Discord's exact content type (discord.py reads a body as JSON only for ``application/json``)."""
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={**headers, "Content-Type": "application/json"})
