"""The REST API. Every request passes one pipeline: record → auth → injected fault →
global limit → route bucket → body (JSON or multipart) → OpenAPI check → handler.
Handlers raise DiscordError for Discord's error shapes and return a JSON-able value
(or None for 204)."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import web

from . import commands, limits
from . import permissions as perm
from ._util import DiscordError, field_error, form_error, json_response
from .actors import APPLICATION_COMMAND, AUTOCOMPLETE, COMPONENT, MODAL_SUBMIT, FakeModal
from .gateway import GUILDS_PER_RECOMMENDED_SHARD
from .mentions import Pings, allowed_mentions_errors
from .models import (
    _ABSENT,
    CATEGORY,
    DM,
    EPHEMERAL,
    FORUM,
    LOADING,
    NEWS,
    NEWS_THREAD,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    FakeAttachment,
    FakeChannel,
    FakeCommand,
    FakeGuild,
    FakeMessage,
)
from .ratelimit import too_many

if TYPE_CHECKING:
    from multidict import MultiMapping

    from .actors import FakeInteraction
    from .server import FakeDiscord, Fault, RequestRecord

log = logging.getLogger(__name__)

SUPPRESS_EMBEDS = 1 << 2
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_COMPONENTS_V2 = 1 << 15
SETTABLE_FLAGS = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_COMPONENTS_V2
# IDENTIFYs a bot may make a day (Discord resets the token past that).
SESSION_STARTS_PER_DAY = 1000
BANNED = 1015  # Cloudflare's code for a rate-limited (banned) client, as RequestRecord.code


@dataclass
class Upload:
    index: int
    filename: str
    data: bytes
    content_type: str | None


@dataclass
class Req:
    request: web.Request
    params: dict[str, str]
    body: Any
    files: list[Upload]
    query: MultiMapping[str]

    def int(self, name: str) -> int:
        try:
            return int(self.params[name])
        except ValueError:
            error = field_error("NUMBER_TYPE_COERCE", "Value is not snowflake.")
            raise form_error({name: error}) from None

    @property
    def json(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}


def _empty(body: dict[str, Any], attachments: list[FakeAttachment]) -> bool:
    return not (
        body.get("content")
        or body.get("embeds")
        or attachments
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
    )


class Rest:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    # ================================================================ the pipeline

    def install(self, app: web.Application) -> None:
        for method, template, handler in self._routes():
            app.router.add_route(
                method, "/api/v10" + template, self._wrap(method, template, handler)
            )
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._attachment)
        app.router.add_route("*", "/api/{tail:.*}", self._unknown)

    def _wrap(self, method: str, template: str, handler: Any) -> Any:
        route = f"{method} {template}"

        async def run(request: web.Request) -> web.StreamResponse:
            return await self._run(request, method, template, route, handler)

        return run

    async def _run(
        self, request: web.Request, method: str, template: str, route: str, handler: Any
    ) -> web.StreamResponse:
        from .server import RequestRecord

        fake = self.fake
        record = RequestRecord(method, request.path_qs, route)
        fake.requests.append(record)
        if fake.ratelimits.ban.banned(self._seconds()):
            return self._banned(record, route)
        headers: dict[str, str] = {}
        response: web.StreamResponse
        try:
            is_callback = template.startswith("/interactions/")
            is_webhook = template.startswith("/webhooks/{webhook_id}/{webhook_token}")
            authorized = request.headers.get("Authorization") == f"Bot {fake.token}"
            if not (is_callback or is_webhook or authorized):
                raise DiscordError(0, "401: Unauthorized", status=401)
            fault = next((f for f in fake.faults if f.remaining > 0 and f.matches(route)), None)
            if fault is not None and fault.hang is None and not fault.drop:
                response = self._fault(fault, record)
                return self._finish(record, route, response)
            # Interaction callbacks and interaction webhooks are outside the global limit.
            interaction_webhook = is_webhook and request.match_info["webhook_id"] == str(
                fake.app_id
            )
            if not (is_callback or interaction_webhook):
                wait = fake.ratelimits.check_global()
                if wait is not None:
                    body, hdrs = too_many(wait, scope="global", is_global=True)
                    return self._finish(record, route, json_response(body, 429, hdrs))
            if not is_callback:
                major = "+".join(
                    request.match_info[k]
                    for k in ("channel_id", "guild_id", "webhook_id", "webhook_token")
                    if k in request.match_info
                )
                decision = fake.ratelimits.take(route, major)
                headers = decision.headers
                if decision.retry_after is not None:
                    body, hdrs = too_many(decision.retry_after, scope="user", headers=headers)
                    return self._finish(record, route, json_response(body, 429, hdrs))
            payload, files = await self._read(request)
            record.body = payload
            if payload is not None and fake.spec is not None:
                errors = fake.spec.validate(template, method, payload)
                if errors:
                    raise form_error(errors)
            req = Req(request, dict(request.match_info), payload, files, request.query)
            if fault is not None:
                return await self._slow_fault(fault, record, route, request, handler, req)
            result = await handler(req)
            if isinstance(result, web.StreamResponse):
                response = result
            elif result is None:
                response = web.Response(status=204, headers=headers)
            else:
                response = json_response(result, 200, headers)
        except DiscordError as e:
            record.code = e.code
            record.error = e.body()
            response = json_response(e.body(), e.status, headers)
            if template.startswith("/interactions/"):
                self._rejected(request, e)
        except Exception as e:
            # A bug in the emulator: answer 400 (discord.py retries 5xx for seconds) and
            # let the unexpected-error check fail the test with the reason.
            log.exception("fakediscord crashed on %s", route)
            record.code = 0
            record.error = {"message": f"fakediscord internal error: {e!r}", "code": 0}
            response = json_response(record.error, 400)
        return self._finish(record, route, response)

    async def _slow_fault(
        self,
        fault: Fault,
        record: RequestRecord,
        route: str,
        request: web.Request,
        handler: Any,
        req: Req,
    ) -> web.StreamResponse:
        """A request that hangs, or whose connection drops: Discord may still have done
        the work (`fault.applied`), the client just never hears about it in time."""
        fault.remaining -= 1
        fault.used += 1
        record.expected = True
        if fault.hang is not None:
            await asyncio.sleep(fault.hang)
        result = None
        if fault.applied:
            try:
                result = await handler(req)
            except DiscordError as e:
                record.code = e.code
        if fault.drop:
            if request.transport is not None:
                request.transport.close()
            record.status = 0
            self.fake._notify()
            return web.Response(status=204)
        response = web.Response(status=204) if result is None else json_response(result, 200)
        return self._finish(record, route, response)

    def _rejected(self, request: web.Request, error: DiscordError) -> None:
        """Tell the waiting test helper its interaction's answer was refused."""
        try:
            i = self.fake.interactions.get(int(request.match_info["interaction_id"]))
        except ValueError:
            return
        if i is not None:
            i.rejections.append(error)
            i.attempted.set()

    def _finish(
        self, record: RequestRecord, route: str, response: web.StreamResponse
    ) -> web.StreamResponse:
        record.status = response.status
        scope = response.headers.get("X-RateLimit-Scope", "")
        if self.fake.stats.record(route, response.status, scope=scope):
            self.fake.ratelimits.ban.note_invalid(self._seconds())
        self.fake._notify()
        return response

    def _seconds(self) -> float:
        return self.fake.clock.now().timestamp()

    def _banned(self, record: RequestRecord, route: str) -> web.StreamResponse:
        """Cloudflare's answer to a banned IP: 429, plain text, no Via; discord.py raises."""
        record.status = 429
        record.code = BANNED
        record.error = {"message": "error code: 1015 (banned for invalid requests)", "code": 0}
        wait = self.fake.ratelimits.ban.remaining(self._seconds())
        self.fake.stats.record(route, 429)
        self.fake._notify()
        return web.Response(
            status=429,
            text="error code: 1015",
            headers={"Retry-After": str(max(1, int(wait)))},
        )

    def _fault(self, fault: Fault, record: RequestRecord) -> web.StreamResponse:
        fault.remaining -= 1
        fault.used += 1
        record.expected = True  # the test asked for it
        if fault.status == 429:
            body, hdrs = too_many(
                fault.retry_after,
                scope=fault.scope or ("global" if fault.is_global else "user"),
                is_global=fault.is_global,
                via=fault.via,
            )
            return json_response(body, 429, hdrs)
        if fault.code is not None:
            err = DiscordError(fault.code, status=fault.status)
            record.code = fault.code
            record.error = err.body()
            return json_response(err.body(), fault.status)
        text = {
            500: "500: Internal Server Error",
            502: "502: Bad Gateway",
            503: "503: Service Unavailable",
            504: "504: Gateway Timeout",
        }
        return json_response(
            {"message": text.get(fault.status, f"{fault.status}"), "code": 0}, fault.status
        )

    async def _read(self, request: web.Request) -> tuple[Any, list[Upload]]:
        if not request.can_read_body:
            return None, []
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            payload: Any = None
            files: list[Upload] = []
            while (part := await reader.next()) is not None:
                name = getattr(part, "name", None)
                if name == "payload_json":
                    payload = self._parse_json(await part.text())  # type: ignore[union-attr]
                elif name and name.startswith("files["):
                    data = await part.read()  # type: ignore[union-attr]
                    files.append(
                        Upload(
                            int(name[6:-1]),
                            getattr(part, "filename", None) or f"file{len(files)}",
                            bytes(data),
                            part.headers.get("Content-Type"),
                        )
                    )
            return payload, files
        text = await request.text()
        return (self._parse_json(text) if text else None), []

    @staticmethod
    def _parse_json(text: str) -> Any:
        try:
            return json.loads(text)
        except ValueError:
            raise DiscordError(50109, "The request body contains invalid JSON.") from None

    async def _unknown(self, request: web.Request) -> web.StreamResponse:
        from .server import RequestRecord

        record = RequestRecord(request.method, request.path_qs, "?")
        record.code = 0
        record.error = {"message": "404: Not Found", "code": 0}
        self.fake.requests.append(record)
        return self._finish(record, f"{request.method} ?", json_response(record.error, 404))

    async def _attachment(self, request: web.Request) -> web.StreamResponse:
        att = self.fake.attachments.get(int(request.match_info["attachment_id"]))
        if att is None:
            return web.Response(status=404)
        return web.Response(
            body=att.data, content_type=att.content_type or "application/octet-stream"
        )

    # ================================================================ route table

    def _routes(self) -> list[tuple[str, str, Any]]:
        c = "/channels/{channel_id}"
        app = "/applications/{application_id}"
        hook = "/webhooks/{webhook_id}/{webhook_token}"
        return [
            ("GET", "/users/@me", self.get_me),
            ("POST", "/users/@me/channels", self.open_dm),
            ("GET", "/users/@me/guilds", self.my_guilds),
            ("DELETE", "/users/@me/guilds/{guild_id}", self.leave_guild),
            ("GET", "/users/{user_id}", self.get_user),
            ("GET", "/oauth2/applications/@me", self.application),
            ("GET", "/applications/@me", self.application),
            ("GET", "/gateway", self.gateway),
            ("GET", "/gateway/bot", self.gateway_bot),
            # commands
            ("GET", app + "/commands", self.list_commands),
            ("PUT", app + "/commands", self.put_commands),
            ("POST", app + "/commands", self.upsert_command),
            ("GET", app + "/commands/{command_id}", self.get_command),
            ("PATCH", app + "/commands/{command_id}", self.edit_command),
            ("DELETE", app + "/commands/{command_id}", self.delete_command),
            ("GET", app + "/guilds/{guild_id}/commands/permissions", self.command_permissions),
            ("GET", app + "/guilds/{guild_id}/commands", self.list_commands),
            ("PUT", app + "/guilds/{guild_id}/commands", self.put_commands),
            ("POST", app + "/guilds/{guild_id}/commands", self.upsert_command),
            ("GET", app + "/guilds/{guild_id}/commands/{command_id}", self.get_command),
            ("PATCH", app + "/guilds/{guild_id}/commands/{command_id}", self.edit_command),
            ("DELETE", app + "/guilds/{guild_id}/commands/{command_id}", self.delete_command),
            # interactions
            ("POST", "/interactions/{interaction_id}/{interaction_token}/callback", self.callback),
            ("POST", hook, self.followup),
            ("GET", hook + "/messages/@original", self.get_webhook_message),
            ("PATCH", hook + "/messages/@original", self.edit_webhook_message),
            ("DELETE", hook + "/messages/@original", self.delete_webhook_message),
            ("GET", hook + "/messages/{message_id}", self.get_webhook_message),
            ("PATCH", hook + "/messages/{message_id}", self.edit_webhook_message),
            ("DELETE", hook + "/messages/{message_id}", self.delete_webhook_message),
            # channels and messages
            ("GET", c, self.get_channel),
            ("PATCH", c, self.edit_channel),
            ("DELETE", c, self.delete_channel),
            ("GET", c + "/messages", self.history),
            ("POST", c + "/messages", self.create_message),
            ("GET", c + "/messages/{message_id}", self.get_message),
            ("PATCH", c + "/messages/{message_id}", self.edit_message),
            ("DELETE", c + "/messages/{message_id}", self.delete_message),
            ("POST", c + "/messages/{message_id}/threads", self.thread_from_message),
            ("POST", c + "/threads", self.thread_without_message),
            ("GET", c + "/thread-members", self.thread_members),
            ("PUT", c + "/thread-members/@me", self.join_thread),
            ("DELETE", c + "/thread-members/@me", self.leave_thread),
            ("GET", c + "/thread-members/{user_id}", self.thread_member),
            ("PUT", c + "/thread-members/{user_id}", self.add_thread_member),
            ("DELETE", c + "/thread-members/{user_id}", self.remove_thread_member),
            ("PUT", c + "/messages/{message_id}/reactions/{emoji_name}/@me", self.react),
            ("DELETE", c + "/messages/{message_id}/reactions/{emoji_name}/@me", self.unreact),
            ("POST", c + "/typing", self.typing),
            # guilds
            ("GET", "/guilds/{guild_id}", self.get_guild),
            ("GET", "/guilds/{guild_id}/channels", self.guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self.guild_roles),
            ("GET", "/guilds/{guild_id}/members", self.guild_members),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.guild_member),
            ("GET", "/guilds/{guild_id}/threads/active", self.active_threads),
        ]

    # ======================================================================== users

    async def get_me(self, req: Req) -> Any:
        return {
            **self.fake.bot_user.payload(),
            "verified": True,
            "mfa_enabled": False,
            "flags": 0,
            "locale": "en-US",
            "email": None,
        }

    async def get_user(self, req: Req) -> Any:
        user = self.fake.users.get(req.int("user_id"))
        if user is None:
            raise DiscordError(10013)
        return user.payload()

    async def open_dm(self, req: Req) -> Any:
        user = self.fake.users.get(int(req.json.get("recipient_id") or 0))
        if user is None:
            raise DiscordError(10013)
        return self.fake.dm_channel_for(user).payload()

    async def my_guilds(self, req: Req) -> Any:
        return [
            {
                "id": str(g.id),
                "name": g.name,
                "icon": None,
                "banner": None,
                "owner": False,
                "permissions": str(perm.base_permissions(g, g.bot_member)) if g.bot_member else "0",
                "features": [],
            }
            for g in self.fake.guilds.values()
            if g.bot_present
        ]

    async def leave_guild(self, req: Req) -> Any:
        guild = self._guild(req)
        guild._detach_bot()
        return None

    async def application(self, req: Req) -> Any:
        fake = self.fake
        return {
            "id": str(fake.app_id),
            "name": fake.app_name,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": fake.app_flags,
            "owner": fake.owner_user.payload(),
            "team": None,
            "bot": fake.bot_user.payload(),
            "rpc_origins": [],
            "terms_of_service_url": None,
            "privacy_policy_url": None,
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "tags": [],
            "approximate_guild_count": len([g for g in fake.guilds.values() if g.bot_present]),
            "integration_types_config": {"0": {}},
        }

    async def gateway(self, req: Req) -> Any:
        return {"url": self.fake.gateway_url}

    async def gateway_bot(self, req: Req) -> Any:
        fake = self.fake
        servers = len([g for g in fake.guilds.values() if g.bot_present])
        return {
            "url": fake.gateway_url,
            # Discord's recommendation: a shard per 1,000 servers (never fewer than one).
            "shards": max(1, -(-servers // GUILDS_PER_RECOMMENDED_SHARD)),
            "session_start_limit": {
                "total": SESSION_STARTS_PER_DAY,
                "remaining": max(0, SESSION_STARTS_PER_DAY - fake.session_starts_used),
                "reset_after": 86400000,
                "max_concurrency": fake.max_concurrency,
            },
        }

    # ===================================================================== commands

    def _command_store(self, req: Req) -> tuple[dict[tuple[str, int], FakeCommand], int | None]:
        if req.params["application_id"] != str(self.fake.app_id):
            raise DiscordError(50001)
        if "guild_id" not in req.params:
            return self.fake.global_commands, None
        guild = self.fake.guilds.get(req.int("guild_id"))
        if guild is None or not guild.bot_present:
            raise DiscordError(50001)
        return self.fake.guild_commands.setdefault(guild.id, {}), guild.id

    def _find_command(self, req: Req) -> tuple[dict[tuple[str, int], FakeCommand], FakeCommand]:
        store, _ = self._command_store(req)
        cid = req.int("command_id")
        for cmd in store.values():
            if cmd.id == cid:
                return store, cmd
        raise DiscordError(10063)

    async def list_commands(self, req: Req) -> Any:
        store, _ = self._command_store(req)
        return [c.payload() for c in store.values()]

    async def put_commands(self, req: Req) -> Any:
        store, guild_id = self._command_store(req)
        body = req.body if isinstance(req.body, list) else []
        errors = commands.check(body, bulk=True)
        if errors:
            raise form_error(errors)
        fresh: dict[tuple[str, int], FakeCommand] = {}
        for data in body:
            key = (data["name"], int(data.get("type", 1)))
            old = store.get(key)
            cid = old.id if old is not None else self.fake.ids.next()
            fresh[key] = FakeCommand(
                cid,
                self.fake.app_id,
                self._registered(data, guild_id),
                guild_id,
                self.fake.ids.next(),
            )
        store.clear()
        store.update(fresh)
        return [c.payload() for c in store.values()]

    async def upsert_command(self, req: Req) -> Any:
        store, guild_id = self._command_store(req)
        errors = commands.check([req.json], bulk=False)
        if errors:
            raise form_error(errors)
        key = (req.json["name"], int(req.json.get("type", 1)))
        old = store.get(key)
        cid = old.id if old else self.fake.ids.next()
        data = self._registered(req.json, guild_id)
        cmd = FakeCommand(cid, self.fake.app_id, data, guild_id, self.fake.ids.next())
        store[key] = cmd
        return cmd.payload()

    def _registered(self, data: dict[str, Any], guild_id: int | None) -> dict[str, Any]:
        """A global command that doesn't state `integration_types` gets the app's
        installation contexts as they are now (Developer Portal → Installation)."""
        data = dict(data)
        if guild_id is None and not data.get("integration_types"):
            data["integration_types"] = sorted(self.fake.install_types)
        return data

    async def get_command(self, req: Req) -> Any:
        return self._find_command(req)[1].payload()

    async def edit_command(self, req: Req) -> Any:
        store, cmd = self._find_command(req)
        data = {**cmd.data, **req.json}
        errors = commands.check([data], bulk=False)
        if errors:
            raise form_error(errors)
        del store[(cmd.name, cmd.type)]
        new = FakeCommand(cmd.id, cmd.application_id, data, cmd.guild_id, self.fake.ids.next())
        store[(new.name, new.type)] = new
        return new.payload()

    async def delete_command(self, req: Req) -> Any:
        store, cmd = self._find_command(req)
        del store[(cmd.name, cmd.type)]
        return None

    async def command_permissions(self, req: Req) -> Any:
        self._command_store(req)
        return []

    # ================================================================= interactions

    async def callback(self, req: Req) -> Any:
        fake = self.fake
        i = fake.interactions.get(req.int("interaction_id"))
        if i is None or i.token != req.params["interaction_token"]:
            raise DiscordError(10062)
        return self._callback(i, req)

    def _callback(self, i: FakeInteraction, req: Req) -> Any:
        if i.responded:
            raise DiscordError(40060)
        if i.initial_expired():
            raise DiscordError(10062)
        body = req.json
        kind = body.get("type")
        data = body.get("data") or {}
        message: FakeMessage | None = None
        allowed = {
            4: (APPLICATION_COMMAND, COMPONENT, MODAL_SUBMIT),
            5: (APPLICATION_COMMAND, COMPONENT, MODAL_SUBMIT),
            6: (COMPONENT, MODAL_SUBMIT),
            7: (COMPONENT, MODAL_SUBMIT),
            8: (AUTOCOMPLETE,),
            9: (APPLICATION_COMMAND, COMPONENT),
        }
        if kind not in allowed or i.type not in allowed[kind]:
            why = f"Interaction response type {kind} is not valid for interaction type {i.type}"
            raise form_error({"type": field_error("INTERACTION_RESPONSE_TYPE_INVALID", why)})
        if kind in (6, 7) and i.message is None:
            why = "This interaction has no message to update"
            raise form_error({"type": field_error("INTERACTION_RESPONSE_TYPE_INVALID", why)})
        if kind == 4:
            flags = data.get("flags") or 0
            message = self._create(
                i.channel,
                data,
                req.files,
                interaction=i,
                ephemeral=bool(flags & EPHEMERAL),
                prefix=["data"],
            )
            i.original = message
        elif kind == 5:
            flags = data.get("flags") or 0
            if isinstance(flags, int) and flags & ~EPHEMERAL:
                why = "A deferred response can only set the EPHEMERAL flag"
                raise form_error({"data": {"flags": field_error("INTERACTION_FLAGS_INVALID", why)}})
            ephemeral = bool(flags & EPHEMERAL)
            message = self._loading(i, ephemeral)
            i.original = message
        elif kind == 6:
            i.original = i.message
        elif kind == 7:
            assert i.message is not None
            message = i.message
            self._edit(message, data, req.files, prefix=["data"], webhook=True)
            i.original = message
        elif kind == 8:
            errors = limits.check_choices(data, ["data"])
            if errors:
                raise form_error(errors)
            i.choices = list(data.get("choices") or [])
        elif kind == 9:
            errors = limits.check_modal(data, ["data"])
            if errors:
                raise form_error(errors)
            i.modal = FakeModal.from_payload(i, data)
        i.response_type = kind
        i.answered.set()
        i.attempted.set()
        self.fake._notify()
        if req.query.get("with_response") not in ("1", "true", "True"):
            return None  # Discord's default: 204, no callback object
        response: dict[str, Any] = {
            "interaction": {
                "id": str(i.id),
                "type": i.type,
                "channel_id": str(i.channel.id),
            }
        }
        if i.guild is not None:
            response["interaction"]["guild_id"] = str(i.guild.id)
        target = i.original
        if target is not None:
            response["interaction"].update(
                response_message_id=str(target.id),
                response_message_loading=target.loading,
                response_message_ephemeral=target.ephemeral,
            )
        if kind in (4, 7) and message is not None:
            response["resource"] = {"type": kind, "message": message.payload()}
        return response

    def _webhook_interaction(self, req: Req) -> FakeInteraction:
        if req.params["webhook_id"] != str(self.fake.app_id):
            raise DiscordError(10015)
        i = self.fake.interactions_by_token.get(req.params["webhook_token"])
        if i is None or i.token_expired():
            raise DiscordError(50027)
        return i

    def _webhook_target(self, i: FakeInteraction, req: Req) -> FakeMessage:
        if "message_id" not in req.params:
            target = i.original
        else:
            mid = req.int("message_id")
            candidates = [i.original, *i.followups]
            target = next((m for m in candidates if m is not None and m.id == mid), None)
        if target is None or target.deleted:
            raise DiscordError(10008)
        return target

    async def followup(self, req: Req) -> Any:
        i = self._webhook_interaction(req)
        if not i.responded:
            raise DiscordError(10015)
        thread_id = req.query.get("thread_id")
        if thread_id is not None and not (i.channel.is_thread and thread_id == str(i.channel.id)):
            # A followup lands where the interaction happened; it can't be sent to a thread
            # (or, in a plain channel, to any thread at all).
            raise DiscordError(10003)
        body = req.json
        original = i.original
        if original is not None and original.loading and i.response_type == 5:
            # The first followup after a "thinking…" defer fills in that message.
            self._edit(original, body, req.files, webhook=True)
            i.followups.append(original)
            message = original
        else:
            flags = body.get("flags") or 0
            message = self._create(
                i.channel, body, req.files, interaction=i, ephemeral=bool(flags & EPHEMERAL)
            )
            i.followups.append(message)
        self.fake._notify()
        if req.query.get("wait") in ("0", "false", "False"):
            return None
        return message.payload()

    async def get_webhook_message(self, req: Req) -> Any:
        i = self._webhook_interaction(req)
        return self._webhook_target(i, req).payload()

    async def edit_webhook_message(self, req: Req) -> Any:
        i = self._webhook_interaction(req)
        target = self._webhook_target(i, req)
        self._edit(target, req.json, req.files, webhook=True)
        return target.payload()

    async def delete_webhook_message(self, req: Req) -> Any:
        i = self._webhook_interaction(req)
        target = self._webhook_target(i, req)
        if not target.ephemeral:
            self._thread_gate(target.channel, "delete")
        self.fake._delete_message(target)
        return None

    # ===================================================================== channels

    def _channel(self, req: Req) -> FakeChannel:
        """The channel, if it exists and the bot can at least see it."""
        channel = self.fake.channels.get(req.int("channel_id"))
        if channel is None or channel.deleted:
            raise DiscordError(10003)
        if channel.guild is not None:
            if not channel.guild.bot_present:
                raise DiscordError(50001)
            if not channel.bot_permissions() & perm.VIEW_CHANNEL:
                raise DiscordError(50001)
        return channel

    def _require(self, channel: FakeChannel, bits: int) -> None:
        if channel.guild is not None and channel.bot_permissions() & bits != bits:
            raise DiscordError(50013)

    async def get_channel(self, req: Req) -> Any:
        return self._channel(req).payload()

    async def edit_channel(self, req: Req) -> Any:
        channel = self._channel(req)
        body = req.json
        if channel.is_thread:
            own = channel.owner_id == self.fake.bot_user.id
            if not own or "locked" in body:
                self._require(channel, perm.MANAGE_THREADS)
            moderator = bool(channel.bot_permissions() & perm.MANAGE_THREADS)
            reopening = body.get("archived") is False
            if channel.archived and not reopening:
                raise DiscordError(50083)  # rename, lock, or anything else: reopen first
            if channel.locked and not moderator and (reopening or body.get("name")):
                raise DiscordError(160005)
            for key in ("archived", "locked", "invitable", "auto_archive_duration"):
                if key in body and body[key] is not None:
                    setattr(channel, key, body[key])
        else:
            self._require(channel, perm.MANAGE_CHANNELS)
            if "topic" in body:
                channel.topic = body["topic"]
        if body.get("name"):
            channel.name = body["name"]
        channel._changed()
        return channel.payload()

    async def delete_channel(self, req: Req) -> Any:
        channel = self._channel(req)
        if channel.is_dm:
            return channel.payload()
        self._require(channel, perm.MANAGE_THREADS if channel.is_thread else perm.MANAGE_CHANNELS)
        payload = channel.payload()
        channel._delete()
        return payload

    async def create_message(self, req: Req) -> Any:
        channel = self._channel(req)
        if channel.type == FORUM:
            raise DiscordError(40058)
        body = req.json
        self._check_send(channel, body, req.files)
        earlier = self._same_nonce(body)
        if earlier is not None:
            # Discord: with enforce_nonce, a message by the same author with the same
            # nonce in the past few minutes is returned instead of a second one.
            return earlier.payload()
        return self._create(channel, body, req.files).payload()

    def _same_nonce(self, body: dict[str, Any]) -> FakeMessage | None:
        nonce = body.get("nonce")
        if nonce is None or not body.get("enforce_nonce"):
            return None
        fake = self.fake
        found = fake.nonces.get((fake.bot_user.id, str(nonce)))
        if found is None:
            return None
        message, made_at = found
        if fake.clock.now() - made_at > fake.nonce_window:
            return None
        return message

    def _thread_gate(self, channel: FakeChannel, action: str) -> None:
        """Discord's rules for the bot acting in a thread (Threads → Locked, Active &
        Archived): a message it sends reopens an archived thread unless a moderator locked
        it; nothing is edited, reacted to, joined or managed while archived (50083); a
        locked thread takes no new or edited messages from anyone without Manage Threads
        (160005); deleting works while archived, unless it is locked too."""
        if not channel.is_thread:
            return
        moderator = bool(channel.bot_permissions() & perm.MANAGE_THREADS)
        if channel.archived:
            if action == "delete" and (moderator or not channel.locked):
                return
            if action == "send" and (moderator or not channel.locked):
                channel.unarchive()
                return
            raise DiscordError(50083)
        if channel.locked and not moderator and action in ("send", "edit"):
            raise DiscordError(160005)

    def _check_send(self, channel: FakeChannel, body: dict[str, Any], files: list[Upload]) -> None:
        if channel.is_dm:
            recipient = channel.recipient
            assert recipient is not None
            if recipient.bot or not recipient.dms_open:
                raise DiscordError(50007)
            if not any(
                g.bot_present and recipient.id in g.members for g in self.fake.guilds.values()
            ):
                raise DiscordError(50278)
            return
        perms = channel.bot_permissions()
        if not perm.can_send(channel, perms):
            raise DiscordError(50013)
        if body.get("embeds") and not perms & perm.EMBED_LINKS:
            raise DiscordError(50013)
        if files and not perms & perm.ATTACH_FILES:
            raise DiscordError(50013)
        if body.get("message_reference") and not perms & perm.READ_HISTORY:
            raise DiscordError(50013)
        self._thread_gate(channel, "send")

    def _message(self, channel: FakeChannel, req: Req) -> FakeMessage:
        msg = self.fake.messages.get(req.int("message_id"))
        if msg is None or msg.deleted or msg.ephemeral or msg.channel is not channel:
            raise DiscordError(10008)
        return msg

    async def history(self, req: Req) -> Any:
        channel = self._channel(req)
        self._require(channel, perm.READ_HISTORY)
        limit = min(int(req.query.get("limit", 50)), 100)
        msgs = channel.visible_messages
        if "before" in req.query:
            msgs = [m for m in msgs if m.id < int(req.query["before"])]
        if "after" in req.query:
            msgs = [m for m in msgs if m.id > int(req.query["after"])][:limit]
        return [m.payload() for m in reversed(msgs[-limit:])]

    async def get_message(self, req: Req) -> Any:
        channel = self._channel(req)
        self._require(channel, perm.READ_HISTORY)
        return self._message(channel, req).payload()

    async def edit_message(self, req: Req) -> Any:
        channel = self._channel(req)
        msg = self._message(channel, req)
        if msg.author is not self.fake.bot_user:
            raise DiscordError(50005)
        self._edit(msg, req.json, req.files)
        return msg.payload()

    async def delete_message(self, req: Req) -> Any:
        channel = self._channel(req)
        msg = self._message(channel, req)
        if msg.author is not self.fake.bot_user:
            self._require(channel, perm.MANAGE_MESSAGES)
        self._thread_gate(channel, "delete")
        self.fake._delete_message(msg)
        return None

    # ====================================================================== threads

    async def thread_from_message(self, req: Req) -> Any:
        channel = self._channel(req)
        if channel.type not in (0, NEWS):
            raise DiscordError(50024, "Cannot execute action on this channel type")
        self._require(channel, perm.CREATE_PUBLIC_THREADS | perm.READ_HISTORY)
        msg = self._message(channel, req)
        if msg.thread is not None:
            raise DiscordError(160004)
        kind = NEWS_THREAD if channel.type == NEWS else PUBLIC_THREAD
        return self._new_thread(channel, req.json, kind, starter=msg)

    async def thread_without_message(self, req: Req) -> Any:
        channel = self._channel(req)
        if channel.type == FORUM:
            return self._forum_post(channel, req)
        if channel.type not in (0, NEWS):
            raise DiscordError(50024, "Cannot execute action on this channel type")
        kind = int(req.json.get("type") or PRIVATE_THREAD)
        self._require(
            channel,
            perm.CREATE_PRIVATE_THREADS if kind == PRIVATE_THREAD else perm.CREATE_PUBLIC_THREADS,
        )
        return self._new_thread(channel, req.json, kind, starter=None)

    def _forum_post(self, forum: FakeChannel, req: Req) -> Any:
        """A forum post: a thread and its first message, which shares the thread's id."""
        self._require(forum, perm.SEND_MESSAGES)
        first = req.json.get("message")
        if not isinstance(first, dict) or _empty(first, []):
            error = field_error("BASE_TYPE_REQUIRED", "This field is required")
            raise form_error({"message": error})
        self._check_body(first, ["message"])
        created = self._new_thread(forum, req.json, PUBLIC_THREAD, starter=None)
        thread = self.fake.channels[int(created["id"])]
        message = FakeMessage(
            id=thread.id,
            channel=thread,
            author=self.fake.bot_user,
            content=first.get("content") or "",
            embeds=_embeds(first.get("embeds")),
            components=list(first.get("components") or []),
            allowed_mentions=first.get("allowed_mentions", _ABSENT),
        )
        self._record_pings(message, first, webhook=False)
        self.fake._store(message)
        self._announce(message, "MESSAGE_CREATE")
        return {**thread.payload(), "message": message.payload()}

    def _new_thread(
        self, channel: FakeChannel, body: dict[str, Any], kind: int, starter: FakeMessage | None
    ) -> Any:
        name = body.get("name") or ""
        if not 1 <= len(name) <= 100:
            error = field_error("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
            raise form_error({"name": error})
        fake = self.fake
        thread = fake._new_thread(
            channel, name, kind=kind, owner_id=fake.bot_user.id, starter=starter
        )
        thread.thread_members.add(fake.bot_user.id)
        if body.get("auto_archive_duration"):
            thread.auto_archive_duration = int(body["auto_archive_duration"])
        if "invitable" in body and body["invitable"] is not None:
            thread.invitable = bool(body["invitable"])
        if body.get("rate_limit_per_user"):
            thread.rate_limit_per_user = int(body["rate_limit_per_user"])
        fake._emit(
            "THREAD_CREATE", {**thread.payload(), "newly_created": True}, guild=channel.guild
        )
        return thread.payload()

    def _thread(self, req: Req) -> FakeChannel:
        thread = self._channel(req)
        if not thread.is_thread:
            raise DiscordError(50024, "Cannot execute action on this channel type")
        return thread

    async def thread_members(self, req: Req) -> Any:
        thread = self._thread(req)
        return [thread._thread_member_payload(uid) for uid in sorted(thread.thread_members)]

    async def thread_member(self, req: Req) -> Any:
        thread = self._thread(req)
        uid = req.int("user_id")
        if uid not in thread.thread_members:
            raise DiscordError(10007)
        return thread._thread_member_payload(uid)

    async def join_thread(self, req: Req) -> Any:
        thread = self._thread(req)
        self._thread_gate(thread, "members")
        thread.thread_members.add(self.fake.bot_user.id)
        return None

    async def leave_thread(self, req: Req) -> Any:
        thread = self._thread(req)
        self._thread_gate(thread, "members")
        thread.thread_members.discard(self.fake.bot_user.id)
        return None

    async def add_thread_member(self, req: Req) -> Any:
        thread = self._thread(req)
        assert thread.guild is not None
        uid = req.int("user_id")
        if uid not in thread.guild.members:
            raise DiscordError(10007)
        if not perm.can_send(thread, thread.bot_permissions()):
            raise DiscordError(50013)
        self._thread_gate(thread, "members")
        thread.thread_members.add(uid)
        return None

    async def remove_thread_member(self, req: Req) -> Any:
        thread = self._thread(req)
        if thread.owner_id != self.fake.bot_user.id:
            self._require(thread, perm.MANAGE_THREADS)
        self._thread_gate(thread, "members")
        thread.thread_members.discard(req.int("user_id"))
        return None

    # ============================================================ reactions, typing

    async def react(self, req: Req) -> Any:
        channel = self._channel(req)
        self._require(channel, perm.READ_HISTORY)
        msg = self._message(channel, req)
        emoji = unquote(req.params["emoji_name"])
        if ":" in emoji:
            raise DiscordError(10014)
        self._thread_gate(channel, "react")
        if not msg.reactions.get(emoji):
            self._require(channel, perm.ADD_REACTIONS)
        self.fake._user_reaction(self.fake.bot_user, msg, emoji)
        return None

    async def unreact(self, req: Req) -> Any:
        channel = self._channel(req)
        msg = self._message(channel, req)
        msg.reactions.get(unquote(req.params["emoji_name"]), set()).discard(self.fake.bot_user.id)
        return None

    async def typing(self, req: Req) -> Any:
        channel = self._channel(req)
        if channel.guild is not None and not perm.can_send(channel, channel.bot_permissions()):
            raise DiscordError(50013)
        return None

    # ======================================================================= guilds

    def _guild(self, req: Req) -> FakeGuild:
        guild = self.fake.guilds.get(req.int("guild_id"))
        if guild is None or not guild.bot_present:
            raise DiscordError(10004)
        return guild

    async def get_guild(self, req: Req) -> Any:
        guild = self._guild(req)
        data = guild.payload()
        if req.query.get("with_counts") in ("1", "true", "True"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return data

    async def guild_channels(self, req: Req) -> Any:
        guild = self._guild(req)
        return [c.payload() for c in guild.channels if not c.is_thread and not c.deleted]

    async def guild_roles(self, req: Req) -> Any:
        return [r.payload() for r in self._guild(req).roles]

    async def guild_members(self, req: Req) -> Any:
        guild = self._guild(req)
        if "members" not in self.fake.privileged_intents:
            raise DiscordError(50001)
        limit = min(int(req.query.get("limit", 1)), 1000)
        after = int(req.query.get("after", 0))
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
        return [m.payload() for m in members[:limit]]

    async def guild_member(self, req: Req) -> Any:
        guild = self._guild(req)
        member = guild.members.get(req.int("user_id"))
        if member is None:
            raise DiscordError(10007)
        return member.payload()

    async def active_threads(self, req: Req) -> Any:
        guild = self._guild(req)
        threads = [t for t in guild.threads if not t.archived]
        bot_id = self.fake.bot_user.id
        return {
            "threads": [t.payload() for t in threads],
            "members": [
                t._thread_member_payload(bot_id) for t in threads if bot_id in t.thread_members
            ],
        }

    # ====================================================== creating and editing

    def _check_body(self, body: dict[str, Any], prefix: list[str | int]) -> None:
        errors = limits.check_message(body, prefix)
        mention_errors = allowed_mentions_errors(body.get("allowed_mentions"))
        if mention_errors:
            errors = {**errors, **mention_errors}
        if errors:
            raise form_error(errors)

    def _attachments(
        self, body: dict[str, Any], files: list[Upload], keep: list[FakeAttachment]
    ) -> list[FakeAttachment]:
        fake = self.fake
        uploads = {f.index: f for f in files}
        for f in files:
            if len(f.data) > 10 * 1024 * 1024:
                raise DiscordError(40005, "Request entity too large", status=413)

        def new(upload: Upload, meta: dict[str, Any]) -> FakeAttachment:
            att = fake.attachment(
                meta.get("filename") or upload.filename,
                upload.data,
                content_type=upload.content_type,
            )
            att.description = meta.get("description")
            return att

        meta = body.get("attachments")
        if meta is None:
            return [*keep, *(new(u, {}) for u in files)]
        result: list[FakeAttachment] = []
        for item in meta:
            aid = int(item["id"])
            if aid in uploads:
                result.append(new(uploads[aid], item))
                continue
            existing = next((a for a in keep if a.id == aid), None)
            if existing is None:
                error = field_error("ATTACHMENT_NOT_FOUND", f"Unknown attachment {aid}")
                raise form_error({"attachments": error})
            result.append(existing)
        return result

    def _create(
        self,
        channel: FakeChannel,
        body: dict[str, Any],
        files: list[Upload],
        *,
        interaction: FakeInteraction | None = None,
        ephemeral: bool = False,
        prefix: list[str | int] | None = None,
    ) -> FakeMessage:
        fake = self.fake
        self._check_body(body, prefix or [])
        attachments = self._attachments(body, files, [])
        if _empty(body, attachments):
            raise DiscordError(50006)
        if interaction is not None and not ephemeral:
            self._thread_gate(channel, "send")  # channel posts passed it in _check_send
        flags = (body.get("flags") or 0) & SETTABLE_FLAGS
        if ephemeral and interaction is not None:
            flags |= EPHEMERAL
        msg = FakeMessage(
            id=fake.ids.next(),
            channel=channel,
            author=fake.bot_user,
            content=body.get("content") or "",
            embeds=_embeds(body.get("embeds")),
            components=list(body.get("components") or []),
            attachments=attachments,
            flags=flags,
            tts=bool(body.get("tts")),
            nonce=body.get("nonce"),
            allowed_mentions=body.get("allowed_mentions", _ABSENT),
            sticker_ids=list(body.get("sticker_ids") or []),
            poll=body.get("poll"),
        )
        if interaction is not None:
            msg.interaction = interaction
            msg.webhook_id = fake.app_id
            msg.application_id = fake.app_id
            if interaction.type == APPLICATION_COMMAND and interaction.original is None:
                msg.type = 20 if interaction.command_type == 1 else 23
            if ephemeral:
                msg.ephemeral_for = interaction.user.id
        ref = body.get("message_reference")
        if ref:
            target = fake.messages.get(int(ref.get("message_id") or 0))
            if target is None or target.deleted:
                if ref.get("fail_if_not_exists", True):
                    error = field_error("REPLIES_UNKNOWN_MESSAGE", "Unknown message")
                    raise form_error({"message_reference": error})
            else:
                msg.reference = {k: v for k, v in ref.items() if v is not None}
                msg.reference.setdefault("channel_id", str(target.channel.id))
                msg.referenced = target
                msg.type = 19
        self._record_pings(msg, body, webhook=interaction is not None)
        fake._store(msg)
        if msg.nonce is not None and body.get("enforce_nonce") and interaction is None:
            fake.nonces[(fake.bot_user.id, str(msg.nonce))] = (msg, fake.clock.now())
        self._announce(msg, "MESSAGE_CREATE")
        return msg

    def _loading(self, i: FakeInteraction, ephemeral: bool) -> FakeMessage:
        """The "Bot is thinking…" message a type-5 defer shows until it is filled in."""
        fake = self.fake
        if not ephemeral:
            self._thread_gate(i.channel, "send")
        msg = FakeMessage(
            id=fake.ids.next(),
            channel=i.channel,
            author=fake.bot_user,
            flags=LOADING | (EPHEMERAL if ephemeral else 0),
            type=(20 if i.command_type == 1 else 23) if i.type == APPLICATION_COMMAND else 0,
            webhook_id=fake.app_id,
            application_id=fake.app_id,
            interaction=i,
            ephemeral_for=i.user.id if ephemeral else None,
        )
        fake._store(msg)
        self._announce(msg, "MESSAGE_CREATE")
        return msg

    def _edit(
        self,
        msg: FakeMessage,
        body: dict[str, Any],
        files: list[Upload],
        *,
        prefix: list[str | int] | None = None,
        webhook: bool = False,
    ) -> None:
        """Edit `msg` by `body`: through an interaction or its webhook (`webhook=True`), or
        as the bot's own channel message."""
        self._check_body(body, prefix or [])
        if not msg.ephemeral:
            self._thread_gate(msg.channel, "send" if msg.loading else "edit")
        attachments = msg.attachments
        if "attachments" in body or files:
            attachments = self._attachments(body, files, msg.attachments)
        after = {
            "content": body.get("content", msg.content),
            "embeds": body.get("embeds", msg.embeds),
            "components": body.get("components", msg.components),
            "sticker_ids": msg.sticker_ids,
            "poll": msg.poll,
        }
        if _empty(after, attachments):
            raise DiscordError(50006)
        was_loading = msg.loading
        if not was_loading:
            msg._remember()
        msg.content = after["content"] or ""
        msg.embeds = _embeds(after["embeds"])
        msg.components = list(after["components"] or [])
        msg.attachments = attachments
        if body.get("flags") is not None:
            msg.flags = (msg.flags & EPHEMERAL) | (body["flags"] & SETTABLE_FLAGS)
        msg.flags &= ~LOADING
        if was_loading:
            # Completing a deferred reply is when it notifies.
            self._record_pings(msg, body, webhook=webhook)
        else:
            if "content" in body or (msg.flags & IS_COMPONENTS_V2 and "components" in body):
                # Discord rebuilds the mentions from the new text, with the edit's own
                # allowed_mentions — or the defaults, whatever the message was sent with.
                self._record_pings(msg, body, webhook=webhook, edit=True)
            msg.edited_at = self.fake.clock.now()
        self.fake._notify()
        self._announce(msg, "MESSAGE_UPDATE")

    def _record_pings(
        self, msg: FakeMessage, body: dict[str, Any], *, webhook: bool, edit: bool = False
    ) -> None:
        """Who the message notifies, by `allowed_mentions` as sent — or, when the request
        has none, Discord's defaults: everything in a bot's own message, users only in a
        request made through an interaction or webhook. An edit notifies only whom it
        adds."""
        msg.allowed_mentions = body.get("allowed_mentions", _ABSENT)
        allowed = body.get("allowed_mentions")
        if not isinstance(allowed, dict):
            allowed = {"parse": ["users"]} if webhook else None
        guild = msg.channel.guild
        member = guild.members.get(msg.author.id) if guild is not None else None
        before = msg.pinged
        msg.pinged = self.fake._pings_for(msg, allowed, member)
        if edit:
            added = Pings(
                msg.pinged.users - before.users,
                msg.pinged.roles - before.roles,
                msg.pinged.everyone and not before.everyone,
            )
            if added:
                self.fake.ping_log.append((msg, added))
        elif msg.pinged and not msg.loading:
            self.fake.ping_log.append((msg, msg.pinged))

    def _announce(self, msg: FakeMessage, event: str) -> None:
        if msg.ephemeral or not self.fake.echo_bot_messages:
            return
        self.fake._emit(event, msg.payload(), guild=msg.channel.guild)


def _embeds(value: Any) -> list[dict[str, Any]]:
    embeds = []
    for e in value or []:
        embed = dict(e)
        embed.setdefault("type", "rich")
        embeds.append(embed)
    return embeds


__all__ = ["CATEGORY", "DM", "Rest"]
