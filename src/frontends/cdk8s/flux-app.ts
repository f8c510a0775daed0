import { App, AppProps } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * A cdk8s App that checks the whole construct tree before it writes anything: every validation error of the synth
 * is reported together, naming each construct path, and a failed synth leaves the output folder untouched.
 */
export class FluxApp extends App {
  public constructor(props: AppProps = {}) {
    super(props);
  }

  /** Checks every construct and throws one error listing every problem found. */
  public validate(): void {
    const errors = collectValidationErrors(this);
    if (errors.length > 0) throw new SynthError(errors);
  }

  public synth(): void {
    this.validate();
    super.synth();
  }

  public synthYaml(): string {
    this.validate();
    return super.synthYaml();
  }
}

/** A validation error of one construct. */
export interface ValidationMessage {
  /** The construct's path, e.g. `app/chart/podinfo`. */
  readonly path: string;
  /** What is wrong, the value received and the fix. */
  readonly message: string;
}

/** The error a failed synth throws: every problem found, each with its construct path. */
export class SynthError extends Error {
  public readonly errors: readonly ValidationMessage[];

  public constructor(errors: readonly ValidationMessage[]) {
    super(`Synth failed with ${errors.length} error${errors.length === 1 ? '' : 's'}; nothing was written:\n` +
      errors.map((e) => `  [${e.path}] ${e.message}`).join('\n'));
    this.name = 'SynthError';
    this.errors = errors;
  }
}

/** Runs every construct's validations under `root`, in tree order. */
export function collectValidationErrors(root: IConstruct): ValidationMessage[] {
  const errors: ValidationMessage[] = [];
  for (const c of root.node.findAll()) {
    for (const message of c.node.validate()) errors.push({ path: c.node.path, message });
  }
  return errors;
}
