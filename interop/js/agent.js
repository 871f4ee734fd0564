// The Gauntlet test agent (fixtures/test-agent.md), built on the official A2A
// JavaScript SDK's own server API (@a2a-js/sdk, pinned in package-lock.json).
//
// It serves, on 127.0.0.1 only:
//
// * the agent card at /.well-known/agent-card.json (agentCardHandler);
// * the JSON-RPC binding at /jsonrpc (jsonRpcHandler);
// * the HTTP+JSON (REST) binding at the server root (restHandler: /message:send, ...).
//
// Everything protocol-related is the SDK's: the Express handlers, the
// DefaultRequestHandler, the task store, the event bus and the push machinery.
// This file supplies only the agent logic (an AgentExecutor), the card and the
// authentication middleware (which the SDK leaves to the application), so a
// verdict against this server is a verdict against the SDK.
//
// With --token T (repeatable) every A2A route requires `Authorization: Bearer
// T`; each token is one identity, which the SDK's stores use to scope tasks and
// push configs to their owner. The card then declares an HTTP bearer scheme and
// an extended card (served by the SDK to authenticated callers).
//
// Usage: node agent.js --port 0 [--token T1 --token T2] [--no-streaming]
//        [--no-push] [--required-extension URI]
// (--port 0 picks a free port; the chosen one is printed as `LISTENING <port>`).

import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

import express from 'express';
import { A2A_PROTOCOL_VERSION, AGENT_CARD_PATH, AgentCard, Role, TaskState } from '@a2a-js/sdk';
import {
  AgentEvent,
  DefaultPushNotificationSender,
  DefaultRequestHandler,
  InMemoryPushNotificationStore,
  InMemoryTaskStore,
} from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, restHandler } from '@a2a-js/sdk/server/express';

const SKILL_ID = 'gauntlet-test-agent';
const MAX_N = 100_000;
const MAX_MS = 60_000;
const TERMINAL = new Set([
  TaskState.TASK_STATE_COMPLETED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_CANCELED,
  TaskState.TASK_STATE_REJECTED,
]);
const INTERRUPTED = new Set([TaskState.TASK_STATE_INPUT_REQUIRED, TaskState.TASK_STATE_AUTH_REQUIRED]);

// ---------------------------------------------------------------------------
// Parts (the SDK's in-memory shape: a `content` oneof with `$case`)
// ---------------------------------------------------------------------------

const part = (content, extra = {}) => ({
  content,
  metadata: undefined,
  filename: '',
  mediaType: '',
  ...extra,
});
const textPart = (text) => part({ $case: 'text', value: text });
const dataPart = (value) => part({ $case: 'data', value });
const rawPart = (bytes, mediaType, filename) =>
  part({ $case: 'raw', value: Buffer.from(bytes) }, { mediaType, filename });
const urlPart = (url, mediaType, filename = '') => part({ $case: 'url', value: url }, { mediaType, filename });

// ---------------------------------------------------------------------------
// The official TCK's scenarios, chosen by messageId prefix (test-agent.md §6)
// ---------------------------------------------------------------------------

const TCK_ARTIFACTS = {
  'tck-artifact-text': () => textPart('Generated text content'),
  'tck-artifact-file': () => rawPart('tck', 'text/plain', 'output.txt'),
  'tck-artifact-file-url': () => urlPart('https://example.com/output.txt', 'text/plain', 'output.txt'),
  'tck-artifact-data': () => dataPart({ key: 'value', count: 42 }),
};
const TCK_STREAM_TEXT = {
  'tck-stream-001': 'Stream hello from TCK',
  'tck-stream-003': 'Stream task lifecycle',
  'tck-stream-ordering-001': 'Ordered output',
  'tck-stream-artifact-text': 'Streamed text content',
};
const TCK_PREFIXES = [
  'tck-complete-task',
  'tck-input-required',
  'tck-reject-task',
  'tck-message-response',
  ...Object.keys(TCK_ARTIFACTS),
  'tck-stream-002',
  ...Object.keys(TCK_STREAM_TEXT),
  'tck-stream-artifact-file',
  'tck-stream-artifact-chunked',
  'test-resubscribe-message-id',
].sort((a, b) => b.length - a.length);

/** The longest TCK scenario prefix of `messageId`, if any. */
const tckPrefix = (messageId) => TCK_PREFIXES.find((p) => (messageId ?? '').startsWith(p));

