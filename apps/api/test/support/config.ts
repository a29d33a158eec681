import { expect } from 'vitest';
import { ApiConfigError, loadApiConfig } from '../../src/index.ts';

/** The problems `loadApiConfig` reports for `env` (it must throw an {@link ApiConfigError}). */
export function problemsFor(env: NodeJS.ProcessEnv): { variable: string; message: string }[] {
  try {
    loadApiConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiConfigError);
    return [...(err as ApiConfigError).problems];
  }
  throw new Error('expected loadApiConfig to throw');
}
