import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { EventStreamParser } from '../src/sluice-client.js';

/** Feeds the chunks to a fresh parser and returns everything it reported, in order. */
function parse(...chunks) {
  const seen = [];
  const parser = new EventStreamParser({
    onEvent: (event) => seen.push(event),
    onRetry: (millis) => seen.push({ retry: millis }),
    onComment: (text) => seen.push({ comment: text }),
  });
  for (const chunk of chunks) {
    parser.feed(chunk);
  }
  return { seen, parser, events: seen.filter((entry) => 'type' in entry) };
}

/** Every way of cutting `text` in two. */
function everySplit(text) {
  return Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)]);
}

describe('EventStreamParser', () => {
  it('dispatches an event on a blank line, with its id, type and data', () => {
    const { events } = parse('id: 7\nevent: deployment:completed\ndata: {"service":"api"}\n\n');
    assert.deepEqual(events, [{ type: 'deployment:completed', data: '{"service":"api"}', id: '7' }]);
  });

  it('types an event without `event:` as message, and gives it a null id without `id:`', () => {
    const { events } = parse('data: hello\n\n');
    assert.deepEqual(events, [{ type: 'message', data: 'hello', id: null }]);
  });

  it('joins several data lines with LF and keeps empty ones', () => {
    const { events } = parse('data: one\ndata:\ndata:  two\n\n');
    assert.equal(events[0].data, 'one\n\n two'); // one space after the colon is dropped, not two
  });

  it('treats CR, LF and CRLF alike as line ends', () => {
    for (const end of ['\n', '\r', '\r\n']) {
      const { events } = parse(['id: 1', 'data: a', 'data: b', '', 'data: c', '', ''].join(end));
      assert.deepEqual(events.map((e) => e.data), ['a\nb', 'c'], JSON.stringify(end));
    }
  });

  it('gets the same events however the stream is cut into chunks, CRLF split between chunks included', () => {
    const stream = 'id: 1\r\nevent: a\r\ndata: x\r\ndata: y\r\n\r\ndata: z\r\r: note\n\ndata: w\n\n';
    const whole = parse(stream).seen;
    assert.equal(whole.filter((e) => 'type' in e).length, 3);
    for (const [first, second] of everySplit(stream)) {
      assert.deepEqual(parse(first, second).seen, whole, `split at ${first.length}`);
    }
    assert.deepEqual(parse(...stream).seen, whole, 'one character a chunk');
  });

  it('does not take an LF after a CR that ended the previous chunk for an empty line', () => {
    const { events } = parse('data: a\r', '\ndata: b\r', '\n\r', '\n');
    assert.deepEqual(events, [{ type: 'message', data: 'a\nb', id: null }]);
  });

  it('remembers a CR that ended a chunk across an empty chunk', () => {
    const { events } = parse('data: a\r', '', '\ndata: b\n\n');
    assert.deepEqual(events.map((e) => e.data), ['a\nb']);
  });

  it('reports retry: only when it is all ASCII digits', () => {
    const { seen } = parse('retry: 3000\nretry: 12a\nretry: -5\nretry:\nretry: 1.5\nretry: ٣\nretry:42\n');
    assert.deepEqual(seen, [{ retry: 3000 }, { retry: 42 }]);
  });

  it('reports comments and never dispatches them', () => {
    const { seen } = parse(': heartbeat\n\n:draining, retry later\n\n');
    assert.deepEqual(seen, [{ comment: ' heartbeat' }, { comment: 'draining, retry later' }]);
  });

  it('ignores an id that contains NUL and keeps the previous one', () => {
    const { events, parser } = parse('id: 5\ndata: a\n\nid: 6\0x\ndata: b\n\n');
    assert.deepEqual(events.map((e) => e.id), ['5', null]);
    assert.equal(parser.lastEventId, '5');
  });

  it('keeps the last event id across events without an id line, as EventSource does', () => {
    const { events, parser } = parse('id: 9\ndata: a\n\nevent: connected\ndata: {}\n\n');
    assert.equal(events[1].id, null, 'the event itself carried no id');
    assert.equal(parser.lastEventId, '9');
  });

  it('takes a field without a colon as that field with an empty value', () => {
    const { events } = parse('data\ndata\n\nevent\ndata: x\n\n');
    assert.deepEqual(events, [
      { type: 'message', data: '\n', id: null },
      { type: 'message', data: 'x', id: null }, // `event` with an empty value means message
    ]);
  });

  it('dispatches nothing for a block without data, but still sets the last event id', () => {
    const { events, parser } = parse('event: x\n\nid: 3\n\n');
    assert.deepEqual(events, []);
    assert.equal(parser.lastEventId, '3');
  });

  it('strips one byte order mark at the start of the stream, and only there', () => {
    const { events } = parse('\uFEFFdata: a\n\ndata: \uFEFFb\n\n');
    assert.deepEqual(events.map((e) => e.data), ['a', '\uFEFFb']);
    assert.deepEqual(parse('\uFEFF\uFEFFdata: a\n\n').events, [], 'a second BOM makes the first line a field "\\uFEFFdata"');
    assert.deepEqual(parse('', '\uFEFF', 'data: a\n\n').events.map((e) => e.data), ['a'], 'BOM in its own chunk');
  });

  it('ignores unknown fields and keeps a colon inside the value', () => {
    const { events } = parse('foo: bar\ndata: a: b\n\n');
    assert.deepEqual(events, [{ type: 'message', data: 'a: b', id: null }]);
  });

  it('never dispatches an event whose blank line has not arrived', () => {
    assert.deepEqual(parse('data: unfinished\n').events, []);
  });
});