// ---------------------------------------------------------------------------
// Command parsing (fixtures/test-agent.md §2)
// ---------------------------------------------------------------------------

/** The text of the first part that has `text`, or undefined. */
function firstText(message) {
  for (const p of message?.parts ?? []) {
    if (p.content?.$case === 'text') return p.content.value;
  }
  return undefined;
}

/** [command, argument words, rest of the text after the first word]. */
function parseCommand(text) {
  const stripped = (text ?? '').trim();
  const words = stripped.split(/\s+/).filter(Boolean);
  if (words.length === 0) return ['echo', [], ''];
  return [words[0].toLowerCase(), words.slice(1), stripped.slice(words[0].length).trim()];
}

/** Argument `i` as an integer: missing or non-numeric gives `def`, negative
 * counts as 0, above `limit` is clamped (also past 2^64). */
function intArg(args, i, def, limit) {
  const word = args[i];
  if (word === undefined || !/^[+-]?\d+$/.test(word)) return def;
  return Number(BigInt(word) < 0n ? 0n : BigInt(word) > BigInt(limit) ? BigInt(limit) : BigInt(word));
}

/** The media type a part is delivered as (explicit, else by its kind). */
function partMediaType(p) {
  if (p.mediaType) return p.mediaType;
  switch (p.content?.$case) {
    case 'text':
      return 'text/plain';
    case 'data':
      return 'application/json';
    default:
      return 'application/octet-stream';
  }
}

/** Whether `mediaType` matches one of `accepted` (type/* and * / * patterns,
 * parameters ignored). The SDK hands acceptedOutputModes to the agent and
 * leaves honouring it to the agent. */
function accepts(accepted, mediaType) {
  const kind = mediaType.split(';', 1)[0].trim().toLowerCase();
  return accepted.some((pattern) => {
    const want = pattern.split(';', 1)[0].trim().toLowerCase();
    return want === '*/*' || want === kind || (want.endsWith('/*') && kind.startsWith(want.slice(0, -1)));
  });
}

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

// ---------------------------------------------------------------------------
// The agent
// ---------------------------------------------------------------------------

/** Publishes one task's events on the SDK's event bus. After a cancel it
 * publishes nothing more (test-agent.md §3: "after CANCELED no further event"). */
class Updater {
  constructor(bus, taskId, contextId, accepted, signal) {
    Object.assign(this, { bus, taskId, contextId, accepted, signal });
  }

  agentMessage(text) {
    return {
      messageId: randomUUID(),
      contextId: this.contextId,
      taskId: this.taskId,
      role: Role.ROLE_AGENT,
      parts: [textPart(text)],
      metadata: undefined,
      extensions: [],
      referenceTaskIds: [],
    };
  }

  status(state, text) {
    if (this.signal.aborted) return;
    this.lastState = state;
    this.bus.publish(
      AgentEvent.statusUpdate({
        taskId: this.taskId,
        contextId: this.contextId,
        status: {
          state,
          message: text === undefined ? undefined : this.agentMessage(text),
          timestamp: new Date().toISOString(),
        },
        metadata: undefined,
      }),
    );
  }

  artifact(parts, { artifactId = randomUUID(), name = '', append = false, lastChunk = false } = {}) {
    if (this.signal.aborted) return;
    if (this.accepted.length > 0) {
      parts = parts.filter((p) => accepts(this.accepted, partMediaType(p)));
      if (parts.length === 0) return;
    }
    this.bus.publish(
      AgentEvent.artifactUpdate({
        taskId: this.taskId,
        contextId: this.contextId,
        artifact: { artifactId, name, description: '', parts, metadata: undefined, extensions: [] },
        append,
        lastChunk,
        metadata: undefined,
      }),
    );
  }

  echo(text) {
    this.artifact([textPart(`echo: ${text}`)], { artifactId: 'echo', name: 'echo', lastChunk: true });
  }
}

class GauntletTestAgent {
  // taskId -> { contextId, abort: AbortController, done: Promise | undefined }
  // for every task that is running or interrupted; the entry goes once the
  // task is terminal.
  tasks = new Map();

