/**
 * A clock the test drives: replaces the global setTimeout / clearTimeout while installed, so the client's waits
 * run when the test says and the test can count the timers still pending (a leak is a pending timer after
 * close()). Nothing else in these tests uses timers; microtasks and setImmediate stay real.
 */
export class FakeClock {
  #now = 0;
  #nextId = 1;
  /** @type {Map<number, {due: number, delay: number, callback: () => void}>} */
  #timers = new Map();
  #original = null;

  install() {
    this.#original = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout };
    globalThis.setTimeout = (callback, delay = 0) => {
      const id = this.#nextId++;
      this.#timers.set(id, { due: this.#now + delay, delay, callback });
      return id;
    };
    globalThis.clearTimeout = (id) => {
      this.#timers.delete(id);
    };
    return this;
  }

  uninstall() {
    Object.assign(globalThis, this.#original);
  }

  /** Timers scheduled and neither fired nor cleared. */
  get pending() {
    return this.#timers.size;
  }

  /** The delays of the pending timers, in scheduling order. */
  get pendingDelays() {
    return [...this.#timers.values()].map((timer) => timer.delay);
  }

  /** Moves time forward, firing every timer that falls due, in due order. */
  advance(millis) {
    const until = this.#now + millis;
    for (;;) {
      const next = [...this.#timers.entries()].sort((a, b) => a[1].due - b[1].due)[0];
      if (!next || next[1].due > until) {
        break;
      }
      this.#timers.delete(next[0]);
      this.#now = next[1].due;
      next[1].callback();
    }
    this.#now = until;
  }
}
