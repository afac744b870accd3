import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { connectionKey } from '../src/connection-key.js';
import { createSluiceHook } from '../src/react.js';
import { createSluiceComposable } from '../src/vue.js';
import { FakeClock } from './support/fake-clock.js';
import { FakeGateway, settle, until } from './support/fake-gateway.js';
import { fakeReact } from './support/fake-react.js';
import { fakeVue } from './support/fake-vue.js';

const CONNECTED = 'retry: 3000\nevent: connected\ndata: {"connectionId":"c1","topics":["deploys"]}\n\n';

/** A fake gateway and clock for one test, both put away after it. */
function setUp(t) {
  const clock = new FakeClock().install();
  t.after(() => clock.uninstall());
  return { clock, gateway: new FakeGateway() };
}

describe('connectionKey', () => {
  it('changes with what the stream reads, not with a new token function or spelling', () => {
    const base = { url: 'https://gw', topics: ['a'], types: ['x:*'], token: () => 't1' };
    assert.equal(connectionKey(base), connectionKey({ ...base, token: () => 't2', types: 'x:*' }));
    assert.equal(connectionKey({ topics: 'a' }), connectionKey({ topics: ['a'], snapshotOnReset: true }));
    assert.notEqual(connectionKey(base), connectionKey({ ...base, topics: ['b'] }));
    assert.notEqual(connectionKey(base), connectionKey({ ...base, limit: 5 }));
    assert.notEqual(connectionKey({ topics: ['a'], token: 'old' }), connectionKey({ topics: ['a'], token: 'new' }));
    assert.notEqual(connectionKey({ topics: ['a'] }), connectionKey({ topics: ['a'], presence: true }));
    assert.notEqual(connectionKey({ topics: ['a'] }), connectionKey({ topics: ['a'], token: () => 't' }), 'cookie vs Bearer');
  });
});

describe('Vue composable', () => {
  it('reflects the status, delivers to `on` handlers, and closes the client on unmount', async (t) => {
    const { gateway } = setUp(t);
    const { vue, unmount } = fakeVue();
    const useSluice = createSluiceComposable(vue);
    const { status, on, client } = useSluice({ url: 'https://gw.test', topics: ['deploys'], fetch: gateway.fetch });
    const progress = [];
    on('progress', (data) => progress.push(data.percent));
    assert.equal(status.value, 'connecting');
    const request = await gateway.request(0);
    request.openStream().write(CONNECTED).write('id: 1\nevent: progress\ndata: {"percent":40}\n\n');
    await until(() => progress.length === 1);
    assert.equal(status.value, 'open');
    assert.deepEqual(progress, [40]);
    unmount();
    assert.ok(request.aborted);
    assert.equal(client.value.status, 'closed');
  });

  it('removes one handler with the function `on` returns', async (t) => {
    const { gateway } = setUp(t);
    const { vue } = fakeVue();
    const { on, close } = createSluiceComposable(vue)({ url: 'https://gw.test', topics: ['t'], fetch: gateway.fetch });
    t.after(close);
    const seen = [];
    const off = on('*', (data) => seen.push(data));
    const request = await gateway.request(0);
    request.openStream().write(CONNECTED).write('id: 1\ndata: a\n\n');
    await until(() => seen.length === 1);
    off();
    request.write('id: 2\ndata: b\n\n');
    await settle();
    assert.deepEqual(seen, ['a']);
  });

  it('replaces the client when reactive options name another stream, keeping its handlers', async (t) => {
    const { gateway } = setUp(t);
    const { vue, flushWatchers, unmount } = fakeVue();
    t.after(unmount);
    const topic = vue.shallowRef('deploys/1');
    const { status, on } = createSluiceComposable(vue)(() => ({
      url: 'https://gw.test',
      topics: [topic.value],
      fetch: gateway.fetch,
    }));
    const seen = [];
    on('*', (data, event) => seen.push(event.id));
    const first = await gateway.request(0);
    first.openStream().write(CONNECTED);
    await until(() => status.value === 'open');
    flushWatchers();
    assert.equal(gateway.requests.length, 1, 'same stream, same client');
    topic.value = 'deploys/2';
    flushWatchers();
    assert.ok(first.aborted, 'the old client is closed');
    assert.equal(status.value, 'connecting', 'the new client’s status');
    const second = await gateway.request(1);
    assert.deepEqual(second.query.getAll('topic'), ['deploys/2']);
    second.openStream().write(CONNECTED).write('id: 7\ndata: x\n\n');
    await until(() => seen.length === 1);
    assert.deepEqual(seen, ['7']);
  });
});

