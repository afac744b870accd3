import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  Backoff,
  compareEventIds,
  decodeData,
  decodeSnapshotData,
  matchesType,
  MAX_BACKOFF_MILLIS,
  parseRetryAfter,
} from '../src/sluice-client.js';

describe('Backoff', () => {
  it('doubles its ceiling with each failure, from one second', () => {
    const backoff = new Backoff({ random: () => 0.999999 });
    const waits = Array.from({ length: 6 }, () => backoff.next());
    assert.deepEqual(waits, [999, 1999, 3999, 7999, 15999, 29999]);
  });

  it('never waits more than 30 s, however many failures', () => {
    const backoff = new Backoff({ random: () => 0.999999 });
    for (let i = 0; i < 60; i++) {
      assert.ok(backoff.next() < MAX_BACKOFF_MILLIS);
    }
    assert.equal(MAX_BACKOFF_MILLIS, 30_000);
    assert.equal(backoff.next(), 29999, 'still at the cap after 60 failures (2^60 s is not a wait)');
  });

  it('spreads each wait over the whole range below its ceiling (full jitter)', () => {
    const low = new Backoff({ random: () => 0 });
    const mid = new Backoff({ random: () => 0.5 });
    assert.deepEqual([low.next(), low.next(), low.next()], [0, 0, 0]);
    assert.deepEqual([mid.next(), mid.next(), mid.next()], [500, 1000, 2000]);
    const real = new Backoff();
    for (let failure = 0; failure < 8; failure++) {
      const ceiling = Math.min(MAX_BACKOFF_MILLIS, 1000 * 2 ** failure);
      const wait = real.next();
      assert.ok(wait >= 0 && wait < ceiling, `failure ${failure}: ${wait} in [0, ${ceiling})`);
    }
  });

  it('starts over after reset', () => {
    const backoff = new Backoff({ random: () => 0.5 });
    backoff.next();
    backoff.next();
    assert.equal(backoff.failures, 2);
    backoff.reset();
    assert.equal(backoff.failures, 0);
    assert.equal(backoff.next(), 500);
  });
});

describe('matchesType', () => {
  it('matches globs where * is any run of characters, possibly none', () => {
    assert.ok(matchesType('deployment:*', 'deployment:completed'));
    assert.ok(matchesType('deployment:*', 'deployment:'));
    assert.ok(matchesType('*:failed', 'job:failed'));
    assert.ok(matchesType('a*b*c', 'a-b.c'));
    assert.ok(matchesType('*', 'message'));
    assert.ok(!matchesType('deployment:*', 'deploymentx'));
    assert.ok(!matchesType('deploy', 'deployment'));
  });

  it('takes every other character literally', () => {
    assert.ok(matchesType('a.b', 'a.b'));
    assert.ok(!matchesType('a.b', 'axb'));
    assert.ok(!matchesType('a+', 'aa'));
  });

  it('lets control events through only by their exact name; presence events are ordinary', () => {
    for (const control of ['connected', 'reset', 'disconnect']) {
      assert.ok(!matchesType('*', control), control);
      assert.ok(matchesType(control, control), control);
    }
    assert.ok(!matchesType('conn*', 'connected'));
    assert.ok(matchesType('*', 'presence:join'));
    assert.ok(matchesType('presence:*', 'presence:leave'));
  });
});

describe('data decoding', () => {
  it('parses JSON when it parses, else keeps the text', () => {
    assert.deepEqual(decodeData('{"a":[1,2]}'), { a: [1, 2] });
    assert.equal(decodeData('42'), 42);
    assert.equal(decodeData('null'), null);
    assert.equal(decodeData('"quoted"'), 'quoted');
    assert.equal(decodeData('disk 91% on db-2'), 'disk 91% on db-2');
    assert.equal(decodeData('line one\nline two'), 'line one\nline two');
    assert.equal(decodeData(''), '');
  });

  it('gives a snapshot event the value its live twin gets', () => {
    // Published data, the text the stream carries for it, and what the snapshot's JSON holds for it.
    const cases = [
      [{ service: 'api' }, '{"service":"api"}', { service: 'api' }],
      ['hello', 'hello', 'hello'],
      ['42', '42', '42'], // a JSON string that looks like a number arrives as a number both ways
      [7, '7', 7],
      [null, 'null', null],
      ['a\nb', 'a\nb', 'a\nb'],
    ];
    for (const [published, streamText, snapshotValue] of cases) {
      assert.deepEqual(decodeSnapshotData(snapshotValue), decodeData(streamText), JSON.stringify(published));
    }
  });
});

describe('compareEventIds', () => {
  it('orders the gateway’s decimal ids by value, not as text', () => {
    assert.ok(compareEventIds('9', '10') < 0);
    assert.ok(compareEventIds('1882536645682528262', '1882536645682528261') > 0);
    assert.equal(compareEventIds('77', '77'), 0);
  });

  it('compares ids of another form only for equality', () => {
    assert.equal(compareEventIds('abc', 'abc'), 0);
    assert.ok(Number.isNaN(compareEventIds('abc', 'abd')));
    assert.ok(Number.isNaN(compareEventIds('12', '1-2')));
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates, in milliseconds', () => {
    assert.equal(parseRetryAfter('4'), 4000);
    assert.equal(parseRetryAfter(' 0 '), 0);
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    assert.equal(parseRetryAfter('Wed, 21 Oct 2026 07:28:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2026 07:27:00 GMT', now), 0, 'a date in the past means now');
  });

  it('gives null when there is nothing usable', () => {
    assert.equal(parseRetryAfter(null), null);
    assert.equal(parseRetryAfter('soon'), null);
    assert.equal(parseRetryAfter('-3'), null);
  });
});
