/**
 * The part of Vue 3 the composable uses, with one component scope the test can dispose (an unmount) and
 * watchers the test re-checks by hand (what Vue's scheduler does after a reactive change).
 */
export function fakeVue() {
  const watchers = [];
  const disposers = [];
  const vue = {
    shallowRef: (value) => ({ __v_isRef: true, value }),
    shallowReadonly: (ref) => ({
      __v_isRef: true,
      get value() {
        return ref.value;
      },
    }),
    isRef: (value) => Boolean(value && value.__v_isRef),
    isReactive: () => false,
    unref: (value) => (value && value.__v_isRef ? value.value : value),
    watch: (source, callback) => {
      watchers.push({ source, callback, last: source() });
    },
    onScopeDispose: (fn) => disposers.push(fn),
  };
  return {
    vue,
    /** Re-evaluates every watch source and calls back those whose value changed. */
    flushWatchers() {
      for (const watcher of watchers) {
        const value = watcher.source();
        if (value !== watcher.last) {
          const old = watcher.last;
          watcher.last = value;
          watcher.callback(value, old);
        }
      }
    },
    unmount() {
      disposers.splice(0).forEach((fn) => fn());
    },
  };
}
