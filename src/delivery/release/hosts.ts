import type { ReleaseManifest } from '../../output/release-manifest.js';

/**
 * The registry hosts of the fleet itself: those of the clusters' configs, of the component artifacts and of the
 * regional copies of mirrored artifacts (not the upstreams they are copied from), sorted.
 */
export function fleetRegistryHosts(release: ReleaseManifest): string[] {
  const urls = [
    ...release.clusters.map((c) => c.url),
    ...release.artifacts.flatMap((a) => a.targets.map((t) => t.url)),
    ...release.external.filter((e) => e.mirror).flatMap((e) => e.targets.map((t) => t.url)),
  ];
  return [...new Set(urls.map((u) => u.slice('oci://'.length).split('/')[0]))].sort();
}
