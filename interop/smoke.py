"""Smoke test of the interop agent: one call per scripted command, over both
bindings, plus a push delivery to a loopback webhook.

This is not a conformance judgement (that is `gauntlet check`); it only proves
the agent honours fixtures/test-agent.md well enough for the suite to drive it.
Usage: ``python smoke.py http://127.0.0.1:PORT [TOKEN]`` (TOKEN: a bearer token
the agent was started with). Exit 0 when every check holds.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid

from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx


HEADERS = {'A2A-Version': '1.0', 'Content-Type': 'application/json'}
FAILURES: list[str] = []


def check(cond: bool, what: str, seen: object = None) -> None:
    print(('ok   ' if cond else 'FAIL ') + what, flush=True)
    if not cond:
        FAILURES.append(what)
        if seen is not None:
            print(f'     seen: {json.dumps(seen)[:600]}', flush=True)


def user_message(text: str, **extra: str) -> dict:
    return {
        'messageId': str(uuid.uuid4()),
        'role': 'ROLE_USER',
        'parts': [{'text': text}],
        **extra,
    }


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(timeout=20, trust_env=False)
        self.rpc_id = 0

    def rpc(self, method: str, params: dict) -> dict:
        self.rpc_id += 1
        r = self.http.post(
            f'{self.base}/jsonrpc',
            headers=HEADERS,
            json={
                'jsonrpc': '2.0',
                'id': self.rpc_id,
                'method': method,
                'params': params,
            },
        )
        return r.json()

    def rpc_stream(self, method: str, params: dict) -> list[dict]:
        self.rpc_id += 1
        body = {
            'jsonrpc': '2.0',
            'id': self.rpc_id,
            'method': method,
            'params': params,
        }
        events = []
        with self.http.stream(
            'POST', f'{self.base}/jsonrpc', headers=HEADERS, json=body
        ) as r:
            for line in r.iter_lines():
                if line.startswith('data:'):
                    events.append(json.loads(line[5:]))
        return events

    def rest_stream(self, path: str, body: dict | None) -> list[dict]:
        events = []
        with self.http.stream(
            'POST', f'{self.base}{path}', headers=HEADERS, json=body
        ) as r:
            for line in r.iter_lines():
                if line.startswith('data:'):
                    events.append(json.loads(line[5:]))
        return events


class Hook(BaseHTTPRequestHandler):
    received: list[tuple[dict, dict]] = []

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get('content-length', '0'))
        body = json.loads(self.rfile.read(length) or b'{}')
        Hook.received.append((dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def state_of(resp: dict) -> str | None:
    return resp.get('result', {}).get('task', {}).get('status', {}).get('state')


def main(base: str) -> int:
    c = Client(base)

    card = c.http.get(
        f'{base}/.well-known/agent-card.json', headers={'A2A-Version': '1.0'}
    ).json()
    check(
        any(s.get('id') == 'gauntlet-test-agent' for s in card.get('skills', [])),
        'card advertises gauntlet-test-agent',
        card,
    )

    r = c.rpc('SendMessage', {'message': user_message('echo hi')})
    task = r.get('result', {}).get('task', {})
    check(
        state_of(r) == 'TASK_STATE_COMPLETED'
        and task.get('artifacts', [{}])[0].get('parts') == [{'text': 'echo: echo hi'}],
        'echo completes with the echo artifact',
        r,
    )

    r = c.rpc('SendMessage', {'message': user_message('message hello')})
    check(
        r.get('result', {}).get('message', {}).get('parts')
        == [{'text': 'message: hello'}],
        'message answers with a Message',
        r,
    )

    ev = c.rpc_stream('SendStreamingMessage', {'message': user_message('stream 5 10')})
    kinds = [next(iter(e.get('result', {'error': 0}))) for e in ev]
    check(
        kinds[:1] == ['task'] and kinds.count('artifactUpdate') == 5 and len(ev) == 8,
        'stream 5 gives task, working, 5 chunks, completed',
        kinds,
    )
    tid = ev[0]['result']['task']['id']
    got = c.rpc('GetTask', {'id': tid})['result']
    seqs = [p['data']['seq'] for p in got['artifacts'][0]['parts']]
    check(seqs == [0, 1, 2, 3, 4], 'GetTask shows the 5 chunks in order', seqs)

    ev = c.rpc_stream('SendStreamingMessage', {'message': user_message('stream')})
    kinds = [next(iter(e.get('result', {'error': 0}))) for e in ev]
    check(kinds.count('artifactUpdate') == 1, '`stream` alone streams one chunk', kinds)

    m = user_message('anything')
    m['messageId'] = f'tck-artifact-data-{uuid.uuid4()}'
    r = c.rpc('SendMessage', {'message': m})
    arts = r.get('result', {}).get('task', {}).get('artifacts', [])
    check(
        state_of(r) == 'TASK_STATE_COMPLETED'
        and arts[:1] and arts[0]['parts'] == [{'data': {'key': 'value', 'count': 42.0}}],
        'TCK prefix tck-artifact-data',
        r,
    )
    m = user_message('anything')
    m['messageId'] = f'tck-stream-artifact-chunked-{uuid.uuid4()}'
    ev = c.rpc_stream('SendStreamingMessage', {'message': m})
    tid = ev[0]['result']['task']['id'] if ev else ''
    got = c.rpc('GetTask', {'id': tid}).get('result', {})
    check(
        [p['text'] for a in got.get('artifacts', []) for p in a['parts']]
        == ['chunk-1 ', 'chunk-2'],
        'TCK prefix tck-stream-artifact-chunked reassembles into one artifact',
        got,
    )

    r = c.rpc('SendMessage', {'message': user_message('input-required')})
    check(state_of(r) == 'TASK_STATE_INPUT_REQUIRED', 'input-required', r)
    tid = r['result']['task']['id']
    r = c.rpc('SendMessage', {'message': user_message('more', taskId=tid)})
    task = r.get('result', {}).get('task', {})
    check(
        state_of(r) == 'TASK_STATE_COMPLETED'
        and task.get('artifacts', [{}])[0].get('parts') == [{'text': 'echo: more'}],
        'input-required then a follow-up completes with echo: T',
        r,
    )

    r = c.rpc('SendMessage', {'message': user_message('auth-required')})
    check(state_of(r) == 'TASK_STATE_AUTH_REQUIRED', 'auth-required', r)

    r = c.rpc('SendMessage', {'message': user_message('fail')})
    check(state_of(r) == 'TASK_STATE_FAILED', 'fail', r)

    r = c.rpc('SendMessage', {'message': user_message('reject')})
    check(state_of(r) == 'TASK_STATE_REJECTED', 'reject', r)

    t0 = time.monotonic()
    r = c.rpc('SendMessage', {'message': user_message('slow 300')})
    check(
        state_of(r) == 'TASK_STATE_COMPLETED' and time.monotonic() - t0 >= 0.3,
        'slow 300 blocks about 300 ms',
        r,
    )

    r = c.rpc(
        'SendMessage',
        {
            'message': user_message('hang'),
            'configuration': {'returnImmediately': True},
        },
    )
    tid = r.get('result', {}).get('task', {}).get('id', '')
    time.sleep(0.2)
    got = c.rpc('GetTask', {'id': tid})
    check(
        got.get('result', {}).get('status', {}).get('state') == 'TASK_STATE_WORKING',
        'hang stays WORKING',
        got,
    )
    r = c.rpc('CancelTask', {'id': tid})
    check(
        r.get('result', {}).get('status', {}).get('state') == 'TASK_STATE_CANCELED',
        'CancelTask on hang gives CANCELED',
        r,
    )

    ev = c.rest_stream('/message:stream', {'message': user_message('parts')})
    arts = [e['artifactUpdate'] for e in ev if 'artifactUpdate' in e]
    check(
        len(arts) == 1 and len(arts[0]['artifact']['parts']) == 4,
        'parts over REST streaming gives one artifact with four parts',
        ev,
    )

    r = c.rpc(
        'SendMessage',
        {
            'message': user_message('parts'),
            'configuration': {'acceptedOutputModes': ['text/plain']},
        },
    )
    kept = [
        p
        for a in r.get('result', {}).get('task', {}).get('artifacts', [])
        for p in a['parts']
    ]
    check(
        len(kept) == 2 and all('raw' not in p and 'data' not in p for p in kept),
        'parts with acceptedOutputModes [text/plain] keeps only text/plain parts',
        r,
    )

    # Push: a webhook on loopback must receive the terminal state.
    hook = HTTPServer(('127.0.0.1', 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    url = f'http://127.0.0.1:{hook.server_port}/hook'
    r = c.rpc(
        'SendMessage',
        {
            'message': user_message('slow 200'),
            'configuration': {
                'returnImmediately': True,
                'taskPushNotificationConfig': {
                    'url': url,
                    'token': 'tok',
                    'authentication': {'scheme': 'Bearer', 'credentials': 'sekrit'},
                },
            },
        },
    )
    deadline = time.monotonic() + 5
    done = False
    while time.monotonic() < deadline and not done:
        done = any(
            b.get('statusUpdate', {}).get('status', {}).get('state')
            == 'TASK_STATE_COMPLETED'
            for _, b in Hook.received
        )
        time.sleep(0.05)
    check(done, 'push delivers the terminal state to a loopback webhook', Hook.received)
    auth = [h.get('Authorization') for h, _ in Hook.received]
    check(
        bool(auth) and all(a == 'Bearer sekrit' for a in auth),
        'push sends Authorization: Bearer sekrit',
        auth,
    )
    hook.shutdown()

    if 'Authorization' in HEADERS:
        r = c.http.post(
            f'{base}/jsonrpc',
            headers={k: v for k, v in HEADERS.items() if k != 'Authorization'},
            json={'jsonrpc': '2.0', 'id': 1, 'method': 'GetTask', 'params': {'id': 'x'}},
        )
        check(r.status_code == 401, 'a call without the token is refused with 401', r.text)
        r = c.rpc('GetExtendedAgentCard', {})
        check('result' in r, 'the extended card is served to an authenticated caller', r)

    print(f'{len(FAILURES)} failed', flush=True)
    return 1 if FAILURES else 0


if __name__ == '__main__':
    if len(sys.argv) > 2 and sys.argv[2]:
        HEADERS['Authorization'] = f'Bearer {sys.argv[2]}'
    sys.exit(main(sys.argv[1].rstrip('/')))
