import { buildApp } from './app.js';

// Writes the fleet's config repo to examples/operator-fleet/dist (committed, for readers).
buildApp(new URL('./dist', import.meta.url).pathname).synth();