  execute = async (ctx, bus) => {
    const message = ctx.userMessage;
    const current = ctx.task;
    const taskId = ctx.taskId;
    const contextId = current?.contextId || ctx.contextId;
    const tck = tckPrefix(message.messageId);
    const text = firstText(message);
    // The agent implements every extension its card declares (they have no
    // behaviour of their own), so each one the client requested is activated;
    // the SDK has already dropped those the card does not declare, and echoes
    // the activated ones in the A2A-Extensions response header.
    for (const uri of ctx.context.requestedExtensions ?? []) ctx.context.addActivatedExtension(uri);

    // A follow-up on a busy task (SUBMITTED or WORKING): the SDK already
    // appended the message to history; nothing else starts. The call waits
    // for the running execution, on the same event bus.
    const entry = this.tasks.get(taskId);
    if (current && !INTERRUPTED.has(current.status?.state) && entry?.done) {
      await entry.done;
      return;
    }

    const abort = entry?.abort ?? new AbortController();
    let finish;
    const done = new Promise((resolve) => (finish = resolve));
    this.tasks.set(taskId, { contextId, abort, done });
    const u = new Updater(bus, taskId, contextId, ctx.request.configuration?.acceptedOutputModes ?? [], abort.signal);
    try {
      await this.#run(ctx, bus, u, { message, current, tck, text });
    } finally {
      finish();
      if (this.tasks.get(taskId)?.done === done) {
        // An interrupted task stays known (for CancelTask and the follow-up);
        // any other is finished.
        if (!abort.signal.aborted && INTERRUPTED.has(u.lastState)) this.tasks.get(taskId).done = undefined;
        else this.tasks.delete(taskId);
      }
    }
  };

  async #run(ctx, bus, u, { message, current, tck, text }) {
    const followUp = current !== undefined && INTERRUPTED.has(current.status?.state);

    // A follow-up on a task that asked for input or auth: the SDK requires a
    // Task as the first event of every call, then one WORKING, then the TCK
    // scenario it names, else an echo of whatever the client sent.
    if (followUp) {
      bus.publish(AgentEvent.task(current));
      u.status(TaskState.TASK_STATE_WORKING);
      if (tck && tck !== 'tck-message-response') {
        await this.#tck(tck, u, true);
      } else {
        u.echo(text ?? '');
        u.status(TaskState.TASK_STATE_COMPLETED);
      }
      return;
    }

    const [command, args, rest] = parseCommand(text);
    if (tck === 'tck-message-response' || (command === 'message' && !tck)) {
      // No task at all: one Message, and nothing else.
      bus.publish(
        AgentEvent.message({
          messageId: randomUUID(),
          contextId: u.contextId,
          taskId: '',
          role: Role.ROLE_AGENT,
          parts: [textPart(tck ? 'Direct message response' : `message: ${rest}`)],
          metadata: undefined,
          extensions: [],
          referenceTaskIds: [],
        }),
      );
      return;
    }

