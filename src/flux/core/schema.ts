/** How every schema message starts. */
export const SCHEMA_PREFIX = 'does not match the Flux schema: ';

/** Checks a rendered object; returns readable messages, none when it conforms. */
export type SchemaCheck = (object: Record<string, unknown>) => string[];

/**
 * The schema messages about fields that no message of `own` names already: a field our own rules reported (or one
 * inside it, `spec.kubeConfig` for `spec.kubeConfig.secretRef`) is not reported again, less clearly, by the schema.
 */
export function unreportedSchemaMessages(schemaMessages: readonly string[], own: readonly string[]): string[] {
  const reported = new Set<string>();
  for (const message of own) {
    for (const [field] of message.matchAll(/\b(?:spec|metadata)(?:\.[A-Za-z0-9_]+|\[[0-9]+\])+/g)) {
      const parts = field.split('.');
      for (let i = 2; i <= parts.length; i++) reported.add(parts.slice(0, i).join('.'));
    }
    reported.add(message.split(' ')[0]);
  }
  return schemaMessages.filter((m) => {
    const text = m.slice(m.startsWith(SCHEMA_PREFIX) ? SCHEMA_PREFIX.length : 0);
    // The subject: one field (`spec.interval must ...`), or the fields a CEL rule reads (`spec.chart, spec.chartRef: ...`).
    const subject = /^([^ :]+(?:, [^ :]+)*)(?: "[^"]*")?:/.exec(text)?.[1] ?? text.split(' ')[0];
    return !subject.split(', ').some((field) => reported.has(field));
  });
}
