import { buildApp } from './app.js';

// Writes one YAML file per chart to examples/single-cluster/dist.
buildApp(new URL('./dist', import.meta.url).pathname).synth();
