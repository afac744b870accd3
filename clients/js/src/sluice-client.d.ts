// Types for sluice-client.js (CONTRACT §14). Hand-written; keep in step with the JSDoc in the module.

/** The client's state. `unauthorized` and `closed` are final: create a new client to start again. */
export type SluiceStatus = 'connecting' | 'open' | 'reconnecting' | 'unauthorized' | 'closed';

/** Why a status was entered. Every field is optional. */
export interface StatusDetail {
  /** `reconnecting`: milliseconds until the next attempt. */
  delay?: number;
  /** `reconnecting`: what ended the last attempt. */
  cause?:
    | 'ended'
    | 'shed'
    | 'network'
    | 'unauthorized'
    | 'too-many-connections'
    | 'unavailable'
    | 'server-error'
    | 'not-an-event-stream'
    | 'token-error'
    | 'snapshot-failed';
  /** `closed`: `client` (close() was called), `disconnected` (the gateway said so), `refused` (such as 400). */
  reason?: 'client' | 'disconnected' | 'refused';
  /** The HTTP status that caused it, when one did. */
  httpStatus?: number;
  /** The gateway's error code, when it sent one (`unauthorized`, `forbidden`, `invalid_request`, …). */
  code?: string;
  /** The gateway's words: its error message, the shed comment or the disconnect reason. */
  message?: string;
}

/** What a handler learns besides the data. */
export interface SluiceEvent {
  /** The event id; null for events without one (`connected`, `reset`, `disconnect`, `presence:*`). */
  id: string | null;
  /** The event type; `message` when the publisher gave none. */
  type: string;
  /** Present on events from a snapshot; the stream does not carry it. */
  topic?: string;
}

/**
 * Receives an event's data: its text parsed as JSON when it parses, else the text itself. Give `T` the shape your
 * publisher sends, e.g. `client.on<{ percent: number }>('progress', (data) => bar.value = data.percent)`.
 */
export type SluiceHandler<T = any> = (data: T, event: SluiceEvent) => void;

/**
 * Called before every connect and reconnect. `rejected` is true when the gateway has just refused the previous
 * token with 401: do not return a cached one then. Return null to give up (`unauthorized`); throw to have the
 * attempt retried with backoff.
 */
export type TokenSource = (info: { rejected: boolean }) => string | null | undefined | Promise<string | null | undefined>;

export interface SluiceOptions {
  /** The gateway's base URL, such as `https://gw.example` (default: this page's origin). */
  url?: string;
  /** Topics to read; the gateway adds `broadcast` and, with a token, `user/<you>`. */
  topics: string | string[];
  /** Only event types matching these globs are sent (`*` = any run of characters). */
  types?: string | string[];
  /** On a connect with nothing to resume from, first replay the newest `limit` events; also the snapshot size. */
  limit?: number;
  /** Sent as `Authorization: Bearer`; without it the browser sends its cookies (`sluice_token`). */
  token?: string | TokenSource;
  /** On `reset`, fetch the snapshot and deliver it before live events (default true). */
  snapshotOnReset?: boolean;
  /** Ask for `presence:join` / `presence:leave` events on tracked topics (CONTRACT §11). */
  presence?: boolean;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
}

export declare class SluiceClient {
  /** Connects right after the constructor returns: handlers registered right after `new` miss nothing. */
  constructor(options: SluiceOptions);
  /** The current status. */
  readonly status: SluiceStatus;
  /** The id the next reconnect resumes from (`Last-Event-ID`), or null before any event with an id. */
  readonly lastEventId: string | null;
  /**
   * Calls `handler` for every event whose type matches `pattern` (`*` = any run of characters). Control events
   * (`connected`, `reset`, `disconnect`) reach only handlers that name them exactly. Returns the handler's removal.
   */
  on<T = any>(pattern: string, handler: SluiceHandler<T>): () => void;
  /** Calls `listener` on every status change, and with `reconnecting` at each new wait. Returns its removal. */
  onStatus(listener: (status: SluiceStatus, detail: StatusDetail) => void): () => void;
  /** Stops for good: aborts the request, cancels the reader, clears every timer. Idempotent. */
  close(): void;
}

/** One parsed event, before JSON decoding. `id` is this block's `id:` field, or null when it had none. */
export interface ParsedEvent {
  type: string;
  data: string;
  id: string | null;
}

/** The WHATWG text/event-stream parser the client uses; feed it decoded text in chunks of any size. */
export declare class EventStreamParser {
  constructor(callbacks: {
    onEvent: (event: ParsedEvent) => void;
    onRetry?: (millis: number) => void;
    onComment?: (text: string) => void;
  });
  /** The spec's "last event ID string". */
  readonly lastEventId: string;
  feed(text: string): void;
}

/** Exponential backoff with full jitter: the n-th wait is uniform in [0, min(cap, base × 2^n)). */
export declare class Backoff {
  constructor(options?: { baseMillis?: number; capMillis?: number; random?: () => number });
  readonly failures: number;
  next(): number;
  reset(): void;
}

export declare const DEFAULT_BACKOFF_BASE_MILLIS: number;
export declare const MAX_BACKOFF_MILLIS: number;
export declare const CONTROL_EVENT_TYPES: readonly ['connected', 'reset', 'disconnect'];
/** Whether `type` matches an `on` pattern. */
export declare function matchesType(pattern: string, type: string): boolean;
/** An event's text as handlers get it: parsed as JSON when it parses, else the text. */
export declare function decodeData(text: string): unknown;
/** A snapshot event's `data` as handlers get it: the same value as the live event's. */
export declare function decodeSnapshotData(value: unknown): unknown;
/** Orders two gateway event ids; NaN when they cannot be compared. */
export declare function compareEventIds(a: string, b: string): number;
/** A `Retry-After` header in milliseconds, or null. */
export declare function parseRetryAfter(value: string | null, now?: number): number | null;
