"""The Gauntlet test agent (fixtures/test-agent.md), built on the official
A2A Python SDK's own server API.

It serves, on 127.0.0.1 only:

* the agent card at ``/.well-known/agent-card.json``;
* the JSON-RPC binding at ``/jsonrpc``;
* the HTTP+JSON (REST) binding at the server root (``/message:send``, ...).

Push notifications are on, and the SDK's push sender is allowed to deliver to
loopback, where the suite's webhook receiver listens.

The agent implements every text command of the contract and the official
TCK's messageId-prefix scenarios (test-agent.md §6).

Everything protocol-related is the SDK's: the route factories, the request
handler, the task store and the push machinery. This file only supplies the
agent logic (an ``AgentExecutor``) and the card, so a verdict against this
server is a verdict against the SDK.

With ``--token T`` (repeatable) every A2A route requires ``Authorization:
Bearer T``; each token is one identity, which the SDK uses to scope tasks and
push configs to their owner. The card then declares an HTTP bearer scheme and
an extended card (served by the SDK to authenticated callers). Authentication
itself is the application's job in the SDK; here it is a small ASGI
middleware.

Usage: ``python agent.py --port 8000 [--token T1 --token T2]`` (``--port 0``
picks a free port; the chosen one is printed as ``LISTENING <port>``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import socket
import sys
import uuid

from collections.abc import AsyncIterator

import httpx
import uvicorn

from google.protobuf.json_format import ParseDict
from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, SimpleUser
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from a2a.helpers import new_task
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import (
    create_agent_card_routes,
    create_jsonrpc_routes,
    create_rest_routes,
)
from a2a.server.tasks import (
    BasePushNotificationSender,
    InMemoryPushNotificationConfigStore,
    InMemoryTaskStore,
    TaskUpdater,
)
from a2a.types.a2a_pb2 import (
    AgentCapabilities,
    AgentCard,
    AgentExtension,
    AgentInterface,
    AgentSkill,
    HTTPAuthSecurityScheme,
    Message,
    Part,
    Role,
    SecurityRequirement,
    SecurityScheme,
    StringList,
    TaskState,
)
from a2a.utils.constants import AGENT_CARD_WELL_KNOWN_PATH


SKILL_ID = 'gauntlet-test-agent'
MAX_N = 100_000
MAX_MS = 60_000
INTERRUPTED = (
    TaskState.TASK_STATE_INPUT_REQUIRED,
    TaskState.TASK_STATE_AUTH_REQUIRED,
)

log = logging.getLogger('gauntlet-interop-agent')


# --------------------------------------------------------------------------
# The official TCK's scenarios, chosen by messageId prefix (test-agent.md §6)
# --------------------------------------------------------------------------

TCK_ARTIFACTS = {
    'tck-artifact-text': lambda: Part(text='Generated text content'),
    'tck-artifact-file': lambda: Part(
        raw=b'tck', media_type='text/plain', filename='output.txt'
    ),
    'tck-artifact-file-url': lambda: Part(
        url='https://example.com/output.txt',
        media_type='text/plain',
        filename='output.txt',
    ),
    'tck-artifact-data': lambda: data_part({'key': 'value', 'count': 42}),
}
TCK_STREAM_TEXT = {
    'tck-stream-001': 'Stream hello from TCK',
    'tck-stream-003': 'Stream task lifecycle',
    'tck-stream-ordering-001': 'Ordered output',
    'tck-stream-artifact-text': 'Streamed text content',
}
TCK_PREFIXES = sorted(
    [
        'tck-complete-task',
        'tck-input-required',
        'tck-reject-task',
        'tck-message-response',
        *TCK_ARTIFACTS,
        'tck-stream-002',
        *TCK_STREAM_TEXT,
        'tck-stream-artifact-file',
        'tck-stream-artifact-chunked',
        'test-resubscribe-message-id',
    ],
    key=len,
    reverse=True,
)


def tck_prefix(message_id: str) -> str | None:
    """The longest TCK scenario prefix of `message_id`, if any."""
    return next((p for p in TCK_PREFIXES if message_id.startswith(p)), None)


# --------------------------------------------------------------------------
# Command parsing (fixtures/test-agent.md, "Commands")
# --------------------------------------------------------------------------


def first_text(message: Message | None) -> str | None:
    """The text of the first part that has `text`, or None."""
    if message is None:
        return None
    for part in message.parts:
        if part.WhichOneof('content') == 'text':
            return part.text
    return None


def parse_command(text: str | None) -> tuple[str, list[str], str]:
    """Returns (command, argument words, rest of the text after the word)."""
    if text is None:
        return 'echo', [], ''
    stripped = text.strip()
    words = stripped.split()
    if not words:
        return 'echo', [], ''
    command = words[0].lower()
    rest = stripped[len(words[0]) :].strip()
    return command, words[1:], rest


def int_arg(args: list[str], i: int, default: int, limit: int) -> int:
    """Argument `i` as an integer: missing or non-numeric gives `default`,
    negative counts as 0, above `limit` is clamped."""
    if i >= len(args) or not re.fullmatch(r'[+-]?\d+', args[i]):
        return default
    return max(0, min(int(args[i]), limit))


def text_part(text: str) -> Part:
    return Part(text=text)


def data_part(value: object) -> Part:
    return ParseDict({'data': value}, Part())


def part_media_type(part: Part) -> str:
    """The media type a part is delivered as (explicit, else by its kind)."""
    if part.media_type:
        return part.media_type
    kind = part.WhichOneof('content')
    if kind == 'text':
        return 'text/plain'
    if kind == 'data':
        return 'application/json'
    return 'application/octet-stream'


class _OutputModeFilter(TaskUpdater):
    """A `TaskUpdater` that drops artifact parts the client did not accept.

    The SDK hands `acceptedOutputModes` to the agent (in
    `RequestContext.configuration`) and leaves honouring it to the agent, so
    this agent does it here. An empty list accepts everything.
    """

    def __init__(self, *args: object, accepted: list[str], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._accepted = set(accepted)

    def _accepts(self, media_type: str) -> bool:
        kind = media_type.split(';', 1)[0].strip().lower()
        for pattern in self._accepted:
            want = pattern.split(';', 1)[0].strip().lower()
            if want in ('*/*', kind) or (
                want.endswith('/*') and kind.startswith(want[:-1])
            ):
                return True
        return False

    async def add_artifact(self, parts: list[Part], *args, **kwargs) -> None:  # type: ignore[override]
        if self._accepted:
            parts = [p for p in parts if self._accepts(part_media_type(p))]
            if not parts:
                return
        await super().add_artifact(parts, *args, **kwargs)


# --------------------------------------------------------------------------
# The agent
# --------------------------------------------------------------------------


class GauntletTestAgent(AgentExecutor):
    """Implements the scripted commands of the Gauntlet test agent."""

    async def execute(
        self, context: RequestContext, event_queue: EventQueue
    ) -> None:
        message = context.message
        text = first_text(message)
        current = context.current_task
        task_id = context.task_id or str(uuid.uuid4())
        # On a follow-up message the task's own contextId wins: the SDK
        # generates a fresh one for a message that names a taskId but no
        # contextId, and events must carry the task's.
        context_id = (
            current.context_id
            if current is not None and current.context_id
            else context.context_id or str(uuid.uuid4())
        )

        updater = _OutputModeFilter(
            event_queue,
            task_id,
            context_id,
            accepted=list(
                context.configuration.accepted_output_modes
                if context.configuration is not None
                else []
            ),
        )

        tck = tck_prefix(message.message_id if message is not None else '')
        follow_up = current is not None and current.status.state in INTERRUPTED

        # A follow-up message on a task that asked for input or auth: resume
        # it (one WORKING), then the TCK scenario it names, else an echo of
        # whatever the client sent.
        if follow_up:
            await updater.start_work()
            if tck and tck != 'tck-message-response':
                await self._tck(tck, updater, follow_up=True)
                return
            await self._echo(updater, text or '')
            await updater.complete()
            return

        if tck == 'tck-message-response':
            await event_queue.enqueue_event(
                Message(
                    message_id=str(uuid.uuid4()),
                    role=Role.ROLE_AGENT,
                    context_id=context_id,
                    parts=[text_part('Direct message response')],
                )
            )
            return

        command, args, rest = parse_command(text)

        if command == 'message' and not tck:
            # No task at all: one Message, and nothing else.
            await event_queue.enqueue_event(
                Message(
                    message_id=str(uuid.uuid4()),
                    role=Role.ROLE_AGENT,
                    context_id=context_id,
                    parts=[text_part(f'message: {rest}')],
                )
            )
            return

        # Every other command tracks its work in a Task, which must be
        # enqueued before its first status update.
        if current is None:
            await event_queue.enqueue_event(
                new_task(
                    task_id,
                    context_id,
                    TaskState.TASK_STATE_SUBMITTED,
                    history=[message] if message is not None else None,
                )
            )

        if tck:
            await self._tck(tck, updater, follow_up=False)
            return

        if command == 'reject':
            await updater.reject(
                updater.new_agent_message([text_part('rejected as asked')])
            )
            return

        await updater.start_work()

        if command == 'stream':
            n = int_arg(args, 0, 1, MAX_N)
            ms = int_arg(args, 1, 0, MAX_MS)
            for i in range(n):
                if i > 0:
                    # MS 0 still yields, so readers keep up.
                    await asyncio.sleep(ms / 1000)
                await updater.add_artifact(
                    [data_part({'seq': i, 'of': n})],
                    artifact_id='stream',
                    append=i > 0,
                    last_chunk=i == n - 1,
                )
            await updater.complete()
        elif command == 'slow':
            await asyncio.sleep(int_arg(args, 0, 1000, MAX_MS) / 1000)
            await self._echo(updater, text or '')
            await updater.complete()
        elif command == 'hang':
            # Stays WORKING until CancelTask; the SDK cancels this coroutine
            # and then calls `cancel` below.
            await asyncio.Event().wait()
        elif command == 'input-required':
            await updater.requires_input(
                updater.new_agent_message([text_part('input required')])
            )
        elif command == 'auth-required':
            await updater.requires_auth(
                updater.new_agent_message([text_part('auth required')])
            )
        elif command == 'fail':
            await updater.failed(
                updater.new_agent_message([text_part('failed as asked')])
            )
        elif command == 'parts':
            await updater.add_artifact(
                [
                    text_part('t'),
                    Part(
                        raw=b'gauntlet',
                        media_type='application/octet-stream',
                        filename='g.bin',
                    ),
                    Part(
                        url='https://example.com/g.txt',
                        media_type='text/plain',
                    ),
                    data_part({'k': 'v'}),
                ],
                artifact_id='parts',
                name='parts',
                last_chunk=True,
            )
            await updater.complete()
        else:
            await self._echo(updater, text or '')
            await updater.complete()

    async def cancel(
        self, context: RequestContext, event_queue: EventQueue
    ) -> None:
        task_id = context.task_id or ''
        context_id = context.context_id or ''
        current = context.current_task
        if current is not None:
            task_id = current.id or task_id
            context_id = current.context_id or context_id
        await TaskUpdater(event_queue, task_id, context_id).cancel()

    @staticmethod
    async def _tck(prefix: str, updater: TaskUpdater, follow_up: bool) -> None:
        """The official TCK's SUT scenarios (fixtures/test-agent.md §6).
        On a follow-up the WORKING step was already emitted."""

        async def working() -> None:
            if not follow_up:
                await updater.start_work()

        async def artifact(part: Part) -> None:
            await updater.add_artifact([part], last_chunk=True)

        def said(text: str) -> Message:
            return updater.new_agent_message([text_part(text)])

        if prefix == 'tck-complete-task':
            await updater.complete(said('Hello from TCK'))
        elif prefix == 'tck-input-required':
            await updater.requires_input()
        elif prefix == 'tck-reject-task':
            await updater.reject(said('rejected'))
        elif prefix in TCK_ARTIFACTS:
            await artifact(TCK_ARTIFACTS[prefix]())
            await updater.complete()
        elif prefix == 'tck-stream-002':
            await updater.complete()
        elif prefix in TCK_STREAM_TEXT:
            await working()
            await artifact(text_part(TCK_STREAM_TEXT[prefix]))
            await updater.complete()
        elif prefix == 'tck-stream-artifact-file':
            await working()
            await artifact(TCK_ARTIFACTS['tck-artifact-file']())
            await updater.complete()
        elif prefix == 'tck-stream-artifact-chunked':
            await working()
            artifact_id = str(uuid.uuid4())
            await updater.add_artifact([text_part('chunk-1 ')], artifact_id=artifact_id)
            await updater.add_artifact(
                [text_part('chunk-2')],
                artifact_id=artifact_id,
                append=True,
                last_chunk=True,
            )
            await updater.complete()
        elif prefix == 'test-resubscribe-message-id':
            await working()
            await asyncio.sleep(4)
            await updater.complete()

    @staticmethod
    async def _echo(updater: TaskUpdater, text: str) -> None:
        await updater.add_artifact(
            [text_part(f'echo: {text}')],
            artifact_id='echo',
            name='echo',
            last_chunk=True,
        )


# --------------------------------------------------------------------------
# Card and app
# --------------------------------------------------------------------------


def build_card(
    base: str,
    secured: bool,
    streaming: bool = True,
    push: bool = True,
    required_extension: str | None = None,
) -> AgentCard:
    card = AgentCard(
        name='Gauntlet test agent (a2a-sdk)',
        description=(
            'The Gauntlet scripted test agent, served by the official A2A '
            'Python SDK.'
        ),
        version='1.0.0',
        supported_interfaces=[
            AgentInterface(
                url=f'{base}/jsonrpc',
                protocol_binding='JSONRPC',
                protocol_version='1.0',
            ),
            AgentInterface(
                url=base,
                protocol_binding='HTTP+JSON',
                protocol_version='1.0',
            ),
        ],
        capabilities=AgentCapabilities(
            streaming=streaming,
            push_notifications=push,
        ),
        default_input_modes=[
            'text/plain',
            'application/json',
            'application/octet-stream',
        ],
        default_output_modes=[
            'text/plain',
            'application/json',
            'application/octet-stream',
        ],
        skills=[
            AgentSkill(
                id=SKILL_ID,
                name='Gauntlet test agent',
                description=(
                    'Scripted behaviours driven by the first word of the '
                    'message: echo, message, stream N [MS], slow MS, hang, '
                    'input-required, auth-required, fail, reject, parts.'
                ),
                tags=['test', 'conformance'],
                examples=['echo hello', 'stream 5 10', 'hang'],
            )
        ],
    )
    if required_extension:
        card.capabilities.extensions.append(
            AgentExtension(
                uri=required_extension,
                description='declared required; the SDK leaves enforcing it to the application',
                required=True,
            )
        )
    if secured:
        card.capabilities.extended_agent_card = True
        card.security_schemes['bearer'].CopyFrom(
            SecurityScheme(
                http_auth_security_scheme=HTTPAuthSecurityScheme(
                    scheme='Bearer',
                    description='one token per identity',
                )
            )
        )
        card.security_requirements.append(
            SecurityRequirement(schemes={'bearer': StringList()})
        )
    return card


class BearerAuth:
    """ASGI middleware: every route but the public card needs a known bearer
    token. It sets the Starlette user the SDK reads to scope tasks to their
    owner; anything else gets 401 with a Bearer challenge."""

    def __init__(self, app: ASGIApp, tokens: dict[str, str]) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http' or scope['path'] == AGENT_CARD_WELL_KNOWN_PATH:
            await self.app(scope, receive, send)
            return
        header = dict(scope['headers']).get(b'authorization', b'')
        scheme, _, credentials = header.decode('latin-1').partition(' ')
        identity = (
            self.tokens.get(credentials.strip())
            if scheme.lower() == 'bearer'
            else None
        )
        if identity is None:
            response = JSONResponse(
                {
                    'error': {
                        'code': 401,
                        'status': 'UNAUTHENTICATED',
                        'message': 'a valid bearer token is required',
                    }
                },
                status_code=401,
                headers={'WWW-Authenticate': 'Bearer realm="a2a"'},
            )
            await response(scope, receive, send)
            return
        scope['user'] = SimpleUser(identity)
        scope['auth'] = AuthCredentials(['authenticated'])
        await self.app(scope, receive, send)


def build_app(
    base: str,
    tokens: list[str],
    streaming: bool = True,
    push: bool = True,
    required_extension: str | None = None,
) -> ASGIApp:
    card = build_card(base, bool(tokens), streaming, push, required_extension)
    extended = None
    if tokens:
        extended = AgentCard()
        extended.CopyFrom(card)
        extended.description += ' (extended card, for authenticated callers)'
    task_store = InMemoryTaskStore()
    push_store = InMemoryPushNotificationConfigStore()
    # trust_env=False: deliveries go straight to the webhook URL, never via a
    # proxy taken from the environment. No push_url_validator: the suite's
    # webhook receiver is on loopback.
    push_client = httpx.AsyncClient(trust_env=False, timeout=10.0)
    push_sender = BasePushNotificationSender(push_client, push_store)
    handler = DefaultRequestHandler(
        agent_executor=GauntletTestAgent(),
        task_store=task_store,
        agent_card=card,
        push_config_store=push_store,
        push_sender=push_sender,
        validate_input_modes=True,
        extended_agent_card=extended,
    )
    routes = [
        *create_agent_card_routes(card, cache_control='public, max-age=60'),
        *create_jsonrpc_routes(handler, rpc_url='/jsonrpc'),
        # REST last: it also mounts a catch-all `/{tenant}/...` variant.
        *create_rest_routes(handler),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await handler.aclose()
        await push_client.aclose()

    app = Starlette(routes=routes, lifespan=lifespan)
    if not tokens:
        return app
    identities = {t: f'user-{i + 1}' for i, t in enumerate(tokens)}
    return BearerAuth(app, identities)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--log-level', default='warning')
    parser.add_argument(
        '--token',
        action='append',
        default=[],
        help='require this bearer token (repeat: one identity each)',
    )
    parser.add_argument(
        '--no-streaming',
        action='store_true',
        help='declare capabilities.streaming false (CAP-001)',
    )
    parser.add_argument(
        '--no-push',
        action='store_true',
        help='declare capabilities.pushNotifications false (CAP-002)',
    )
    parser.add_argument(
        '--required-extension',
        metavar='URI',
        help='declare an extension with required: true (CAP-004, EXT-*)',
    )
    ns = parser.parse_args()

    logging.basicConfig(level=ns.log_level.upper())
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', ns.port))
    port = sock.getsockname()[1]
    base = f'http://127.0.0.1:{port}'
    print(f'LISTENING {port}', flush=True)

    config = uvicorn.Config(
        build_app(
            base,
            ns.token,
            not ns.no_streaming,
            not ns.no_push,
            ns.required_extension,
        ),
        log_level=ns.log_level,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0


if __name__ == '__main__':
    sys.exit(main())
