import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { SluiceClient } from '../src/sluice-client.js';
import { FakeClock } from './support/fake-clock.js';
import { FakeGateway, settle, until } from './support/fake-gateway.js';

const CONNECTED = 'retry: 3000\nevent: connected\ndata: {"connectionId":"c1","topics":["deploys","broadcast"]}\n\n';

/** A live event as the gateway writes it (CONTRACT §2). */
function frame(id, type, data) {
  const lines = String(data).split('\n').map((line) => `data: ${line}\n`).join('');
  return `id: ${id}\n${type === 'message' ? '' : `event: ${type}\n`}${lines}\n`;
}

/**
 * A client on a fake gateway and a fake clock, with a `*` handler and a status listener registered right after
 * `new`, as an application would. Math.random is pinned to 0.5 so backoff waits are exact.
 */
function start(t, options = {}) {
  const clock = new FakeClock().install();
  t.after(() => clock.uninstall());
  t.mock.method(Math, 'random', () => 0.5);
  const gateway = new FakeGateway();
  const client = new SluiceClient({ url: 'https://gw.test/', topics: ['deploys'], fetch: gateway.fetch, ...options });
  t.after(() => client.close());
  const seen = [];
  const statuses = [];
  client.on('*', (data, event) => seen.push({ data, ...event }));
  client.onStatus((status, detail) => statuses.push({ status, ...detail }));
  return { clock, gateway, client, seen, statuses };
}

/** Opens request n with `connected` and waits until the client is open. */
async function openStream(gateway, client, n) {
  const request = await gateway.request(n);
  request.openStream().write(CONNECTED);
  await until(() => client.status === 'open', 'status open');
  return request;
}

describe('SluiceClient: the request', () => {
  it('asks for the stream with topics, types and limit, Accept and the cookie when it has no token', async (t) => {
    const { gateway } = start(t, { topics: ['deploys', 'user/alice'], types: ['deployment:*', 'alert:*'], limit: 10 });
    const request = await gateway.request(0);
    assert.equal(request.path, '/v1/events/stream');
    assert.deepEqual(request.query.getAll('topic'), ['deploys', 'user/alice']);
    assert.equal(request.query.get('types'), 'deployment:*,alert:*');
    assert.equal(request.query.get('limit'), '10');
    assert.equal(request.headers.get('Accept'), 'text/event-stream');
    assert.equal(request.headers.get('Authorization'), null);
    assert.equal(request.headers.get('Last-Event-ID'), null);
    assert.equal(request.credentials, 'include');
  });

  it('connects after the constructor returns, so handlers registered right after `new` miss nothing', async (t) => {
    const { gateway, client, seen, statuses } = start(t);
    assert.equal(gateway.requests.length, 0, 'nothing sent during the constructor');
    await openStream(gateway, client, 0);
    assert.deepEqual(statuses.map((s) => s.status), ['connecting', 'open']);
    (await gateway.request(0)).write(frame('1', 'message', 'first'));
    await until(() => seen.length === 1);
    assert.deepEqual(seen, [{ data: 'first', id: '1', type: 'message' }]);
  });

  it('sends nothing at all when closed before its first connect', async (t) => {
    const { gateway, client, statuses } = start(t);
    client.close();
    await settle();
    assert.equal(gateway.requests.length, 0);
    assert.deepEqual(statuses.map((s) => s.status), ['closed']);
  });

  it('rejects options it cannot use, at construction', () => {
    assert.throws(() => new SluiceClient({ url: 'https://gw.test' }), /topics/);
    assert.throws(() => new SluiceClient({ topics: [] }), /topics/);
    assert.throws(() => new SluiceClient({ topics: ['a'], limit: -1 }), /limit/);
    assert.throws(() => new SluiceClient({ topics: ['a'], token: 42 }), /token/);
  });
});

