import { Construct } from 'constructs';
import type { IBucket } from './bucket.js';
import type { IGitRepository } from './git-repository.js';
import { HelmRepository, IHelmRepository } from './helm-repository.js';
import { checkVerification, OciVerification, renderVerification } from './oci-repository.js';

/**
 * How source-controller verifies a chart's signature: as for an OCIRepository, but with the public Sigstore trust
 * root only (a HelmChart has no `trustedRootSecretRef`).
 */
export type HelmChartVerification = Omit<OciVerification, 'trustedRootSecretRef'>;
import { API_VERSION, FromNameOptions } from '../core/api.js';
import { FluxDuration, renderDuration } from '../core/duration.js';
import { FluxObject, FluxObjectProps, FluxReference, IFluxObject, ImportedFluxObject, renderRef } from '../core/flux-object.js';
import { Checks, q } from '../core/rules.js';

/** The sources a HelmChart can take its chart from. */
export type HelmChartSource = IHelmRepository | IGitRepository | IBucket;

/** What makes Flux build a new chart artifact. */
export type HelmChartReconcileStrategy = 'ChartVersion' | 'Revision';

/** Props of a {@link HelmChart}. */
export interface HelmChartProps extends FluxObjectProps {
  /**
   * The chart: its name in a HelmRepository (`podinfo`), or the relative path of its folder in a GitRepository or
   * Bucket (`./charts/podinfo`).
   */
  readonly chart: string;
  /** The source holding the chart; it must be in the same namespace. */
  readonly sourceRef: HelmChartSource;
  /**
   * A semver range (Masterminds syntax) over the chart's versions, e.g. `6.x` or `>=6.0.0 <7.0.0`; HelmRepository
   * sources only (Git and Bucket charts use their Chart.yaml version).
   * @default "*" (the latest version)
   */
  readonly version?: string;
  /** How often to look for a new chart. @default 5m */
  readonly interval?: FluxDuration;
  /**
   * What makes a new artifact: a new chart version (`ChartVersion`), or any new source revision (`Revision`,
   * for Git and Bucket sources whose chart version does not change with every commit).
   * @default "ChartVersion"
   */
  readonly reconcileStrategy?: HelmChartReconcileStrategy;
  /** Values files, relative to the source, merged in order into the chart's values. @default - the chart's own values.yaml */
  readonly valuesFiles?: string[];
  /** Skip values files that are missing instead of failing. @default false */
  readonly ignoreMissingValuesFiles?: boolean;
  /** Signature verification of a chart pulled from an OCI HelmRepository. @default - none */
  readonly verify?: HelmChartVerification;
  /** Stop reconciling. @default false */
  readonly suspend?: boolean;
}

/** A HelmChart, as other objects may reference it. */
export interface IHelmChart extends IFluxObject {
  readonly kind: 'HelmChart';
}

/** A HelmChart (`source.toolkit.fluxcd.io/v1`): a chart fetched (and packaged) from a Helm, Git or Bucket source. */
export class HelmChart extends FluxObject implements IHelmChart {
  /** References a HelmChart managed elsewhere. */
  public static fromName(scope: Construct, id: string, name: string, options: FromNameOptions = {}): IHelmChart {
    return new ImportedFluxObject(scope, id, { apiVersion: API_VERSION.source, kind: 'HelmChart', name, namespace: options.namespace }) as IHelmChart;
  }

  declare public readonly kind: 'HelmChart';

  /** The props, as given. */
  public readonly props: HelmChartProps;

  public constructor(scope: Construct, id: string, props: HelmChartProps) {
    super(scope, id, props, { apiVersion: API_VERSION.source, kind: 'HelmChart' });
    this.props = props;
  }

  public references(): FluxReference[] {
    return [
      { field: 'spec.sourceRef', target: this.props.sourceRef, kinds: ['HelmRepository', 'GitRepository', 'Bucket'], source: true },
    ];
  }

  /** @internal */
  protected renderSpec(): object {
    const p = this.props;
    const spec = {
      chart: p.chart,
      version: p.version ?? '*',
      sourceRef: renderRef(this, p.sourceRef),
      interval: renderDuration(p.interval ?? '5m'),
      reconcileStrategy: p.reconcileStrategy,
      valuesFiles: p.valuesFiles ? [...p.valuesFiles] : undefined,
      ignoreMissingValuesFiles: p.ignoreMissingValuesFiles,
      verify: renderVerification(p.verify),
      suspend: p.suspend,
    };
    return spec;
  }

  /** @internal */
  protected validateProps(c: Checks): void {
    const p = this.props;
    const source = p.sourceRef;
    const described = `${source.kind} ${source.namespace}/${source.name}`;
    if (source.namespace !== this.namespace) {
      c.add(`spec.sourceRef refers to ${described}, but a HelmChart's source must be in its own namespace (${this.namespace}); put the source there`);
    }
    if (p.chart.trim() === '') {
      c.add('spec.chart is empty; name the chart, e.g. "podinfo", or its folder, e.g. "./charts/podinfo"');
    } else if (source.kind === 'HelmRepository') {
      if (p.chart.startsWith('./') || p.chart.startsWith('/') || p.chart.split('/').includes('..')) {
        c.add(`spec.chart ${q(p.chart)} is a path, but a chart from a HelmRepository is named, e.g. "podinfo"`);
      } else if (/[:@]/.test(p.chart)) {
        c.add(`spec.chart ${q(p.chart)} carries a version or digest; use the bare chart name and set spec.version`);
      }
    } else {
      c.relativePath('spec.chart', p.chart);
    }
    if (source.kind === 'HelmRepository') {
      c.semverRange('spec.version', p.version);
    } else if (p.version !== undefined && p.version !== '*') {
      c.add(`spec.version ${q(p.version)} is ignored for a chart from a ${source.kind} (Flux uses the version in its Chart.yaml); drop it`);
    }
    c.duration('spec.interval', p.interval);
    c.oneOf('spec.reconcileStrategy', p.reconcileStrategy, ['ChartVersion', 'Revision']);
    p.valuesFiles?.forEach((f, i) => c.relativePath(`spec.valuesFiles[${i}]`, f));
    if (p.ignoreMissingValuesFiles && !p.valuesFiles?.length) {
      c.add('spec.ignoreMissingValuesFiles is set without spec.valuesFiles; list values files, or drop it');
    }
    if (p.verify) {
      if (source.kind !== 'HelmRepository') {
        c.add(`spec.verify applies to charts from an OCI HelmRepository only, but the source is ${described}; drop it`);
      } else if (source instanceof HelmRepository && source.repositoryType !== 'oci') {
        c.add(`spec.verify applies to charts from an OCI HelmRepository only, but ${described} is an HTTP/S repository (${q(source.props.url)}); drop it, or use an oci:// repository`);
      }
      checkVerification(c, p.verify);
    }
  }
}
