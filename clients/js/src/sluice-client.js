/**
 * Sluice browser client: one dependency-free ES module (CONTRACT §14).
 *
 * This file is complete on its own, on purpose: the gateway serves it unchanged at `GET /v1/client.js`, where a
 * relative import would point at a file that is not there. The adapters (`vue.js`, `react.js`) import it by
 * relative path. Sections, top to bottom:
 *
 *   1. EventStreamParser  the WHATWG text/event-stream parser, fed with decoded text
 *   2. Backoff            exponential backoff with full jitter, capped at 30 s
 *   3. Small rules        type globs, data decoding, id order, Retry-After
 *   4. SluiceClient       connects, resumes, refetches the snapshot on `reset`, stops on refusals
 *
 * Everything runs on the caller's event loop; no method blocks, and nothing here needs to be awaited.
 */

// ---------------------------------------------------------------------------------------------------------------
// 1. EventStreamParser
// ---------------------------------------------------------------------------------------------------------------

/**
 * One dispatched event as the parser sees it, before any JSON decoding.
 * @typedef {object} ParsedEvent
 * @property {string} type  the `event:` field, or `message` when the block had none
 * @property {string} data  the `data:` lines joined with LF
 * @property {string | null} id  the `id:` field of this block, or null when the block had none; the spec's
 *   persistent "last event ID" is {@link EventStreamParser#lastEventId}
 */

/** Any of CRLF, CR or LF ends a line (WHATWG "end-of-line"); CRLF is tried first so it counts as one end. */
const LINE_END = /\r\n|\r|\n/g;
const BYTE_ORDER_MARK = '\uFEFF';

/**
 * Parses an event stream per the WHATWG HTML spec, §9.2.6 "Interpreting an event stream". Feed it the decoded
 * text in chunks of any size; a line, even a CRLF, may be split across chunks anywhere. Not thread-related:
 * call it from one place; callbacks run synchronously inside {@link EventStreamParser#feed}.
 */
export class EventStreamParser {
  #onEvent;
  #onRetry;
  #onComment;
  /** The start of a line whose end has not arrived yet. */
  #partialLine = '';
  /** The previous chunk ended in CR: an LF opening the next chunk belongs to that line end. */
  #endedInCR = false;
  #atStreamStart = true;
  #eventType = '';
  #data = '';
  #idBuffer = '';
  #blockHasId = false;
  #lastEventId = '';

  /**
   * @param {object} callbacks
   * @param {(event: ParsedEvent) => void} callbacks.onEvent  called for each event that has data
   * @param {(millis: number) => void} [callbacks.onRetry]  called for each valid `retry:` field
   * @param {(text: string) => void} [callbacks.onComment]  called for each comment line, text after the colon
   */
  constructor({ onEvent, onRetry = () => {}, onComment = () => {} }) {
    this.#onEvent = onEvent;
    this.#onRetry = onRetry;
    this.#onComment = onComment;
  }

  /** The spec's "last event ID string": the id of the last dispatched block that set one (empty when none). */
  get lastEventId() {
    return this.#lastEventId;
  }

  /**
   * Parses the next piece of decoded text. A block is dispatched when its blank line arrives; an unfinished
   * block at the end of the stream is simply never dispatched, as the spec says.
   * @param {string} text
   */
  feed(text) {
    if (text === '') {
      return; // an empty chunk must not forget a CR that ended the previous one
    }
    let rest = text;
    if (this.#atStreamStart) {
      this.#atStreamStart = false;
      if (rest.startsWith(BYTE_ORDER_MARK)) {
        rest = rest.slice(1);
      }
    }
    if (this.#endedInCR && rest.startsWith('\n')) {
      rest = rest.slice(1);
    }
    let lineStart = 0;
    for (const end of rest.matchAll(LINE_END)) {
      this.#processLine(this.#partialLine + rest.slice(lineStart, end.index));
      this.#partialLine = '';
      lineStart = end.index + end[0].length;
    }
    this.#partialLine += rest.slice(lineStart);
    this.#endedInCR = rest.endsWith('\r');
  }

  /** @param {string} line a complete line without its end */
  #processLine(line) {
    if (line === '') {
      this.#dispatch();
      return;
    }
    if (line.startsWith(':')) {
      this.#onComment(line.slice(1));
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : withoutLeadingSpace(line.slice(colon + 1));
    this.#processField(field, value);
  }

