import { Checks, q } from '../flux/core/rules.js';
import type { OciRepositoryRef } from '../flux/source/oci-repository.js';

/**
 * The release channel an environment's clusters follow: an OCI tag (`latest`, `stable`) moved by promotion, or a semver
 * range over release tags. With a tag channel, each rollout wave follows its own tag derived from it
 * (`stable-wave-1`, `stable-wave-2`), so a release is promoted wave by wave.
 */
export class Channel {
  /** Follow an OCI tag, e.g. `latest` for staging, `stable` for production. */
  public static tag(tag: string): Channel {
    return new Channel('tag', tag);
  }

  /** Follow the highest release tag in a semver range, e.g. `>=1.0.0`; waves cannot be used with it. */
  public static semver(range: string): Channel {
    return new Channel('semver', range);
  }

  private constructor(
    /** `tag` or `semver`. */
    public readonly kind: 'tag' | 'semver',
    /** The tag or the range. */
    public readonly value: string,
  ) {}

  /** The tag a wave follows: the channel's tag with `-wave-<n>`, or the channel's own tag without a wave. */
  public tagFor(wave: number | undefined): string | undefined {
    if (this.kind !== 'tag') return undefined;
    return wave === undefined ? this.value : `${this.value}-wave-${wave}`;
  }

  /** The `ref` of an OCIRepository following this channel in `wave`. */
  public refFor(wave: number | undefined): OciRepositoryRef {
    return this.kind === 'tag' ? { tag: this.tagFor(wave) } : { semver: this.value };
  }

  /** Problems with the channel, as messages naming the value and the fix. */
  public validate(field: string): string[] {
    const c = new Checks();
    if (this.kind === 'tag') {
      if (!OCI_TAG.test(this.value)) {
        c.add(`${field} ${q(this.value)} is not an OCI tag: use letters, digits, '_', '.' and '-', starting with a letter, digit or '_', at most 128 characters, e.g. "stable"`);
      } else if (this.value.length > 128 - '-wave-999'.length) {
        c.add(`${field} ${q(this.value)} is too long to derive wave tags from; keep it under ${128 - '-wave-999'.length} characters`);
      }
    } else {
      c.semverRange(field, this.value);
    }
    return c.errors;
  }
}

const OCI_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
