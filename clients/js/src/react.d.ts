// Types for react.js. React itself is the application's (a peer dependency).
import type { SluiceClient, SluiceHandler, SluiceOptions, SluiceStatus, StatusDetail } from './sluice-client.js';

export interface UseSluiceResult {
  status: SluiceStatus;
  detail: StatusDetail;
  /** Null until the first effect has run. */
  client: SluiceClient | null;
}

/** The React pieces the hook uses; pass `React` itself. */
export interface ReactHooks {
  useEffect: typeof import('react').useEffect;
  useRef: typeof import('react').useRef;
  useState: typeof import('react').useState;
}

/**
 * `export const useSluice = createSluiceHook(React)` once in your app. The hook takes the client's options and a
 * map of pattern → handler; the latest handlers and token function are always the ones called.
 */
export declare function createSluiceHook(
  react: ReactHooks,
): (options: SluiceOptions, handlers?: Record<string, SluiceHandler>) => UseSluiceResult;
