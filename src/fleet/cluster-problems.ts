/**
 * Problems found while building clusters, each text once with the clusters it was found on, in the order first found.
 * Building a cluster again records nothing twice.
 * @internal
 */
export class ClusterProblems {
  private readonly byMessage = new Map<string, Set<string>>();

  /** Records `message` for `cluster`, or for every cluster when undefined. */
  public add(message: string, cluster?: string): void {
    let clusters = this.byMessage.get(message);
    if (!clusters) this.byMessage.set(message, clusters = new Set());
    if (cluster !== undefined) clusters.add(cluster);
  }

  /** Each problem once, with ` (on cluster a)` or ` (on clusters a, b)` when it was found on clusters. */
  public messages(): string[] {
    return [...this.byMessage].map(([message, clusters]) => (clusters.size === 0 ? message
      : `${message} (on cluster${clusters.size > 1 ? 's' : ''} ${[...clusters].join(', ')})`));
  }
}
