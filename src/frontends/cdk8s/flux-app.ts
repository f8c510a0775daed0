import { ApiObject, App, AppProps, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { addFleetPicture } from './fleet-picture.js';
import { Fleet } from '../../fleet/fleet.js';
import { chartRenderer, RenderSession } from '../../flux/core/render-session.js';
import { allowedLiteralValues, findObjectSecrets, literalSecretMessage } from '../../flux/core/secrets.js';
import { ConfigTree } from '../../output/writer/config-tree.js';
import { writeTree, WriteTreeResult, type ForeignFiles } from '../../output/writer/write-tree.js';

/**
 * A cdk8s App that checks the whole construct tree before it writes anything: every validation error of the synth
 * is reported together, naming each construct path, and a failed synth leaves the output folder untouched.
 *
 * An app holding a {@link Fleet} writes the fleet's config-repo tree (`clusters/<cluster>/...`) atomically: files of
 * removed clusters or components disappear, and unchanged files are not rewritten. Synth replaces only the files it
 * wrote before: any other file in the output folder stops it, with the list of them (see `foreignFiles`). Any other app writes one
 * `<chart>.k8s.yaml` per chart, as cdk8s does.
 */
/** Props of a {@link FluxApp}. */
export interface FluxAppProps extends AppProps {
  /**
   * What synth does with files in the output folder that it did not write (a `.sops.yaml`, notes, an extra YAML
   * under a cluster): `refuse` stops with an error listing them, `keep` carries them over, `remove` deletes them.
   * @default "refuse"
   */
  readonly foreignFiles?: ForeignFiles;
}

export class FluxApp extends App {
  private readonly foreignFiles?: ForeignFiles;

  public constructor(props: FluxAppProps = {}) {
    super(props);
    this.foreignFiles = props.foreignFiles;
  }

  /** Builds every fleet, then checks every construct and throws one error listing every problem found. */
  public validate(): void {
    for (const fleet of this.fleets()) fleet.build();
    this.check(this.node.findAll());
  }

  public synth(): void {
    const fleets = this.fleets();
    for (const fleet of fleets) fleet.build();
    // Every object is built: each is now rendered once, and what is validated is what is written.
    RenderSession.run(() => {
      const all = this.node.findAll();
      this.check(all);
      if (fleets.length === 0) {
        super.synth();
        return;
      }
      this.writeFleets(fleets, all);
    });
  }

  public synthYaml(): string {
    this.validate();
    return super.synthYaml();
  }

  /** The fleets of the app. */
  public fleets(): Fleet<any>[] {
    return this.node.findAll().filter((c): c is Fleet<any> => Fleet.isFleet(c));
  }

  /** Throws one error listing every problem of the constructs. */
  private check(all: readonly IConstruct[]): void {
    const errors = validationErrorsOf(all);
    if (errors.length > 0) throw new SynthError(errors);
  }

  private writeFleets(fleets: Fleet<any>[], all: readonly IConstruct[]): WriteTreeResult {
    const tree = new ConfigTree();
    const inFleets = new Set<Chart>();
    const render = chartRenderer(all);
    for (const fleet of fleets) {
      const prefix = fleets.length > 1 ? `${fleet.node.id}/` : '';
      for (const file of fleet.files()) {
        tree.addObjects(`${prefix}${file.path}`, render(file.chart));
        inFleets.add(file.chart);
      }
      // The picture for reviewers: FLEET.md and fleet.html in the fleet's root folder.
      addFleetPicture(tree, prefix, fleet);
    }
    const strays = all.filter((c): c is Chart => Chart.isChart(c) && !inFleets.has(c));
    if (strays.length > 0) {
      throw new SynthError(strays.map((c) => ({
        path: c.node.path,
        message: 'this chart is outside the fleet, and an app that holds a fleet writes only the fleet\'s tree; move its objects into a fleet component, or synthesize it from another app',
      })));
    }
    return writeTree(tree, this.outdir, { kustomizationsUnder: fleets.length > 1 ? undefined : 'clusters', foreignFiles: this.foreignFiles });
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
  return validationErrorsOf(root.node.findAll());
}

function validationErrorsOf(constructs: readonly IConstruct[]): ValidationMessage[] {
  const errors: ValidationMessage[] = [];
  for (const c of constructs) {
    for (const message of c.node.validate()) errors.push({ path: c.node.path, message });
    // ConfigMaps are written as they are: a literal credential in one is caught here.
    if (ApiObject.isApiObject(c) && c.kind === 'ConfigMap' && c.apiVersion === 'v1') {
      for (const found of findObjectSecrets(c.toJson(), allowedLiteralValues(c))) {
        errors.push({ path: c.node.path, message: literalSecretMessage(found, 'keep it in a Secret on the cluster instead') });
      }
    }
  }
  return errors;
}