describe('SluiceClient: events', () => {
  it('hands handlers the data parsed as JSON when it parses, else the text', async (t) => {
    const { gateway, client, seen } = start(t);
    const request = await openStream(gateway, client, 0);
    request.write(frame('1', 'deployment:completed', '{"service":"api","version":"1.4.2"}'));
    request.write(frame('2', 'alert:raised', 'disk 91% on db-2'));
    request.write(frame('3', 'message', 'line one\nline two'));
    request.write(frame('4', 'progress', '42'));
    await until(() => seen.length === 4);
    assert.deepEqual(seen, [
      { data: { service: 'api', version: '1.4.2' }, id: '1', type: 'deployment:completed' },
      { data: 'disk 91% on db-2', id: '2', type: 'alert:raised' },
      { data: 'line one\nline two', id: '3', type: 'message' },
      { data: 42, id: '4', type: 'progress' },
    ]);
  });

  it('routes by glob; control events reach only handlers that name them; `on` returns its own removal', async (t) => {
    const { gateway, client, seen } = start(t);
    const deployments = [];
    const control = [];
    const offDeployments = client.on('deployment:*', (data, event) => deployments.push(event.type));
    client.on('connected', (data, event) => control.push([event.type, event.id, data.connectionId]));
    client.on('presence:join', (data) => control.push(['join', data.user]));
    const request = await openStream(gateway, client, 0);
    request.write(frame('1', 'deployment:started', '{}'));
    request.write('event: presence:join\ndata: {"topic":"deploys","user":"alice"}\n\n');
    await until(() => seen.length === 2);
    offDeployments();
    request.write(frame('2', 'deployment:completed', '{}'));
    await until(() => seen.length === 3);
    assert.deepEqual(deployments, ['deployment:started']);
    assert.deepEqual(control, [['connected', null, 'c1'], ['join', 'alice']]);
    assert.deepEqual(seen.map((e) => e.type), ['deployment:started', 'presence:join', 'deployment:completed'],
      '`*` got data and presence events but not `connected`');
  });

  it('keeps going when a handler throws', async (t) => {
    const { gateway, client, seen } = start(t);
    t.mock.method(console, 'error', () => {});
    client.on('*', () => {
      throw new Error('a broken handler');
    });
    const later = [];
    client.on('*', (data) => later.push(data));
    const request = await openStream(gateway, client, 0);
    request.write(frame('1', 'message', 'a')).write(frame('2', 'message', 'b'));
    await until(() => later.length === 2);
    assert.deepEqual(seen.map((e) => e.data), ['a', 'b']);
  });
});

