/**
 * The third-party actions the generated GitHub Actions workflow uses, each pinned to the commit of a release tag, so
 * that a tag moved upstream changes nothing: a workflow holding `id-token: write` and signing secrets runs only code
 * that was reviewed. Each commit was read from the action's own repository, at its tag:
 *
 * | action | tag | tag date |
 * |---|---|---|
 * | actions/checkout | v7.0.1 | 2026-07-17 |
 * | actions/setup-node | v7.0.0 | 2026-07-13 |
 * | docker/login-action | v4.1.0 | 2026-04-02 |
 * | aws-actions/configure-aws-credentials | v6.2.3 | 2026-07-22 |
 * | azure/login | v3.0.1 | 2026-08-04 |
 * | google-github-actions/auth | v3.0.0 | 2025-08-28 |
 * | google-github-actions/setup-gcloud | v3.0.1 | 2025-08-28 |
 * | actions/upload-artifact | v7.0.0 | 2026-02-25 |
 * | actions/download-artifact | v8.0.1 | 2026-03-11 |
 *
 * `GithubWorkflowOptions.actions` replaces any of them (an organization's mirror of an action, or a newer release).
 */
export const ACTION_PINS = {
  'checkout': { action: 'actions/checkout', tag: 'v7.0.1', commit: '3d3c42e5aac5ba805825da76410c181273ba90b1' },
  'setup-node': { action: 'actions/setup-node', tag: 'v7.0.0', commit: '820762786026740c76f36085b0efc47a31fe5020' },
  'docker-login': { action: 'docker/login-action', tag: 'v4.1.0', commit: '4907a6ddec9925e35a0a9e82d7399ccc52663121' },
  'aws-credentials': { action: 'aws-actions/configure-aws-credentials', tag: 'v6.2.3', commit: 'e6de054238d6b7531b4efff3b6587d9aade6a06c' },
  'azure-login': { action: 'azure/login', tag: 'v3.0.1', commit: 'f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca' },
  'gcp-auth': { action: 'google-github-actions/auth', tag: 'v3.0.0', commit: '7c6bc770dae815cd3e89ee6cdf493a5fab2cc093' },
  'setup-gcloud': { action: 'google-github-actions/setup-gcloud', tag: 'v3.0.1', commit: 'aa5489c8933f4cc7a4f7d45035b3b1440c9c10db' },
  'upload-artifact': { action: 'actions/upload-artifact', tag: 'v7.0.0', commit: 'bbbca2ddaa5d8feaa63e36b76fdaad77386f024f' },
  'download-artifact': { action: 'actions/download-artifact', tag: 'v8.0.1', commit: '3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c' },
} as const;

/** An action the generated workflow uses. */
export type PinnedAction = keyof typeof ACTION_PINS;

/** A `uses:` value: `<action>@<ref>`, and the comment that names the release it is. */
export interface ActionUse {
  /** The `uses:` value, `<action>@<ref>` (a commit SHA for a pinned release). */
  readonly uses: string;
  /** The release tag, for a comment beside the pin. @default - none: a replacement given as is */
  readonly tag?: string;
}

/** The `uses:` of an action: the pinned commit, or the replacement given (`<action>@<ref>`). */
export function actionUse(name: PinnedAction, replacements: Partial<Record<PinnedAction, string>> = {}): ActionUse {
  const given = replacements[name];
  if (given !== undefined) return { uses: given };
  const pin = ACTION_PINS[name];
  return { uses: `${pin.action}@${pin.commit}`, tag: pin.tag };
}
