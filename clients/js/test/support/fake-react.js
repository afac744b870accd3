/**
 * Just enough of React's hooks to run a custom hook the way React does: state that re-renders when set, refs,
 * and passive effects whose cleanups all run before the next setups, in declaration order, only when their
 * dependencies changed. `mount(hook, ...args)` renders once and commits, like React Testing Library's
 * renderHook inside act().
 */
export function fakeReact() {
  let current = null;

  function slot(init) {
    const instance = current;
    const index = instance.cursor++;
    if (!(index in instance.slots)) {
      instance.slots[index] = init();
    }
    return { instance, index };
  }

  const React = {
    useState(initial) {
      const { instance, index } = slot(() => ({ value: typeof initial === 'function' ? initial() : initial }));
      const cell = instance.slots[index];
      const set = (next) => {
        cell.value = typeof next === 'function' ? next(cell.value) : next;
        instance.requestRender();
      };
      return [cell.value, set];
    },
    useRef(initial) {
      const { instance, index } = slot(() => ({ current: initial }));
      return instance.slots[index];
    },
    useEffect(setup, deps) {
      const { instance, index } = slot(() => ({ deps: undefined, cleanup: undefined, mounted: false }));
      const effect = instance.slots[index];
      const changed = !effect.mounted || deps === undefined || deps.some((dep, i) => !Object.is(dep, effect.deps[i]));
      if (changed) {
        instance.pendingEffects.push({ effect, setup, deps });
      }
    },
  };

  function mount(hook, ...args) {
    const instance = {
      slots: [],
      cursor: 0,
      pendingEffects: [],
      committing: false,
      unmounted: false,
      renders: 0,
      result: undefined,
      args,
      requestRender() {
        if (!instance.unmounted && !instance.committing) {
          render();
        } else {
          instance.dirty = true;
        }
      },
    };

    function render() {
      do {
        instance.dirty = false;
        instance.committing = true;
        current = instance;
        instance.cursor = 0;
        instance.renders += 1;
        instance.result = hook(...instance.args);
        current = null;
        const effects = instance.pendingEffects.splice(0);
        for (const { effect } of effects) {
          effect.cleanup?.();
        }
        for (const item of effects) {
          item.effect.cleanup = item.setup();
          item.effect.deps = item.deps;
          item.effect.mounted = true;
        }
        instance.committing = false;
      } while (instance.dirty && !instance.unmounted);
    }

    render();
    return {
      get result() {
        return instance.result;
      },
      get renders() {
        return instance.renders;
      },
      rerender(...nextArgs) {
        instance.args = nextArgs;
        render();
      },
      unmount() {
        instance.unmounted = true;
        for (const item of instance.slots) {
          item?.cleanup?.();
        }
      },
    };
  }

  return { React, mount };
}