describe('SluiceClient: reconnecting', () => {
  it('resumes with Last-Event-ID after the gateway’s retry:, without limit and without system events moving the id', async (t) => {
    const { gateway, client, clock, statuses } = start(t, { limit: 5 });
    const first = await openStream(gateway, client, 0);
    first.write(frame('41', 'message', 'a')).write(frame('42', 'message', 'b'));
    first.write('event: presence:leave\ndata: {"topic":"deploys","user":"bob"}\n\n');
    await until(() => client.lastEventId === '42');
    first.end();
    await until(() => client.status === 'reconnecting');
    assert.deepEqual(statuses.at(-1), { status: 'reconnecting', delay: 3000, cause: 'ended' });
    clock.advance(2999);
    assert.equal(gateway.requests.length, 1, 'not before retry: has passed');
    clock.advance(1);
    const second = await gateway.request(1);
    assert.equal(second.headers.get('Last-Event-ID'), '42');
    assert.equal(second.query.get('limit'), null, 'limit belongs to the first connect only');
    assert.ok(!second.url.includes('42'), 'the id travels in the header');
  });

  it('backs off with full jitter while attempts fail, and starts over after a healthy stream', async (t) => {
    const { gateway, client, clock } = start(t);
    const waits = [];
    for (let n = 0; n < 4; n++) {
      (await gateway.request(n)).failNetwork();
      await until(() => clock.pending === 1, `wait after failure ${n}`);
      waits.push(clock.pendingDelays[0]);
      clock.advance(clock.pendingDelays[0]);
    }
    assert.deepEqual(waits, [500, 1000, 2000, 4000], 'half of 1, 2, 4, 8 s with Math.random at 0.5');
    const healthy = await openStream(gateway, client, 4);
    healthy.end();
    await until(() => clock.pending === 1);
    clock.advance(3000); // the gateway's retry:
    (await gateway.request(5)).failNetwork();
    await until(() => clock.pending === 1);
    assert.deepEqual(clock.pendingDelays, [500], 'the healthy stream reset the backoff');
  });

  it('backs off when a stream ends without the gateway ever having sent retry:', async (t) => {
    const { gateway, client, clock } = start(t);
    const request = await gateway.request(0);
    request.openStream().write('event: connected\ndata: {}\n\n');
    await until(() => client.status === 'open');
    request.end();
    await until(() => clock.pending === 1);
    assert.deepEqual(clock.pendingDelays, [500]);
  });

  it('recognises the shed answer (200, retry:, a comment, end) and waits its retry:', async (t) => {
    const { gateway, clock, statuses } = start(t);
    const shed = await gateway.request(0);
    shed.openStream().write('retry: 7345\n: draining, come back later\n\n');
    shed.end();
    await until(() => clock.pending === 1);
    assert.deepEqual(statuses.map((s) => s.status), ['connecting', 'reconnecting'], 'never open');
    assert.deepEqual(statuses.at(-1), { status: 'reconnecting', delay: 7345, cause: 'shed', message: 'draining, come back later' });
    clock.advance(7345);
    await gateway.request(1);
  });

  for (const [status, code] of [[429, 'too_many_connections'], [503, 'unavailable']]) {
    it(`waits Retry-After on ${status}, and backs off when there is none`, async (t) => {
      const { gateway, clock, statuses } = start(t);
      (await gateway.request(0)).refuse(status, code, { 'Retry-After': '4' });
      await until(() => clock.pending === 1);
      assert.deepEqual(clock.pendingDelays, [4000]);
      assert.deepEqual(statuses.at(-1), {
        status: 'reconnecting', delay: 4000, cause: status === 429 ? 'too-many-connections' : 'unavailable',
        httpStatus: status, code, message: `${code}: as the test says`,
      });
      clock.advance(4000);
      (await gateway.request(1)).refuse(status, code);
      await until(() => clock.pending === 1);
      assert.deepEqual(clock.pendingDelays, [500]);
    });
  }

  it('backs off on a server error and on a 200 that is not an event stream', async (t) => {
    const { gateway, clock, statuses } = start(t);
    (await gateway.request(0)).answer(502, '<html>bad gateway</html>');
    await until(() => clock.pending === 1);
    assert.equal(statuses.at(-1).cause, 'server-error');
    clock.advance(clock.pendingDelays[0]);
    const page = (await gateway.request(1)).openStream({ 'Content-Type': 'text/html' }).write('<html>never ending');
    await until(() => clock.pending === 1);
    assert.ok(page.readerCancelled, 'the body of a page that is not an event stream is cancelled, not read to its end');
    assert.equal(statuses.at(-1).cause, 'not-an-event-stream');
    assert.deepEqual(clock.pendingDelays, [1000]);
  });

  it('stops with closed on an answer retrying cannot fix (400)', async (t) => {
    const { gateway, client, clock, statuses } = start(t);
    (await gateway.request(0)).refuse(400, 'invalid_request');
    await until(() => client.status === 'closed');
    assert.deepEqual(statuses.at(-1), {
      status: 'closed', reason: 'refused', httpStatus: 400, code: 'invalid_request', message: 'invalid_request: as the test says',
    });
    assert.equal(clock.pending, 0);
  });
});

