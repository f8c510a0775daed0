import { join, resolve } from 'node:path';
import type { CredentialProvider } from './oci/auth.js';
import { isLoopback, RegistryClient, RegistryError, type RegistryRepository, type RetryPolicy } from './oci/client.js';
import { OciLayout } from './oci/layout.js';
import { parseRegistryReference } from './oci/reference.js';
import type { ArtifactStore } from './oci/store.js';

/** Options of {@link Destinations}. */
export interface DestinationOptions {
  /**
   * Write to OCI image layout folders under this folder instead of registries: `oci://<host>/<repository>` becomes
   * the layout `<layout>/<host>/<repository>` (a `:` in the host becomes `_`, as layout paths cannot hold it).
   * @default - the registries themselves
   */
  readonly layout?: string;
  /**
   * Reach registry hosts somewhere else: `{ '123456789012.dkr.ecr.eu-west-1.amazonaws.com': '127.0.0.1:5001' }`;
   * a value may carry its scheme (`http://...`).
   * @default - each host at its own name
   */
  readonly hostAliases?: Readonly<Record<string, string>>;
  /** Reach every registry over plain HTTP. @default - only loopback hosts */
  readonly plainHttp?: boolean;
  /** Credentials for the registries. @default - anonymous */
  readonly credentials?: CredentialProvider;
  /** Extra certificate authorities for HTTPS (PEM). @default - the system's */
  readonly ca?: string | Buffer;
  /** Retries of failed requests. @default - see RegistryClient */
  readonly retry?: RetryPolicy;
  /** Blobs larger than this are uploaded in chunks. @default 8 MiB */
  readonly chunkSize?: number;
}

/**
 * Turns artifact URLs into stores: a registry repository (one client per registry host, shared) or an OCI image
 * layout folder. Call {@link close} when done.
 */
export class Destinations {
  private readonly clients = new Map<string, RegistryClient>();

  public constructor(public readonly options: DestinationOptions = {}) {}

  /** Whether artifacts go to layout folders rather than registries. */
  public get isLayout(): boolean {
    return this.options.layout !== undefined;
  }

  /** The store for `oci://<host>/<repository>`. */
  public store(url: string): ArtifactStore {
    const ref = parseRegistryReference(url);
    if (this.options.layout !== undefined) {
      return new OciLayout(join(resolve(this.options.layout), ref.host.replace(/:/g, '_'), ...ref.repository.split('/')));
    }
    return this.client(ref.host).repository(ref.repository);
  }

  /** The registry repository of `oci://<host>/<repository>`; refused when artifacts go to layout folders. */
  public repository(url: string): RegistryRepository {
    if (this.options.layout !== undefined) throw new RegistryError(`${url}: this needs a registry, not an OCI image layout folder; give --registry`);
    const ref = parseRegistryReference(url);
    return this.client(ref.host).repository(ref.repository);
  }

  /** The client of a registry host. */
  public client(host: string): RegistryClient {
    let client = this.clients.get(host);
    if (!client) {
      const alias = this.options.hostAliases?.[host];
      const plain = this.options.plainHttp;
      const endpoint = alias === undefined ? undefined : /^https?:\/\//.test(alias) ? alias : `${plain || isLoopback(alias) ? 'http' : 'https'}://${alias}`;
      client = new RegistryClient({
        host,
        endpoint,
        plainHttp: plain,
        credentials: this.options.credentials,
        ca: this.options.ca,
        retry: this.options.retry,
        chunkSize: this.options.chunkSize,
      });
      this.clients.set(host, client);
    }
    return client;
  }

  /** Releases every client's connections. */
  public close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