describe('React hook', () => {
  /** Mounts `useSluice(options, handlers)` in the fake React. */
  function mountHook(t, options, handlers) {
    const { gateway, clock } = setUp(t);
    const { React, mount } = fakeReact();
    const useSluice = createSluiceHook(React);
    const withFetch = (o) => ({ url: 'https://gw.test', fetch: gateway.fetch, ...o });
    const view = mount((o, h) => useSluice(withFetch(o), h), options, handlers);
    t.after(() => view.unmount());
    return { gateway, clock, view };
  }

  it('owns a client for the component’s life, with its status and handlers', async (t) => {
    const seen = [];
    const { gateway, view } = mountHook(t, { topics: ['deploys'] }, { 'deployment:*': (data) => seen.push(data) });
    assert.equal(view.result.status, 'connecting');
    assert.ok(view.result.client);
    const request = await gateway.request(0);
    request.openStream().write(CONNECTED).write('id: 1\nevent: deployment:completed\ndata: {"v":2}\n\n');
    await until(() => seen.length === 1);
    assert.equal(view.result.status, 'open');
    assert.deepEqual(seen, [{ v: 2 }]);
    view.unmount();
    assert.ok(request.aborted);
  });

  it('calls the latest handlers and token function without reconnecting', async (t) => {
    const seen = [];
    const tokens = [];
    const { gateway, clock, view } = mountHook(t, { topics: ['t'], token: () => 'first' }, { '*': (d) => seen.push(`old ${d}`) });
    const request = await gateway.request(0);
    assert.equal(request.headers.get('Authorization'), 'Bearer first');
    view.rerender({ topics: ['t'], token: () => { tokens.push('second'); return 'second'; } }, { '*': (d) => seen.push(`new ${d}`) });
    request.openStream().write(CONNECTED).write('id: 1\ndata: a\n\n');
    await until(() => seen.length === 1);
    assert.deepEqual(seen, ['new a']);
    assert.equal(gateway.requests.length, 1, 'a new render is not a new stream');
    request.end();
    await until(() => clock.pending === 1);
    clock.advance(3000);
    assert.equal((await gateway.request(1)).headers.get('Authorization'), 'Bearer second');
  });

  it('registers a handler added on a later render on the same client', async (t) => {
    const seen = [];
    const { gateway, view } = mountHook(t, { topics: ['t'] }, {});
    const request = await gateway.request(0);
    view.rerender({ topics: ['t'] }, { connected: (data) => seen.push(data.connectionId) });
    request.openStream().write(CONNECTED);
    await until(() => seen.length === 1);
    assert.deepEqual(seen, ['c1']);
  });

  it('replaces the client when the options name another stream, and reports the new one’s status only', async (t) => {
    const { gateway, view } = mountHook(t, { topics: ['a'] }, {});
    const first = await gateway.request(0);
    first.openStream().write(CONNECTED);
    await until(() => view.result.status === 'open');
    const oldClient = view.result.client;
    view.rerender({ topics: ['b'] }, {});
    assert.ok(first.aborted);
    assert.equal(oldClient.status, 'closed');
    assert.notEqual(view.result.client, oldClient);
    assert.equal(view.result.status, 'connecting');
    assert.deepEqual((await gateway.request(1)).query.getAll('topic'), ['b']);
  });
});
