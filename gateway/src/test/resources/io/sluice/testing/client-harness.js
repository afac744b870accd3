/**
 * Runs SluiceClients in a page on another origin than the gateway and records what the application would see:
 * every event its handlers get, every status, every call of its token function, and every request the client made
 * (through the `fetch` option, which passes each call on to the browser's fetch unchanged). ClientEndToEndTest drives
 * it with executeScript and reads the records back. Nothing here decides anything: it only records.
 */
export function install(SluiceClient, gateway) {
  const runs = new Map();

  /** A JSON copy of a value, so selenium hands the test plain maps and lists. */
  const plain = (value) => (value === undefined ? null : JSON.parse(JSON.stringify(value)));

  window.harness = {
    /**
     * Starts client `name` on the gateway, with SluiceClient `options` (not `url`, `token` or `fetch`) and:
     *   patterns        handler patterns, each registered with `on` (default ['*'])
     *   tokens          a token function handing these out in turn, the last one again once they run out
     *   holdTokenCall   with `tokens`: that call (1 for the first) waits until release(name)
     *   token           a token string, as is
     */
    start(name, { patterns = ['*'], tokens, holdTokenCall, ...options }) {
      const record = { events: [], statuses: [], tokenCalls: [], requests: [] };
      const run = { record, release: null };
      const clientOptions = {
        ...options,
        url: gateway,
        fetch: (url, init) => {
          record.requests.push({ url: String(url), headers: plain(init.headers), credentials: init.credentials });
          return fetch(url, init);
        },
      };
      if (tokens) {
        clientOptions.token = async ({ rejected }) => {
          record.tokenCalls.push({ rejected, at: performance.now() });
          const call = record.tokenCalls.length;
          if (call === holdTokenCall) {
            await new Promise((resolve) => { run.release = resolve; });
          }
          return tokens[Math.min(call, tokens.length) - 1];
        };
      }
      const client = new SluiceClient(clientOptions);
      for (const pattern of patterns) {
        client.on(pattern, (data, event) => {
          record.events.push({ pattern, type: event.type, id: event.id, topic: event.topic ?? null,
            json: JSON.stringify(data), dataType: typeof data, data: plain(data), at: performance.now() });
        });
      }
      client.onStatus((status, detail) => {
        record.statuses.push({ status, detail: plain(detail), at: performance.now() });
      });
      run.client = client;
      runs.set(name, run);
    },

    /** What client `name` has seen so far, and where it stands. */
    record(name) {
      const { record, client } = runs.get(name);
      return { ...plain(record), status: client.status, lastEventId: client.lastEventId };
    },

    /** Whether client `name` is waiting in its held token call. */
    holding(name) {
      return runs.get(name).release !== null;
    },

    /** Lets the held token call of client `name` return. */
    release(name) {
      const run = runs.get(name);
      run.release();
      run.release = null;
    },

    close(name) {
      runs.get(name).client.close();
    },

    closeAll() {
      for (const run of runs.values()) {
        run.client.close();
        run.release?.();
      }
    },
  };
}
