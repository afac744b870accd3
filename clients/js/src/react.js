/**
 * React hook for SluiceClient. React is the caller's (a peer dependency), handed in once:
 *
 *   // sluice.js in your app
 *   import * as React from 'react';
 *   import { createSluiceHook } from 'sluice-client/react';
 *   export const useSluice = createSluiceHook(React);
 *
 * The client lives as long as the component stays mounted with options that describe the same stream; other
 * topics (say) replace it, and unmounting closes it. Works under StrictMode's double mount.
 */
import { SluiceClient } from './sluice-client.js';
import { connectionKey } from './connection-key.js';

/**
 * @param {Pick<typeof import('react'), 'useEffect' | 'useRef' | 'useState'>} react
 */
export function createSluiceHook({ useEffect, useRef, useState }) {
  /**
   * @param {import('./sluice-client.js').SluiceOptions} options
   * @param {Record<string, import('./sluice-client.js').SluiceHandler>} [handlers]  pattern → handler, as for
   *   `client.on`. The latest handlers (and the latest token function) are always the ones called, so inline
   *   functions are fine and never reconnect.
   * @returns {{status: import('./sluice-client.js').SluiceStatus, detail: import('./sluice-client.js').StatusDetail, client: SluiceClient | null}}
   *   `client` is null until the first effect has run
   */
  return function useSluice(options, handlers = {}) {
    const [state, setState] = useState({ status: 'connecting', detail: {}, client: null });
    const latest = useRef({ options, handlers });
    const clientRef = useRef(null);
    const key = connectionKey(options);
    const patterns = Object.keys(handlers);
    const patternsKey = JSON.stringify(patterns);

    // Declared first, so the effects below read this render's options and handlers.
    useEffect(() => {
      latest.current = { options, handlers };
    });

    useEffect(() => {
      const { token } = latest.current.options;
      const client = new SluiceClient({
        ...latest.current.options,
        ...(typeof token === 'function' && { token: (info) => latest.current.options.token(info) }),
      });
      const stopStatus = client.onStatus((status, detail) => setState({ status, detail, client }));
      clientRef.current = client;
      setState({ status: client.status, detail: {}, client });
      return () => {
        stopStatus(); // a replaced client's `closed` is not this stream's status
        client.close();
      };
    }, [key]);

    // Runs right after the client is made, in the same commit: events cannot arrive before it.
    useEffect(() => {
      const offs = patterns.map((pattern) =>
        clientRef.current.on(pattern, (data, event) => latest.current.handlers[pattern]?.(data, event)),
      );
      return () => offs.forEach((off) => off());
    }, [key, patternsKey]);

    return state;
  };
}
