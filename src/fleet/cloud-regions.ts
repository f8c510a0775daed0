/*
 * The regions of the clouds whose registries flux-fleet names by region (`Registry.ecr`, `Registry.gar`,
 * `Registry.acr`), so that a misspelled region fails synth with a suggestion rather than giving URLs on a host that
 * does not exist. A region a cloud opened after these lists were made is accepted with the registry's
 * `additionalRegions`.
 */

/**
 * AWS regions of the partitions ECR hosts are built for (`aws`, `aws-cn`, `aws-us-gov`).
 * Source: the AWS SDK for JavaScript v3, `packages/util-endpoints/src/lib/aws/partitions.json` (commit 685ff5d0),
 * each partition's `regions` without the `*-global` pseudo-regions.
 */
export const AWS_REGIONS: readonly string[] = [
  'af-south-1', 'ap-east-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-south-2',
  'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-7',
  'ca-central-1', 'ca-west-1', 'eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1',
  'eu-west-2', 'eu-west-3', 'il-central-1', 'me-central-1', 'me-south-1', 'mx-central-1', 'sa-east-1', 'us-east-1',
  'us-east-2', 'us-west-1', 'us-west-2',
  'cn-north-1', 'cn-northwest-1',
  'us-gov-east-1', 'us-gov-west-1',
];

/**
 * Google Cloud regions, where Artifact Registry keeps regional repositories and GKE runs: the names
 * `gcloud compute regions list` gives. Google publishes no machine-readable list outside its API; this one was compiled
 * in November 2026 from Compute Engine's "Regions and zones" documentation and checked against public projects that
 * list them. Update it when Google opens a region (meanwhile, `additionalRegions` accepts it).
 */
export const GCP_REGIONS: readonly string[] = [
  'africa-south1', 'asia-east1', 'asia-east2', 'asia-northeast1', 'asia-northeast2', 'asia-northeast3', 'asia-south1',
  'asia-south2', 'asia-southeast1', 'asia-southeast2', 'asia-southeast3', 'australia-southeast1', 'australia-southeast2',
  'europe-central2', 'europe-north1', 'europe-north2', 'europe-southwest1', 'europe-west1', 'europe-west2', 'europe-west3',
  'europe-west4', 'europe-west6', 'europe-west8', 'europe-west9', 'europe-west10', 'europe-west12', 'me-central1',
  'me-central2', 'me-west1', 'northamerica-northeast1', 'northamerica-northeast2', 'northamerica-south1',
  'southamerica-east1', 'southamerica-west1', 'us-central1', 'us-east1', 'us-east4', 'us-east5', 'us-south1', 'us-west1',
  'us-west2', 'us-west3', 'us-west4',
];

/** Artifact Registry's multi-region locations (`gcloud artifacts locations list`): Asia, Europe, the United States. */
export const GCP_MULTI_REGIONS: readonly string[] = ['asia', 'europe', 'us'];

/**
 * The physical regions of Azure's public cloud, as `az account list-locations` names them (`name`, where
 * `metadata.regionType` is `Physical`). Microsoft publishes no machine-readable list outside its API; this one was
 * compiled in November 2026 from Microsoft's regions documentation and checked against public projects that list them.
 * Update it when Microsoft opens a region (meanwhile, `additionalRegions` accepts it).
 */
export const AZURE_REGIONS: readonly string[] = [
  'australiacentral', 'australiacentral2', 'australiaeast', 'australiasoutheast', 'austriaeast', 'belgiumcentral',
  'brazilsouth', 'brazilsoutheast', 'canadacentral', 'canadaeast', 'centralindia', 'centralus', 'chilecentral',
  'denmarkeast', 'eastasia', 'eastus', 'eastus2', 'francecentral', 'francesouth', 'germanynorth', 'germanywestcentral',
  'indonesiacentral', 'israelcentral', 'italynorth', 'japaneast', 'japanwest', 'jioindiacentral', 'jioindiawest',
  'koreacentral', 'koreasouth', 'malaysiawest', 'mexicocentral', 'newzealandnorth', 'northcentralus', 'northeurope',
  'norwayeast', 'norwaywest', 'polandcentral', 'qatarcentral', 'southafricanorth', 'southafricawest', 'southcentralus',
  'southeastasia', 'southindia', 'spaincentral', 'swedencentral', 'switzerlandnorth', 'switzerlandwest', 'taiwannorth',
  'taiwannorthwest', 'uaecentral', 'uaenorth', 'uksouth', 'ukwest', 'westcentralus', 'westeurope', 'westindia',
  'westus', 'westus2', 'westus3',
];

/**
 * The known region closest in spelling to `region` (at most a few edits away, or the same once case, spaces and
 * dashes are ignored), for a "did you mean" hint; undefined when none is close.
 */
export function closestRegion(region: string, known: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, '');
  const exact = known.find((k) => squash(k) === squash(region));
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(region.length / 4)) + 1;
  for (const k of known) {
    const d = editDistance(region.toLowerCase(), k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance, with a transposition of two neighbours counted as one edit. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (__, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