    // Every other command tracks its work in a Task, published first.
    bus.publish(
      AgentEvent.task(
        current ?? {
          id: u.taskId,
          contextId: u.contextId,
          status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() },
          artifacts: [],
          history: [message],
          metadata: undefined,
        },
      ),
    );

    if (tck) {
      await this.#tck(tck, u, false);
      return;
    }

    if (command === 'reject') {
      u.status(TaskState.TASK_STATE_REJECTED, 'rejected as asked');
      return;
    }
    u.status(TaskState.TASK_STATE_WORKING);
    switch (command) {
      case 'stream': {
        const n = intArg(args, 0, 1, MAX_N);
        const ms = intArg(args, 1, 0, MAX_MS);
        for (let i = 0; i < n && !u.signal.aborted; i++) {
          // MS 0 still yields to the event loop, so readers keep up.
          if (i > 0) await (ms > 0 ? sleep(ms, u.signal) : new Promise((r) => setImmediate(r)));
          u.artifact([dataPart({ seq: i, of: n })], {
            artifactId: 'stream',
            append: i > 0,
            lastChunk: i === n - 1,
          });
        }
        u.status(TaskState.TASK_STATE_COMPLETED);
        break;
      }
      case 'slow':
        await sleep(intArg(args, 0, 1000, MAX_MS), u.signal);
        u.echo(text ?? '');
        u.status(TaskState.TASK_STATE_COMPLETED);
        break;
      case 'hang':
        // Stays WORKING until CancelTask (cancelTask below aborts the wait).
        while (!u.signal.aborted) await sleep(2 ** 31 - 1, u.signal);
        break;
      case 'input-required':
        u.status(TaskState.TASK_STATE_INPUT_REQUIRED, 'input required');
        break;
      case 'auth-required':
        u.status(TaskState.TASK_STATE_AUTH_REQUIRED, 'auth required');
        break;
      case 'fail':
        u.status(TaskState.TASK_STATE_FAILED, 'failed as asked');
        break;
      case 'parts':
        u.artifact(
          [
            textPart('t'),
            rawPart('gauntlet', 'application/octet-stream', 'g.bin'),
            urlPart('https://example.com/g.txt', 'text/plain'),
            dataPart({ k: 'v' }),
          ],
          { artifactId: 'parts', name: 'parts', lastChunk: true },
        );
        u.status(TaskState.TASK_STATE_COMPLETED);
        break;
      default:
        u.echo(text ?? '');
        u.status(TaskState.TASK_STATE_COMPLETED);
    }
  }

  /** The official TCK's SUT scenarios (test-agent.md §6). On a follow-up
   * the WORKING step was already emitted. */
  async #tck(prefix, u, followUp) {
    const working = () => followUp || u.status(TaskState.TASK_STATE_WORKING);
    const single = (p) => u.artifact([p], { lastChunk: true });
    if (prefix === 'tck-complete-task') {
      u.status(TaskState.TASK_STATE_COMPLETED, 'Hello from TCK');
    } else if (prefix === 'tck-input-required') {
      u.status(TaskState.TASK_STATE_INPUT_REQUIRED);
    } else if (prefix === 'tck-reject-task') {
      u.status(TaskState.TASK_STATE_REJECTED, 'rejected');
    } else if (prefix in TCK_ARTIFACTS) {
      single(TCK_ARTIFACTS[prefix]());
      u.status(TaskState.TASK_STATE_COMPLETED);
    } else if (prefix === 'tck-stream-002') {
      u.status(TaskState.TASK_STATE_COMPLETED);
    } else if (prefix in TCK_STREAM_TEXT) {
      working();
      single(textPart(TCK_STREAM_TEXT[prefix]));
      u.status(TaskState.TASK_STATE_COMPLETED);
    } else if (prefix === 'tck-stream-artifact-file') {
      working();
      single(TCK_ARTIFACTS['tck-artifact-file']());
      u.status(TaskState.TASK_STATE_COMPLETED);
    } else if (prefix === 'tck-stream-artifact-chunked') {
      working();
      const artifactId = randomUUID();
      u.artifact([textPart('chunk-1 ')], { artifactId });
      u.artifact([textPart('chunk-2')], { artifactId, append: true, lastChunk: true });
      u.status(TaskState.TASK_STATE_COMPLETED);
    } else if (prefix === 'test-resubscribe-message-id') {
      working();
      await sleep(4000, u.signal);
      u.status(TaskState.TASK_STATE_COMPLETED);
    }
  }

  // Called by the SDK's CancelTask while the task's event bus is alive: the
  // agent publishes CANCELED itself, and the running execution stops.
  cancelTask = async (taskId, bus) => {
    const entry = this.tasks.get(taskId);
    if (!entry) return;
    bus.publish(
      AgentEvent.statusUpdate({
        taskId,
        contextId: entry.contextId,
        status: { state: TaskState.TASK_STATE_CANCELED, message: undefined, timestamp: new Date().toISOString() },
        metadata: undefined,
      }),
    );
    entry.abort.abort();
    if (!entry.done) this.tasks.delete(taskId);
  };
}

// ---------------------------------------------------------------------------
// Card and app
// ---------------------------------------------------------------------------

