import type { SluiceOptions } from './sluice-client.js';

/** Equal for two option objects exactly when they describe the same stream. */
export declare function connectionKey(options: SluiceOptions): string;