describe('SluiceClient: tokens', () => {
  it('sends a string token as a Bearer header on every request, never in a URL, without cookies', async (t) => {
    const { gateway, client, clock } = start(t, { token: 'secret-token' });
    const first = await openStream(gateway, client, 0);
    assert.equal(first.headers.get('Authorization'), 'Bearer secret-token');
    assert.equal(first.credentials, 'same-origin');
    first.end();
    await until(() => clock.pending === 1);
    clock.advance(3000);
    const second = await gateway.request(1);
    assert.equal(second.headers.get('Authorization'), 'Bearer secret-token');
    assert.ok(gateway.urls.every((url) => !url.includes('secret-token') && !url.includes('access_token')));
  });

  it('asks a token function before every connect and reconnect, and uses what it answers', async (t) => {
    const asked = [];
    const { gateway, client, clock } = start(t, {
      token: async (info) => {
        asked.push(info);
        return `token-${asked.length}`;
      },
    });
    const first = await openStream(gateway, client, 0);
    first.end();
    await until(() => clock.pending === 1);
    clock.advance(3000);
    const second = await gateway.request(1);
    assert.deepEqual(gateway.requests.map((r) => r.headers.get('Authorization')), ['Bearer token-1', 'Bearer token-2']);
    assert.deepEqual(asked, [{ rejected: false }, { rejected: false }]);
    assert.ok(gateway.urls.every((url) => !url.includes('token-')));
    assert.equal(second.credentials, 'same-origin');
  });

  it('on 401 asks once for a fresh token and tries again at once; a second 401 stops it with unauthorized', async (t) => {
    const asked = [];
    const { gateway, client, clock, statuses } = start(t, {
      token: (info) => {
        asked.push(info.rejected);
        return `token-${asked.length}`;
      },
    });
    (await gateway.request(0)).refuse(401, 'unauthorized', { 'WWW-Authenticate': 'Bearer' });
    await until(() => clock.pending === 1);
    assert.deepEqual(clock.pendingDelays, [0]);
    clock.advance(0);
    const retry = await gateway.request(1);
    assert.equal(retry.headers.get('Authorization'), 'Bearer token-2');
    retry.refuse(401, 'unauthorized');
    await until(() => client.status === 'unauthorized');
    assert.deepEqual(asked, [false, true], 'the second ask says the previous token was refused');
    assert.deepEqual(statuses.at(-1), {
      status: 'unauthorized', httpStatus: 401, code: 'unauthorized', message: 'unauthorized: as the test says',
    });
    await settle();
    assert.equal(gateway.requests.length, 2, 'no retry loop');
    assert.equal(clock.pending, 0);
  });

  it('earns a fresh try again after a healthy stream', async (t) => {
    let n = 0;
    const { gateway, client, clock } = start(t, { token: () => `token-${++n}` });
    (await gateway.request(0)).refuse(401, 'unauthorized');
    await until(() => clock.pending === 1);
    clock.advance(0);
    const healthy = await openStream(gateway, client, 1);
    healthy.end();
    await until(() => clock.pending === 1);
    clock.advance(3000);
    (await gateway.request(2)).refuse(401, 'unauthorized');
    await until(() => clock.pending === 1);
    assert.equal(client.status, 'reconnecting');
    clock.advance(0);
    await gateway.request(3);
  });

  for (const [what, options] of [['a string token', { token: 'expired' }], ['the cookie', {}]]) {
    it(`stops at once on 401 with ${what}`, async (t) => {
      const { gateway, client, clock } = start(t, options);
      (await gateway.request(0)).refuse(401, 'unauthorized');
      await until(() => client.status === 'unauthorized');
      await settle();
      assert.equal(gateway.requests.length, 1);
      assert.equal(clock.pending, 0);
    });
  }

  it('stops with unauthorized on 403: a token without the right will not get it by retrying', async (t) => {
    const { gateway, client } = start(t, { token: () => 'valid-but-not-allowed' });
    (await gateway.request(0)).refuse(403, 'forbidden');
    await until(() => client.status === 'unauthorized');
    await settle();
    assert.equal(gateway.requests.length, 1);
  });

  it('stops with unauthorized when the token function has no token to give', async (t) => {
    const { gateway, client } = start(t, { token: async () => null });
    await until(() => client.status === 'unauthorized');
    assert.equal(gateway.requests.length, 0);
  });

  it('backs off when the token function throws', async (t) => {
    let calls = 0;
    const { gateway, clock, statuses } = start(t, {
      token: async () => {
        calls += 1;
        if (calls === 1) {
          throw new Error('identity provider unreachable');
        }
        return 'fresh';
      },
    });
    await until(() => clock.pending === 1);
    assert.deepEqual(statuses.at(-1), { status: 'reconnecting', delay: 500, cause: 'token-error', message: 'identity provider unreachable' });
    clock.advance(500);
    assert.equal((await gateway.request(0)).headers.get('Authorization'), 'Bearer fresh');
  });
});

