/**
 * Vue 3 composable for SluiceClient. Vue is the caller's (a peer dependency), handed in once:
 *
 *   // sluice.js in your app
 *   import * as Vue from 'vue';
 *   import { createSluiceComposable } from 'sluice-client/vue';
 *   export const useSluice = createSluiceComposable(Vue);
 *
 * The client lives as long as the component (or effect scope) that called `useSluice`: unmounting closes it,
 * which drops every handler registered through `on`.
 */
import { SluiceClient } from './sluice-client.js';
import { connectionKey } from './connection-key.js';

/**
 * @param {Pick<typeof import('vue'), 'shallowRef' | 'shallowReadonly' | 'watch' | 'onScopeDispose' | 'isRef' | 'isReactive' | 'unref'>} vue
 */
export function createSluiceComposable(vue) {
  const { shallowRef, shallowReadonly, watch, onScopeDispose, isRef, isReactive, unref } = vue;

  /**
   * Opens a stream for the calling component. `options` may be a plain object, a ref, a reactive object or a
   * getter; when it is one of the last three and the stream it describes changes (other topics, say), the
   * client is replaced and the handlers move to the new one.
   * @param {import('./sluice-client.js').SluiceOptions | (() => import('./sluice-client.js').SluiceOptions) | import('vue').Ref<import('./sluice-client.js').SluiceOptions>} options
   */
  return function useSluice(options) {
    const status = shallowRef('connecting');
    const detail = shallowRef({});
    /** @type {import('vue').ShallowRef<SluiceClient>} */
    const client = shallowRef();
    /** @type {Set<{pattern: string, handler: Function, off: () => void}>} */
    const registrations = new Set();
    let stopStatus = () => {};

    const readOptions = () => (typeof options === 'function' ? options() : unref(options));

    function connect() {
      const next = new SluiceClient(readOptions());
      stopStatus = next.onStatus((value, why) => {
        status.value = value;
        detail.value = why;
      });
      for (const registration of registrations) {
        registration.off = next.on(registration.pattern, registration.handler);
      }
      status.value = next.status;
      detail.value = {};
      client.value = next;
    }

    connect();
    if (typeof options === 'function' || isRef(options) || isReactive(options)) {
      watch(
        () => connectionKey(readOptions()),
        () => {
          stopStatus(); // the old client's `closed` is not this stream's status
          client.value.close();
          connect();
        },
      );
    }
    onScopeDispose(() => client.value.close());

    /**
     * Calls `handler(data, event)` for events whose type matches `pattern`, until the component unmounts or the
     * returned function is called.
     * @param {string} pattern
     * @param {import('./sluice-client.js').SluiceHandler} handler
     */
    function on(pattern, handler) {
      const registration = { pattern, handler, off: client.value.on(pattern, handler) };
      registrations.add(registration);
      return () => {
        registrations.delete(registration);
        registration.off();
      };
    }

    // shallowReadonly, not readonly: a deep proxy around the client would break its private fields.
    return {
      status: shallowReadonly(status),
      detail: shallowReadonly(detail),
      client: shallowReadonly(client),
      on,
      close: () => client.value.close(),
    };
  };
}
