/**
 * A gateway the test plays by hand: `gateway.fetch` records each request and leaves it hanging until the test
 * answers it. Answers are real `Response` objects with real web streams, so the client reads them exactly as it
 * reads a browser's fetch; an abort behaves as the browser's does (the request, or the body already being read,
 * fails with AbortError).
 */
export class FakeGateway {
  /** @type {GatewayRequest[]} */
  requests = [];

  /** A fetch with the browser's signature. */
  fetch = (url, init = {}) =>
    new Promise((resolve, reject) => {
      this.requests.push(new GatewayRequest(String(url), init, resolve, reject));
    });

  /** The n-th request (0-based), once it has been made. */
  async request(n) {
    await until(() => this.requests.length > n, `request #${n} to be made`);
    return this.requests[n];
  }

  /** Every URL asked for, in order. */
  get urls() {
    return this.requests.map((request) => request.url);
  }
}

export class GatewayRequest {
  /** Set once the client aborted this request or the body it was reading. */
  aborted = false;
  /** Set once the client cancelled its reader on the body. */
  readerCancelled = false;
  #resolve;
  #reject;
  /** @type {ReadableStreamDefaultController | null} */
  #body = null;
  #bodyClosed = false;

  constructor(url, init, resolve, reject) {
    this.url = url;
    this.path = new URL(url).pathname;
    this.query = new URL(url).searchParams;
    this.headers = new Headers(init.headers);
    this.credentials = init.credentials;
    this.#resolve = resolve;
    this.#reject = reject;
    init.signal?.addEventListener('abort', () => this.#abort());
  }

  /**
   * Answers 200 with an event stream whose body stays open; write to it with {@link GatewayRequest#write}.
   * @param {Record<string, string>} [headers]
   */
  openStream(headers = { 'Content-Type': 'text/event-stream; charset=utf-8' }) {
    const body = new ReadableStream({
      start: (controller) => {
        this.#body = controller;
      },
      cancel: () => {
        this.readerCancelled = true;
      },
    });
    this.#resolve(new Response(body, { status: 200, headers }));
    return this;
  }

  /** Sends text (or raw bytes) on the open stream, as one chunk. */
  write(chunk) {
    this.#body.enqueue(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
    return this;
  }

  /** Ends the stream as a gateway closing the connection does. */
  end() {
    this.#bodyClosed = true;
    this.#body.close();
  }

  /** Answers with a complete body: JSON for objects, text for strings. */
  answer(status, body = '', headers = {}) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const contentType = typeof body === 'string' ? 'text/plain' : 'application/json';
    this.#resolve(new Response(status === 204 ? null : text, { status, headers: { 'Content-Type': contentType, ...headers } }));
  }

  /** An error answer in the gateway's shape (CONTRACT §6). */
  refuse(status, code, headers = {}) {
    this.answer(status, { error: { code, message: `${code}: as the test says` } }, headers);
  }

  /** The network failed before any answer. */
  failNetwork() {
    this.#reject(new TypeError('fetch failed'));
  }

  #abort() {
    this.aborted = true;
    const error = new DOMException('The operation was aborted.', 'AbortError');
    this.#reject(error);
    if (this.#body && !this.#bodyClosed) {
      this.#bodyClosed = true;
      this.#body.error(error);
    }
  }
}

/**
 * Waits, without sleeping, until `condition()` holds: lets pending promise jobs and I/O callbacks run between
 * checks, a bounded number of times.
 */
export async function until(condition, what = 'the condition') {
  for (let turn = 0; turn < 200; turn++) {
    if (condition()) {
      return;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Lets every promise job and I/O callback that is ready run, so "nothing more happened" can be asserted. */
export async function settle() {
  for (let turn = 0; turn < 20; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}
