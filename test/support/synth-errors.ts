import type { FluxApp, SynthError } from '../../src/index.js';

/** The messages of every error `app.validate()` reports, in order; none when it passes. */
export function errorsOf(app: FluxApp): string[] {
  try {
    app.validate();
    return [];
  } catch (e) {
    return (e as SynthError).errors.map((x) => x.message);
  }
}
