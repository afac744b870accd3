// Types for vue.js. Vue's own types come from the application's `vue` (a peer dependency).
import type { MaybeRefOrGetter, Ref } from 'vue';
import type { SluiceClient, SluiceHandler, SluiceOptions, SluiceStatus, StatusDetail } from './sluice-client.js';

export interface UseSluice {
  /** Current status, for templates: `<span v-if="status === 'reconnecting'">…</span>`. */
  status: Readonly<Ref<SluiceStatus>>;
  /** Why the current status was entered (delay before the next attempt, the gateway's message …). */
  detail: Readonly<Ref<StatusDetail>>;
  /** The client in use; replaced when reactive options name another stream. */
  client: Readonly<Ref<SluiceClient>>;
  /** Like `client.on`, kept across client replacements, dropped when the component unmounts. */
  on<T = any>(pattern: string, handler: SluiceHandler<T>): () => void;
  /** Closes the stream before unmount. */
  close(): void;
}

/** `export const useSluice = createSluiceComposable(Vue)` once in your app, with `import * as Vue from 'vue'`. */
export declare function createSluiceComposable(vue: typeof import('vue')): (options: MaybeRefOrGetter<SluiceOptions>) => UseSluice;
