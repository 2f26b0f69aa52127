/**
 * In-process notice that a site's settings changed, so the instance that committed the change
 * applies it at once (the ingest site cache drops its entry) instead of within the 5 s bound
 * every other instance keeps (ingest/collect.ts SiteCache). One per process, passed in AppDeps;
 * listeners must be cheap and must not throw (they run in the PATCH request).
 */
export interface SiteChange {
  siteId: string;
  publicKey: string;
}

export class SiteChanges {
  private readonly listeners = new Set<(change: SiteChange) => void>();

  /** Returns the unsubscribe function. */
  subscribe(listener: (change: SiteChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(change: SiteChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