  /** Unknown fields are ignored, as the spec says. */
  #processField(field, value) {
    switch (field) {
      case 'event':
        this.#eventType = value;
        break;
      case 'data':
        this.#data += value + '\n';
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.#idBuffer = value;
          this.#blockHasId = true;
        }
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) {
          this.#onRetry(Number(value));
        }
        break;
      default:
    }
  }

  #dispatch() {
    this.#lastEventId = this.#idBuffer;
    const id = this.#blockHasId ? this.#idBuffer : null;
    const type = this.#eventType || 'message';
    const data = this.#data;
    this.#blockHasId = false;
    this.#eventType = '';
    this.#data = '';
    if (data !== '') {
      this.#onEvent({ type, data: data.slice(0, -1), id });
    }
  }
}

/** @param {string} value */
function withoutLeadingSpace(value) {
  return value.startsWith(' ') ? value.slice(1) : value;
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Backoff
// ---------------------------------------------------------------------------------------------------------------

/** First backoff ceiling: a failed attempt is retried within a second. */
export const DEFAULT_BACKOFF_BASE_MILLIS = 1000;
/** No wait is ever longer than this (CONTRACT §14). */
export const MAX_BACKOFF_MILLIS = 30_000;

/**
 * Exponential backoff with full jitter: after n consecutive failures the wait is uniform in
 * [0, min(cap, base × 2^n)). Spreading the whole range (not just a band around the ceiling) is what keeps a
 * crowd of clients from coming back together after a restart. Not shared: one per client.
 */
export class Backoff {
  #baseMillis;
  #capMillis;
  #random;
  #failures = 0;

  /**
   * @param {object} [options]
   * @param {number} [options.baseMillis]  ceiling of the first wait
   * @param {number} [options.capMillis]  ceiling of every wait
   * @param {() => number} [options.random]  uniform in [0, 1), like Math.random
   */
  constructor({ baseMillis = DEFAULT_BACKOFF_BASE_MILLIS, capMillis = MAX_BACKOFF_MILLIS, random = Math.random } = {}) {
    this.#baseMillis = baseMillis;
    this.#capMillis = capMillis;
    this.#random = random;
  }

  /** Consecutive failures counted since the last {@link Backoff#reset}. */
  get failures() {
    return this.#failures;
  }

  /** Counts one more failure and returns the wait before the next attempt, in whole milliseconds. */
  next() {
    const ceiling = Math.min(this.#capMillis, this.#baseMillis * 2 ** this.#failures);
    this.#failures += 1;
    return Math.floor(this.#random() * ceiling);
  }

  /** Forgets the failures: called once a connection turned out healthy. */
  reset() {
    this.#failures = 0;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Small rules
// ---------------------------------------------------------------------------------------------------------------

/**
 * Events about the connection itself rather than about a topic. A handler gets them only by naming them
 * exactly: `on('*')` is for data, and a feed that renders everything should not render `connected`.
 */
export const CONTROL_EVENT_TYPES = Object.freeze(['connected', 'reset', 'disconnect']);

const compiledGlobs = new Map();

/**
 * Whether an event type matches a pattern of {@link SluiceClient#on}: a glob where `*` is any run of characters
 * (possibly none), as in the stream's `types` parameter. Control events ({@link CONTROL_EVENT_TYPES}) match only
 * their exact name.
 * @param {string} pattern
 * @param {string} type
 */
export function matchesType(pattern, type) {
  if (pattern === type) {
    return true;
  }
  if (CONTROL_EVENT_TYPES.includes(type)) {
    return false;
  }
  let glob = compiledGlobs.get(pattern); // patterns come from code, so this stays as small as the app's list
  if (glob === undefined) {
    const escaped = pattern.split('*').map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'));
    glob = new RegExp(`^${escaped.join('.*')}$`, 's');
    compiledGlobs.set(pattern, glob);
  }
  return glob.test(type);
}

/**
 * The value a handler gets for an event's text (CONTRACT §14): the text parsed as JSON when it parses, else the
 * text itself. `{"a":1}` becomes an object, `42` a number, `hello` stays the string `hello`.
 * @param {string} text
 * @returns {unknown}
 */
export function decodeData(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The same value for a snapshot event's `data`, so a handler cannot tell a snapshot event from the live one: a
 * JSON string in the snapshot is the text the stream would have carried, so it goes through
 * {@link decodeData}; any other JSON value is what decoding the stream's compact text would give.
 * @param {unknown} value
 */
export function decodeSnapshotData(value) {
  return typeof value === 'string' ? decodeData(value) : value;
}

const DECIMAL = /^[0-9]+$/;

/**
 * Orders two event ids: negative when `a` is older, 0 when equal, positive when newer, NaN when they cannot be
 * compared. Ids are opaque to clients (CONTRACT §1) except for this one use, dropping repeats: the gateway
 * issues them as decimal integers without leading zeros (docs/architecture.md), so a longer id is newer and
 * ids of one length compare as text. Ids of any other form compare only for equality.
 * @param {string} a
 * @param {string} b
 */
export function compareEventIds(a, b) {
  if (a === b) {
    return 0;
  }
  if (!DECIMAL.test(a) || !DECIMAL.test(b)) {
    return NaN;
  }
  if (a.length !== b.length) {
    return a.length - b.length;
  }
  return a < b ? -1 : 1;
}

/**
 * A `Retry-After` header in milliseconds: delay-seconds or an HTTP date; null when absent or unreadable.
 * @param {string | null} value
 * @param {number} [now]  epoch millis, for HTTP dates
 */
export function parseRetryAfter(value, now = Date.now()) {
  if (value === null || value === undefined) {
    return null;
  }
  const text = value.trim();
  if (DECIMAL.test(text)) {
    return Number(text) * 1000;
  }
  const date = /^[A-Za-z]{3}/.test(text) ? Date.parse(text) : NaN; // every HTTP-date form opens with the day name
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

// ---------------------------------------------------------------------------------------------------------------
// 4. SluiceClient
// ---------------------------------------------------------------------------------------------------------------

/**
 * @typedef {'connecting' | 'open' | 'reconnecting' | 'unauthorized' | 'closed'} SluiceStatus
 *
 * @typedef {object} StatusDetail  why a status was entered; every field is optional
 * @property {number} [delay]  `reconnecting`: milliseconds until the next attempt
 * @property {string} [cause]  `reconnecting`: what ended the last attempt (`ended`, `shed`, `network`,
 *   `unauthorized`, `too-many-connections`, `unavailable`, `server-error`, `not-an-event-stream`, `token-error`,
 *   `snapshot-failed`)
 * @property {string} [reason]  `closed`: `client` (close() was called), `disconnected` (the gateway said
 *   `disconnect` with `reconnect: false`) or `refused` (an answer that retrying cannot fix, such as 400)
 * @property {number} [httpStatus]  the HTTP status that caused it, when one did
 * @property {string} [code]  the gateway's error code, when it sent one (CONTRACT §6)
 * @property {string} [message]  the gateway's words: its error message, the shed comment or the disconnect reason
 *
 * @typedef {object} SluiceEvent  what a handler learns besides the data
 * @property {string | null} id  the event id; null for events without one (`connected`, `reset`, `disconnect`,
 *   `presence:*`)
 * @property {string} type  the event type; `message` when the publisher gave none
 * @property {string} [topic]  present on events from a snapshot; the stream does not carry it
 *
 * @typedef {(data: any, event: SluiceEvent) => void} SluiceHandler
 *
 * @typedef {(info: {rejected: boolean}) => string | null | undefined | Promise<string | null | undefined>} TokenSource
 *   Called before every connect and every reconnect; `rejected` is true when the gateway has just refused the
 *   previous token with 401, so a cached one must not be returned again. Returning nothing stops the client with
 *   `unauthorized`; throwing counts as a failed attempt and is retried with backoff.
 *
 * @typedef {object} SluiceOptions
 * @property {string} [url]  the gateway's base URL, such as `https://gw.example` (default: this page's origin)
 * @property {string | string[]} topics  topics to read (the gateway adds `broadcast` and the user's own topic)
 * @property {string | string[]} [types]  only event types matching these globs are sent
 * @property {number} [limit]  on a connect with nothing to resume from, first replay the newest `limit` events
 * @property {string | TokenSource} [token]  sent as `Authorization: Bearer`; without it the browser sends its
 *   cookies (`sluice_token`)
 * @property {boolean} [snapshotOnReset]  on `reset`, fetch the snapshot and deliver it first (default true)
 * @property {boolean} [presence]  ask for `presence:join` / `presence:leave` events (CONTRACT §11)
 * @property {typeof fetch} [fetch]  the fetch to use (default: the global one); for tests and other runtimes
 */

/** The gateway's stream and snapshot paths, below the base URL (CONTRACT §2, §3). */
const STREAM_PATH = '/v1/events/stream';
const SNAPSHOT_PATH = '/v1/events';

/**
 * A client for one Sluice stream. It connects on construction, after the constructor has returned, so handlers
 * registered right after `new` miss nothing. Once it reaches `unauthorized` or `closed` it is finished: create a
 * new one to start again.
 *
 * @example
 * const client = new SluiceClient({ url: 'https://gw.example', topics: ['deploys'], types: ['deployment:*'] });
 * client.on('deployment:*', (data, event) => console.log(event.type, data));
 * client.onStatus((status) => console.log('stream is', status));
 */
export class SluiceClient {
  /** @type {Required<Pick<SluiceOptions, 'url' | 'snapshotOnReset' | 'presence'>> & SluiceOptions & {topics: string[], types?: string, fetch: typeof fetch}} */
  #options;
  /** @type {Set<{pattern: string, handler: SluiceHandler}>} */
  #handlers = new Set();
  /** @type {Set<(status: SluiceStatus, detail: StatusDetail) => void>} */
  #statusListeners = new Set();
  /** @type {SluiceStatus} */
  #status = 'connecting';
  #finished = false;
  /**
   * Resume point: every event at or before it has been delivered, or was left out of a snapshot on purpose.
   * @type {string | null}
   */
  #lastEventId = null;
  /** @type {number | null} the latest `retry:` the gateway sent, in milliseconds; null until it sends one */
  #serverRetryMillis = null;
  #backoff = new Backoff();
  /** A 401 already earned the token function one more try since the last healthy connection. */
  #refreshedAfterUnauthorized = false;
  /** The next token asked for replaces one the gateway refused. */
  #tokenRejected = false;
  /** @type {Connection | null} */
  #connection = null;
  /** @type {ReturnType<typeof setTimeout> | null} */
  #reconnectTimer = null;

  /** @param {SluiceOptions} options */
  constructor(options) {
    this.#options = normalizeOptions(options);
    queueMicrotask(() => {
      if (!this.#finished) {
        this.#notifyStatus({}); // `connecting`, now that listeners registered after `new` are in place
        this.#connect();
      }
    });
  }

  /** @returns {SluiceStatus} */
  get status() {
    return this.#status;
  }

  /** The id the next reconnect resumes from (`Last-Event-ID`), or null before any event with an id. */
  get lastEventId() {
    return this.#lastEventId;
  }

  /**
   * Calls `handler(data, event)` for every event whose type matches `pattern` (`*` = any run of characters).
   * Every event type can be subscribed to: data events, `presence:join` / `presence:leave`, and the control
   * events `connected`, `reset` and `disconnect` when named exactly (a `*` never matches those).
   * @param {string} pattern
   * @param {SluiceHandler} handler
   * @returns {() => void} removes this handler
   */
  on(pattern, handler) {
    const registration = { pattern, handler };
    if (!this.#finished) {
      this.#handlers.add(registration);
    }
    return () => this.#handlers.delete(registration);
  }

  /**
   * Calls `listener(status, detail)` when the status changes, and again with `reconnecting` each time a new wait
   * starts (its `detail.delay` says how long). The current status is {@link SluiceClient#status}.
   * @param {(status: SluiceStatus, detail: StatusDetail) => void} listener
   * @returns {() => void} removes this listener
   */
  onStatus(listener) {
    if (!this.#finished) {
      this.#statusListeners.add(listener);
    }
    return () => this.#statusListeners.delete(listener);
  }

  /** Stops for good: aborts the request, cancels the reader, clears every timer. Status `closed`; idempotent. */
  close() {
    this.#finish('closed', { reason: 'client' });
  }

  // --- one connection attempt, start to end -------------------------------------------------------------------

  async #connect() {
    const connection = new Connection();
    this.#connection = connection;
    let plan;
    try {
      plan = await this.#runConnection(connection);
    } catch (error) {
      plan = connection.plan ?? this.#retryWithBackoff('network', { message: String(error?.message ?? error) });
    }
    if (this.#connection === connection) {
      this.#connection = null;
    }
    this.#follow(plan);
  }

  /**
   * Opens the stream and reads it until it ends. Returns what to do next; throws on network failure.
   * @param {Connection} connection
   * @returns {Promise<Plan>}
   */
  async #runConnection(connection) {
    const token = await this.#askForToken();
    if (token.plan) {
      return token.plan;
    }
    connection.token = token.value;
    if (this.#finished) {
      return FINISHED;
    }
    const response = await this.#options.fetch(this.#streamUrl(), {
      method: 'GET',
      headers: this.#headers(connection.token, 'text/event-stream', this.#lastEventId),
      credentials: credentialsFor(connection.token),
      signal: connection.abort.signal,
    });
    if (response.status !== 200 || !isEventStream(response)) {
      return this.#planForRefusal(response);
    }
    await this.#readStream(response, connection);
    while (connection.snapshot) {
      await connection.snapshot; // held-back live events are delivered (a `reset` among them starts another)
    }
    return connection.plan ?? this.#planAfterStreamEnd(connection);
  }

  /** @returns {Promise<{value?: string, plan?: Plan}>} */
  async #askForToken() {
    const { token } = this.#options;
    if (typeof token !== 'function') {
      return { value: token };
    }
    const rejected = this.#tokenRejected;
    this.#tokenRejected = false;
    let value;
    try {
      value = await token({ rejected });
    } catch (error) {
      return { plan: this.#retryWithBackoff('token-error', { message: String(error?.message ?? error) }) };
    }
    if (typeof value !== 'string' || value === '') {
      return { plan: { stop: 'unauthorized', detail: { message: 'the token function returned no token' } } };
    }
    return { value };
  }

  /**
   * @param {Response} response  a 200 event stream
   * @param {Connection} connection
   */
  async #readStream(response, connection) {
    const reader = response.body.getReader();
    connection.reader = reader;
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true }); // the parser drops the BOM, as the spec says
    const parser = new EventStreamParser({
      onEvent: (event) => this.#receive(toMessage(event), connection),
      onRetry: (millis) => {
        this.#serverRetryMillis = millis;
        connection.retryMillis = millis;
      },
      onComment: (text) => {
        connection.lastComment = text.trim();
      },
    });
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || connection.plan || this.#finished) {
          break;
        }
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      // The stream broke (network, or our own abort): what happens next depends on what it delivered.
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  // --- what arrives on a stream --------------------------------------------------------------------------------

  /**
   * Every parsed event of a stream comes here first. While a snapshot is being fetched, events wait behind it.
   * @param {Message} message
   * @param {Connection} connection
   */
  #receive(message, connection) {
    if (this.#finished) {
      return;
    }
    if (!connection.opened) {
      this.#markHealthy(connection);
    }
    this.#route(message, connection);
  }

  /** @param {Message} message @param {Connection} connection */
  #route(message, connection) {
    if (connection.heldBack) {
      connection.heldBack.push(message);
    } else {
      this.#act(message, connection);
    }
  }

  /** The gateway accepted the stream: the first event (always `connected` from Sluice) proves it. */
  #markHealthy(connection) {
    connection.opened = true;
    this.#backoff.reset();
    this.#refreshedAfterUnauthorized = false;
    this.#setStatus('open', {});
  }

  /** @param {Message} message @param {Connection} connection */
  #act(message, connection) {
    this.#deliver(message);
    if (message.event.type === 'reset' && this.#options.snapshotOnReset) {
      this.#loadSnapshot(connection);
    } else if (message.event.type === 'disconnect' && message.data?.reconnect === false) {
      connection.plan = { stop: 'closed', detail: { reason: 'disconnected', message: message.data?.reason } };
      connection.abort.abort();
    }
  }

  /**
   * Hands one event to every matching handler, unless it has an id at or before the resume point (a repeat from
   * a snapshot). Events without an id never move the resume point.
   * @param {Message} message
   */
  #deliver(message) {
    if (this.#finished) {
      return;
    }
    const { id } = message.event;
    if (id !== null) {
      if (this.#lastEventId !== null && compareEventIds(id, this.#lastEventId) <= 0) {
        return;
      }
      this.#lastEventId = id;
    }
    for (const { pattern, handler } of [...this.#handlers]) {
      if (matchesType(pattern, message.event.type)) {
        callSafely(handler, message.data, message.event);
      }
    }
  }

  // --- reset: the snapshot ------------------------------------------------------------------------------------

  /**
   * Fetches `/v1/events` for the same topics and types, delivers it, then the live events that arrived meanwhile.
   * If it fails, the connection is dropped and the reconnect (with the same resume point) gets `reset` again.
   * @param {Connection} connection
   */
  #loadSnapshot(connection) {
    connection.heldBack = [];
    connection.snapshot = this.#fetchSnapshot(connection).then(
      (snapshot) => {
        connection.snapshot = undefined;
        for (const event of snapshot.events) {
          this.#deliver(snapshotMessage(event));
        }
        this.#advanceTo(snapshot.lastEventId);
        const heldBack = connection.heldBack;
        connection.heldBack = null;
        for (const message of heldBack) {
          this.#route(message, connection); // a `reset` among them holds the rest back behind its own snapshot
        }
      },
      (plan) => {
        connection.snapshot = undefined;
        connection.heldBack = null;
        connection.plan = plan;
        connection.abort.abort();
      },
    );
  }

  /** @returns {Promise<{events: any[], lastEventId: string | null}>} rejects with the Plan to follow */
  async #fetchSnapshot(connection) {
    let response;
    try {
      response = await this.#options.fetch(this.#snapshotUrl(), {
        method: 'GET',
        headers: this.#headers(connection.token, 'application/json', null),
        credentials: credentialsFor(connection.token),
        signal: connection.abort.signal,
      });
    } catch (error) {
      throw this.#retryWithBackoff('snapshot-failed', { message: String(error?.message ?? error) });
    }
    if (!response.ok) {
      throw await this.#planForRefusal(response);
    }
    const body = await response.json().catch(() => null);
    if (!body || !Array.isArray(body.events)) {
      throw this.#retryWithBackoff('snapshot-failed', { httpStatus: response.status, message: 'unreadable snapshot' });
    }
    return body;
  }

  /**
   * After a snapshot the resume point moves to the deployment's newest id when it is newer: every matching
   * event up to it was in the snapshot or was left out of it by its `limit`, as a snapshot means.
   * @param {string | null | undefined} id
   */
  #advanceTo(id) {
    if (typeof id === 'string' && (this.#lastEventId === null || compareEventIds(id, this.#lastEventId) > 0)) {
      this.#lastEventId = id;
    }
  }

  // --- deciding what comes next -------------------------------------------------------------------------------

  /**
   * A stream that ended by itself. A healthy one is resumed after the gateway's `retry:`. One that ended before
   * any event, having sent `retry:`, is the shed answer (CONTRACT §6): the gateway is busy and said when to come
   * back. Anything else is a failed attempt.
   * @param {Connection} connection
   * @returns {Plan}
   */
  #planAfterStreamEnd(connection) {
    if (connection.opened) {
      const delay = this.#serverRetryMillis ?? this.#backoff.next();
      return { wait: delay, detail: { cause: 'ended' } };
    }
    if (connection.retryMillis !== null) {
      return { wait: connection.retryMillis, detail: { cause: 'shed', message: connection.lastComment } };
    }
    return this.#retryWithBackoff('ended', {});
  }

  /**
   * Any answer that is not a 200 event stream (CONTRACT §6).
   * @param {Response} response
   * @returns {Promise<Plan>}
   */
  async #planForRefusal(response) {
    const status = response.status;
    if (status < 300) {
      response.body?.cancel().catch(() => {}); // a proxy's page, say, which may never end: not worth reading
      return this.#retryWithBackoff('not-an-event-stream', { httpStatus: status });
    }
    const detail = { httpStatus: status, ...(await readError(response)) };
    if (status === 401) {
      return this.#planAfterUnauthorized(detail);
    }
    if (status === 403) {
      return { stop: 'unauthorized', detail };
    }
    if (status === 429 || status === 503) {
      const cause = status === 429 ? 'too-many-connections' : 'unavailable';
      const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
      return retryAfter === null ? this.#retryWithBackoff(cause, detail) : { wait: retryAfter, detail: { cause, ...detail } };
    }
    if (status >= 400 && status < 500 && status !== 408) {
      return { stop: 'closed', detail: { reason: 'refused', ...detail } };
    }
    return this.#retryWithBackoff('server-error', detail);
  }

  /**
   * 401: a token function gets one more try with a fresh token; a string token or the cookie cannot get better
   * by asking again, so they stop at once. No loop: a second 401 before a healthy stream stops too.
   */
  #planAfterUnauthorized(detail) {
    if (typeof this.#options.token === 'function' && !this.#refreshedAfterUnauthorized) {
      this.#refreshedAfterUnauthorized = true;
      this.#tokenRejected = true;
      return { wait: 0, detail: { cause: 'unauthorized', ...detail } };
    }
    return { stop: 'unauthorized', detail };
  }

  /** @returns {Plan} */
  #retryWithBackoff(cause, detail) {
    return { wait: this.#backoff.next(), detail: { cause, ...detail } };
  }

  /** @param {Plan} plan */
  #follow(plan) {
    if (this.#finished || plan === FINISHED) {
      return;
    }
    if (plan.stop) {
      this.#finish(plan.stop, plan.detail);
      return;
    }
    this.#setStatus('reconnecting', { delay: plan.wait, ...plan.detail });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#connect();
    }, plan.wait);
  }

  /** Enters a final status: nothing runs, and nothing is called, after this. */
  #finish(status, detail) {
    if (this.#finished) {
      return;
    }
    this.#finished = true;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    const connection = this.#connection;
    this.#connection = null;
    connection?.abort.abort();
    connection?.reader?.cancel().catch(() => {});
    this.#setStatus(status, detail);
    this.#handlers.clear();
    this.#statusListeners.clear();
  }

  /** Notifies on a change, and on every new `reconnecting` wait. */
  #setStatus(status, detail) {
    if (status === this.#status && status !== 'reconnecting') {
      return;
    }
    this.#status = status;
    this.#notifyStatus(detail);
  }

  #notifyStatus(detail) {
    for (const listener of [...this.#statusListeners]) {
      callSafely(listener, this.#status, detail);
    }
  }

  // --- requests ------------------------------------------------------------------------------------------------

  /** `limit` goes only with a connect that has nothing to resume from; after that `Last-Event-ID` resumes. */
  #streamUrl() {
    const query = this.#filterQuery();
    if (this.#lastEventId === null && this.#options.limit !== undefined) {
      query.set('limit', String(this.#options.limit));
    }
    if (this.#options.presence) {
      query.set('presence', 'true');
    }
    return `${this.#options.url}${STREAM_PATH}?${query}`;
  }

  /** The snapshot takes the stream's `limit` when one was given (the gateway's default is 20). */
  #snapshotUrl() {
    const query = this.#filterQuery();
    if (this.#options.limit !== undefined) {
      query.set('limit', String(this.#options.limit));
    }
    return `${this.#options.url}${SNAPSHOT_PATH}?${query}`;
  }

  #filterQuery() {
    const query = new URLSearchParams();
    for (const topic of this.#options.topics) {
      query.append('topic', topic);
    }
    if (this.#options.types !== undefined) {
      query.set('types', this.#options.types);
    }
    return query;
  }

  /** The token travels only here, in a header: never in a URL, where logs and proxies would keep it. */
  #headers(token, accept, lastEventId) {
    const headers = { Accept: accept };
    if (token !== undefined) {
      headers.Authorization = `Bearer ${token}`;
    }
    if (lastEventId !== null) {
      headers['Last-Event-ID'] = lastEventId;
    }
    return headers;
  }
}

/**
 * What to do after an attempt: `{stop, detail}` ends the client with that status, `{wait, detail}` reconnects
 * after `wait` milliseconds.
 * @typedef {{stop: 'closed' | 'unauthorized', detail: StatusDetail} | {wait: number, detail: StatusDetail, stop?: undefined}} Plan
 */

/** The plan of an attempt that found the client already finished: do nothing. */
const FINISHED = Object.freeze({ wait: 0, detail: {} });

/** The state of one stream request, from fetch to the end of its body. */
class Connection {
  abort = new AbortController();
  /** @type {ReadableStreamDefaultReader<Uint8Array> | null} */
  reader = null;
  /** @type {string | undefined} the token this connection was opened with; the snapshot reuses it */
  token = undefined;
  /** An event arrived: the gateway accepted the subscription. */
  opened = false;
  /** @type {number | null} the `retry:` this connection sent, if any */
  retryMillis = null;
  /** @type {string | undefined} the last comment, which in a shed answer says why */
  lastComment = undefined;
  /** @type {Message[] | null} live events held back while a snapshot is fetched; null when none is */
  heldBack = null;
  /** @type {Promise<void> | undefined} the snapshot being fetched and delivered, if one is */
  snapshot = undefined;
  /** @type {Plan | undefined} set when something decided this connection's end (disconnect, failed snapshot) */
  plan = undefined;
}

/**
 * @typedef {{data: unknown, event: SluiceEvent}} Message
 */

/** @param {ParsedEvent} parsed @returns {Message} */
function toMessage(parsed) {
  return { data: decodeData(parsed.data), event: { id: parsed.id || null, type: parsed.type } };
}

/** A snapshot event (CONTRACT §3) as the handler sees it: like the live event, plus its topic. */
function snapshotMessage(event) {
  const type = typeof event.type === 'string' && event.type !== '' ? event.type : 'message';
  return {
    data: decodeSnapshotData(event.data),
    event: { id: event.id == null ? null : String(event.id), type, topic: event.topic },
  };
}

/** Without a token the browser sends the `sluice_token` cookie, cross-origin too; with one, no cookies are needed. */
function credentialsFor(token) {
  return token === undefined ? 'include' : 'same-origin';
}

function isEventStream(response) {
  const type = response.headers.get('Content-Type') ?? '';
  return type.split(';')[0].trim().toLowerCase() === 'text/event-stream' && response.body !== null;
}

/** The gateway's `{"error":{"code","message"}}`, when the answer has one; the body is consumed either way. */
async function readError(response) {
  try {
    const body = await response.json();
    const { code, message } = body?.error ?? {};
    return { ...(typeof code === 'string' && { code }), ...(typeof message === 'string' && { message }) };
  } catch {
    return {};
  }
}

/** A throwing handler is reported and does not stop the others or the stream. */
function callSafely(fn, ...args) {
  try {
    fn(...args);
  } catch (error) {
    if (typeof globalThis.reportError === 'function') {
      globalThis.reportError(error); // the browser's console and error listeners, as for an event listener
    } else {
      console.error(error);
    }
  }
}

/** Checks the options once, so a mistake fails at `new` with a message rather than later on the wire. */
function normalizeOptions(options) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('SluiceClient: options must be an object such as {url, topics}');
  }
  const { url = '', token, limit, snapshotOnReset = true, presence = false } = options;
  if (typeof url !== 'string') {
    throw new TypeError('SluiceClient: url must be the gateway base URL as a string, such as "https://gw.example"');
  }
  const topics = typeof options.topics === 'string' ? [options.topics] : options.topics;
  if (!Array.isArray(topics) || topics.length === 0 || !topics.every((t) => typeof t === 'string' && t !== '')) {
    throw new TypeError('SluiceClient: topics must name at least one topic, such as ["deploys"]');
  }
  const types = Array.isArray(options.types) ? options.types.join(',') : options.types;
  if (types !== undefined && (typeof types !== 'string' || types === '')) {
    throw new TypeError('SluiceClient: types must be globs such as ["deployment:*"] or "deployment:*,alert:*"');
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new TypeError('SluiceClient: limit must be a whole number of events, 0 or more');
  }
  if (token !== undefined && typeof token !== 'string' && typeof token !== 'function') {
    throw new TypeError('SluiceClient: token must be a string or a function returning one');
  }
  const fetchImpl = options.fetch ?? ((...args) => globalThis.fetch(...args));
  return {
    url: url.replace(/\/+$/, ''),
    topics: [...topics],
    types,
    limit,
    token,
    snapshotOnReset: Boolean(snapshotOnReset),
    presence: Boolean(presence),
    fetch: fetchImpl,
  };
}