function buildCard(base, { secured, streaming, push, requiredExtension }) {
  // The card is written in ProtoJSON and parsed by the SDK's own generated
  // codec, so every field the SDK knows gets its in-memory default.
  const modes = ['text/plain', 'application/json', 'application/octet-stream'];
  const json = {
    name: 'Gauntlet test agent (@a2a-js/sdk)',
    description: 'The Gauntlet scripted test agent, served by the official A2A JavaScript SDK.',
    version: '1.0.0',
    supportedInterfaces: [
      { url: `${base}/jsonrpc`, protocolBinding: 'JSONRPC', protocolVersion: A2A_PROTOCOL_VERSION },
      { url: base, protocolBinding: 'HTTP+JSON', protocolVersion: A2A_PROTOCOL_VERSION },
    ],
    capabilities: { streaming, pushNotifications: push, extensions: [] },
    defaultInputModes: modes,
    defaultOutputModes: modes,
    skills: [
      {
        id: SKILL_ID,
        name: 'Gauntlet test agent',
        description:
          'Scripted behaviours driven by the first word of the message: echo, message, ' +
          'stream N [MS], slow MS, hang, input-required, auth-required, fail, reject, parts.',
        tags: ['test', 'conformance'],
        examples: ['echo hello', 'stream 5 10', 'hang'],
      },
    ],
  };
  if (requiredExtension) {
    json.capabilities.extensions.push({
      uri: requiredExtension,
      description: 'declared required; the SDK refuses requests that do not activate it',
      required: true,
    });
  }
  if (secured) {
    json.capabilities.extendedAgentCard = true;
    json.securitySchemes = {
      bearer: { httpAuthSecurityScheme: { scheme: 'Bearer', description: 'one token per identity' } },
    };
    json.securityRequirements = [{ schemes: { bearer: { list: [] } } }];
  }
  return AgentCard.fromJSON(json);
}

/** Express middleware: every route but the public card needs a known bearer
 * token; anything else gets 401 with a Bearer challenge. The identity it
 * finds is what the SDK's stores scope tasks by (see `userBuilder`). */
function bearerAuth(identities) {
  return (req, res, next) => {
    if (req.path === `/${AGENT_CARD_PATH}`) return next();
    const [scheme, credentials] = (req.header('authorization') ?? '').split(/\s+/, 2);
    const identity = scheme?.toLowerCase() === 'bearer' ? identities.get(credentials ?? '') : undefined;
    if (identity === undefined) {
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer realm="a2a"')
        .json({ error: { code: 401, status: 'UNAUTHENTICATED', message: 'a valid bearer token is required' } });
      return;
    }
    req.gauntletUser = identity;
    next();
  };
}

function buildApp(base, opts) {
  const card = buildCard(base, { ...opts, secured: opts.tokens.length > 0 });
  const extended = opts.tokens.length > 0 ? { ...card, description: `${card.description} (extended card, for authenticated callers)` } : undefined;
  const pushStore = new InMemoryPushNotificationStore();
  // The SDK's sender POSTs with the global fetch, which never uses a proxy
  // from the environment; it has no URL screening, so the suite's webhook on
  // loopback is reachable.
  const pushSender = new DefaultPushNotificationSender(pushStore);
  const handler = new DefaultRequestHandler(
    card,
    new InMemoryTaskStore(),
    new GauntletTestAgent(),
    undefined, // the default in-process event bus manager
    pushStore,
    pushSender,
    extended,
    undefined, // no card signing
    { validateInputModes: true },
  );

  const userBuilder = async (req) =>
    req.gauntletUser === undefined
      ? { isAuthenticated: false, userName: '' }
      : { isAuthenticated: true, userName: req.gauntletUser };

  const app = express();
  app.disable('x-powered-by');
  if (opts.tokens.length > 0) {
    app.use(bearerAuth(new Map(opts.tokens.map((t, i) => [t, `user-${i + 1}`]))));
  }
  app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: handler, cache: { maxAge: 60 } }));
  app.use('/jsonrpc', jsonRpcHandler({ requestHandler: handler, userBuilder }));
  app.use('/', restHandler({ requestHandler: handler, userBuilder }));
  return app;
}

function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      token: { type: 'string', multiple: true, default: [] },
      'no-streaming': { type: 'boolean', default: false },
      'no-push': { type: 'boolean', default: false },
      'required-extension': { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  if (values.quiet) {
    // The SDK logs every push delivery and handled error with console.*.
    console.info = console.log = console.warn = console.error = () => {};
  }
  const server = http.createServer();
  server.listen(Number(values.port), '127.0.0.1', () => {
    const { port } = server.address();
    const app = buildApp(`http://127.0.0.1:${port}`, {
      tokens: values.token,
      streaming: !values['no-streaming'],
      push: !values['no-push'],
      requiredExtension: values['required-extension'],
    });
    server.on('request', app);
    process.stdout.write(`LISTENING ${port}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
