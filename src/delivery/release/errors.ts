import { ERROR_CODES, FluxFleetError } from '../../flux/core/errors.js';

/** A promotion or rollback refused before any tag moved; `problems` lists each reason. */
export class PromotionError extends FluxFleetError {
  public constructor(public readonly problems: readonly string[]) {
    super(ERROR_CODES.refused, `promotion refused, no tag was moved:\n${problems.map((p) => `  ${p.split('\n').join('\n  ')}`).join('\n')}`);
  }
}

/** A push refused before it moved any followed tag (or before it pushed anything, as the message says). */
export class PushRefusedError extends FluxFleetError {
  public constructor(what: string, public readonly problems: readonly string[]) {
    super(ERROR_CODES.refused, `${what}:\n${problems.map((p) => `  ${p.split('\n').join('\n  ')}`).join('\n')}`);
  }
}

/**
 * Tags moves that stopped part-way (a lease lost, a tag moved by someone else, a gate or registry that refused): the
 * message lists what moved and what did not, and how to finish.
 */
export class PartialMoveError extends FluxFleetError {
  public constructor(message: string, public readonly moved: readonly string[]) {
    super(ERROR_CODES.refused, message);
  }
}