describe('SluiceClient: reset and the snapshot', () => {
  /** Delivers ids 4 and 5, then drops the stream and answers the resume with `reset`. */
  async function untilReset(t, options = {}) {
    const setup = start(t, { types: 'deployment:*', token: 'tok', ...options });
    const { gateway, client, clock } = setup;
    const first = await openStream(gateway, client, 0);
    first.write(frame('4', 'deployment:started', '{"n":4}')).write(frame('5', 'deployment:started', '{"n":5}'));
    await until(() => client.lastEventId === '5');
    first.end();
    await until(() => clock.pending === 1);
    clock.advance(3000);
    const resumed = await gateway.request(1);
    assert.equal(resumed.headers.get('Last-Event-ID'), '5');
    resumed.openStream().write(CONNECTED);
    resumed.write('event: reset\ndata: {"reason":"history-unavailable","lastEventId":"5"}\n\n');
    return { ...setup, resumed };
  }

  it('fetches the snapshot, delivers it before live events, and delivers nothing twice', async (t) => {
    const { gateway, client, seen, resumed } = await untilReset(t);
    const resets = [];
    client.on('reset', (data) => resets.push(data.reason));
    const snapshot = await gateway.request(2);
    assert.equal(snapshot.path, '/v1/events');
    assert.deepEqual(snapshot.query.getAll('topic'), ['deploys']);
    assert.equal(snapshot.query.get('types'), 'deployment:*');
    assert.equal(snapshot.headers.get('Authorization'), 'Bearer tok', 'same auth as the stream');
    assert.ok(!snapshot.url.includes('tok'));
    resumed.write(frame('12', 'deployment:completed', '{"n":12}')); // live, while the snapshot is on its way
    resumed.write(frame('13', 'deployment:completed', '{"n":13}'));
    await settle();
    assert.deepEqual(seen.map((e) => e.id), ['4', '5'], 'live events wait behind the snapshot');
    snapshot.answer(200, {
      events: [
        { id: '5', topic: 'deploys', type: 'deployment:started', data: { n: 5 }, time: '2026-01-01T00:00:00.000Z' },
        { id: '9', topic: 'deploys', type: 'deployment:progress', data: 'half way', time: '2026-01-01T00:00:01.000Z' },
        { id: '12', topic: 'deploys', type: 'deployment:completed', data: { n: 12 }, time: '2026-01-01T00:00:02.000Z' },
      ],
      lastEventId: '12',
    });
    await until(() => seen.length === 5);
    resumed.write(frame('14', 'deployment:completed', '{"n":14}'));
    await until(() => seen.length === 6);
    assert.deepEqual(seen.slice(2), [
      { data: 'half way', id: '9', type: 'deployment:progress', topic: 'deploys' },
      { data: { n: 12 }, id: '12', type: 'deployment:completed', topic: 'deploys' },
      { data: { n: 13 }, id: '13', type: 'deployment:completed' },
      { data: { n: 14 }, id: '14', type: 'deployment:completed' },
    ]);
    assert.deepEqual(resets, ['history-unavailable']);
    assert.equal(client.lastEventId, '14');
  });

  it('resumes from the snapshot’s lastEventId when that is newer than anything delivered', async (t) => {
    const { gateway, client, clock, resumed } = await untilReset(t);
    (await gateway.request(2)).answer(200, { events: [], lastEventId: '77' });
    await until(() => client.lastEventId === '77');
    resumed.end();
    await until(() => clock.pending === 1);
    clock.advance(3000);
    assert.equal((await gateway.request(3)).headers.get('Last-Event-ID'), '77');
  });

  it('holds live events behind a second snapshot when a held-back event is itself a reset', async (t) => {
    const { gateway, seen, resumed } = await untilReset(t);
    resumed.write('event: reset\ndata: {"reason":"history-unavailable"}\n\n');
    resumed.write(frame('30', 'deployment:completed', '30'));
    await settle();
    (await gateway.request(2)).answer(200, { events: [], lastEventId: null });
    const second = await gateway.request(3);
    await settle();
    assert.deepEqual(seen.map((e) => e.id), ['4', '5'], 'event 30 waits for the second snapshot');
    second.answer(200, { events: [{ id: '20', topic: 'deploys', type: 'deployment:started', data: 20 }], lastEventId: '20' });
    await until(() => seen.length === 4);
    assert.deepEqual(seen.map((e) => e.id), ['4', '5', '20', '30']);
  });

  it('finishes every snapshot, a second one included, before reconnecting after the stream ended', async (t) => {
    const { gateway, clock, seen, resumed } = await untilReset(t);
    resumed.write('event: reset\ndata: {"reason":"history-unavailable"}\n\n');
    resumed.write(frame('30', 'deployment:completed', '30'));
    await settle();
    resumed.end();
    (await gateway.request(2)).answer(200, { events: [], lastEventId: null });
    const second = await gateway.request(3);
    await settle();
    assert.equal(clock.pending, 0, 'no reconnect while the second snapshot is on its way');
    second.answer(200, { events: [{ id: '20', topic: 'deploys', type: 'deployment:started', data: 20 }], lastEventId: '20' });
    await until(() => clock.pending === 1);
    assert.deepEqual(seen.map((e) => e.id), ['4', '5', '20', '30']);
  });

  it('drops the stream and resumes from the old id when the snapshot fails', async (t) => {
    const { gateway, client, clock, seen, resumed, statuses } = await untilReset(t);
    resumed.write(frame('12', 'deployment:completed', '12'));
    (await gateway.request(2)).answer(500, 'oops');
    await until(() => clock.pending === 1);
    assert.ok(resumed.aborted, 'the stream was dropped');
    assert.equal(statuses.at(-1).cause, 'server-error');
    assert.deepEqual(seen.map((e) => e.id), ['4', '5'], 'held-back live events are not delivered without their snapshot');
    assert.equal(client.lastEventId, '5');
    clock.advance(clock.pendingDelays[0]);
    assert.equal((await gateway.request(3)).headers.get('Last-Event-ID'), '5');
  });

  it('hands `reset` to the application and fetches nothing when snapshotOnReset is false', async (t) => {
    const { gateway, client, seen, resumed } = await untilReset(t, { snapshotOnReset: false });
    const resets = [];
    client.on('reset', (data) => resets.push(data));
    await until(() => resets.length === 1);
    resumed.write(frame('12', 'deployment:completed', '12'));
    await until(() => seen.length === 3);
    await settle();
    assert.equal(gateway.requests.length, 2, 'no snapshot request');
  });
});

