/// <reference types="vite/client" />
/** docs/metrics.md lists every metric of the catalog (catalog.ts) with its type, labels and meaning, and no other. */
import { expect, test } from 'vitest';
import { metricDefs, type MetricDef } from './index.ts';

const docs = Object.values(import.meta.glob('../../../docs/metrics.md', { query: '?raw', import: 'default', eager: true }) as Record<string, string>);

function docRow(def: MetricDef): string {
  const labels = def.labelNames.length === 0 ? 'none' : def.labelNames.map((l) => `\`${l}\``).join(', ');
  return `| \`${def.name}\` | ${def.type} | ${labels} | ${def.help} |`;
}

test('the metrics table in docs/metrics.md is the catalog in catalog.ts', () => {
  expect(docs).toHaveLength(1);
  const rows = docs[0]!.split('\n').filter((line) => line.startsWith('| `chronik_'));
  expect(rows).toEqual(Object.values(metricDefs).map(docRow));
});

test('every name has the chronik_ prefix, a unit or _total last, and labels Prometheus accepts', () => {
  for (const def of Object.values(metricDefs) as MetricDef[]) {
    expect(def.name).toMatch(/^chronik_[a-z_]+$/);
    if (def.type === 'counter') expect(def.name).toMatch(/_total$/);
    else expect(def.name).not.toMatch(/_total$/);
    if (def.type === 'histogram') expect(def.buckets!.length).toBeGreaterThan(0);
    for (const label of def.labelNames) expect(label).toMatch(/^[a-z][a-z_]*$/);
  }
});
