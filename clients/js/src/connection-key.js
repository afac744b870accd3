/**
 * Shared by the Vue and React adapters: when do new options need a new connection?
 */

/**
 * A string equal for two option objects exactly when they describe the same stream, so an adapter replaces its
 * client only when the stream itself must change. A token function counts by its presence, not its identity:
 * components make a new closure on every render, and the adapters keep calling the latest one.
 * @param {import('./sluice-client.js').SluiceOptions} options
 * @returns {string}
 */
export function connectionKey(options) {
  const { url = '', topics, types, limit, token, snapshotOnReset = true, presence = false } = options;
  return JSON.stringify([
    url,
    typeof topics === 'string' ? [topics] : topics,
    Array.isArray(types) ? types.join(',') : types,
    limit,
    typeof token === 'function' ? 'token function' : token,
    Boolean(snapshotOnReset),
    Boolean(presence),
  ]);
}