describe('SluiceClient: disconnect', () => {
  it('stops with closed on disconnect with reconnect: false', async (t) => {
    const { gateway, client, clock, statuses } = start(t);
    const disconnects = [];
    client.on('disconnect', (data) => disconnects.push(data));
    const request = await openStream(gateway, client, 0);
    request.write('event: disconnect\ndata: {"reason":"account suspended","reconnect":false}\n\n');
    await until(() => client.status === 'closed');
    assert.deepEqual(disconnects, [{ reason: 'account suspended', reconnect: false }]);
    assert.deepEqual(statuses.at(-1), { status: 'closed', reason: 'disconnected', message: 'account suspended' });
    assert.ok(request.aborted);
    await settle();
    assert.equal(gateway.requests.length, 1);
    assert.equal(clock.pending, 0);
  });

  it('reconnects after the retry: that comes with disconnect reconnect: true', async (t) => {
    const { gateway, client, clock } = start(t);
    const request = await openStream(gateway, client, 0);
    request.write(frame('8', 'message', 'x'));
    request.write('retry: 1500\nevent: disconnect\ndata: {"reason":"rebalancing","reconnect":true}\n\n');
    request.end();
    await until(() => clock.pending === 1);
    assert.deepEqual(clock.pendingDelays, [1500]);
    clock.advance(1500);
    assert.equal((await gateway.request(1)).headers.get('Last-Event-ID'), '8');
  });
});

describe('SluiceClient: close()', () => {
  it('aborts a request in flight', async (t) => {
    const { gateway, client, clock } = start(t);
    const request = await gateway.request(0);
    client.close();
    assert.ok(request.aborted);
    await settle();
    assert.equal(clock.pending, 0);
    assert.equal(gateway.requests.length, 1);
  });

  it('cancels the reader of an open stream and calls no handler afterwards', async (t) => {
    const { gateway, client, seen, statuses } = start(t);
    const request = await openStream(gateway, client, 0);
    client.close();
    assert.ok(request.aborted, 'fetch aborted');
    await until(() => request.readerCancelled || request.aborted);
    assert.throws(() => request.write(frame('1', 'message', 'late')), 'the body is gone');
    await settle();
    assert.deepEqual(seen, []);
    assert.equal(statuses.at(-1).status, 'closed');
    assert.equal(statuses.at(-1).reason, 'client');
  });

  it('clears the reconnect timer', async (t) => {
    const { gateway, client, clock } = start(t);
    (await gateway.request(0)).failNetwork();
    await until(() => clock.pending === 1);
    client.close();
    assert.equal(clock.pending, 0);
    clock.advance(60_000);
    await settle();
    assert.equal(gateway.requests.length, 1);
  });

  it('aborts a snapshot in flight', async (t) => {
    const { gateway, client, clock } = start(t);
    const request = await openStream(gateway, client, 0);
    request.write('event: reset\ndata: {"reason":"history-unavailable"}\n\n');
    const snapshot = await gateway.request(1);
    client.close();
    assert.ok(snapshot.aborted && request.aborted);
    await settle();
    assert.equal(clock.pending, 0);
    assert.equal(gateway.requests.length, 2);
  });

  it('stops a pending token function from leading to a request', async (t) => {
    let release;
    const { gateway, client } = start(t, { token: () => new Promise((resolve) => { release = resolve; }) });
    await until(() => release !== undefined);
    client.close();
    release('late-token');
    await settle();
    assert.equal(gateway.requests.length, 0);
  });

  it('is idempotent and leaves the status closed', async (t) => {
    const { client, statuses } = start(t);
    client.close();
    client.close();
    assert.equal(client.status, 'closed');
    assert.deepEqual(statuses.map((s) => s.status), ['closed']);
  });
});
