// Pushes artifacts under many tags into an OCI layout, starting at a given time so that several processes overlap:
// `node --import tsx test/support/layout-writer.ts <layout> <prefix> <count> <start time, ms since the epoch>`.
import { OciLayout, pushArtifact } from '../../src/delivery/index.js';
import { packArtifact } from '../../src/flux/artifact/index.js';

const [layout, prefix, count, startAt] = process.argv.slice(2);
const store = new OciLayout(layout);
const artifacts = Array.from({ length: Number(count) }, (_, i) => packArtifact([{ path: 'a.yaml', content: Buffer.from(`${prefix}: ${i}\n`) }]));
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
for (const [i, artifact] of artifacts.entries()) await pushArtifact(store, artifact, [`${prefix}-${i}`]);
