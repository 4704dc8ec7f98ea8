/**
 * The neutral metrics interface core records to (metrics.ts), and the catalog of every metric a
 * single-node broker exports (catalog.ts). See docs/metrics.md.
 */
export * from './metrics.ts';
export * from './catalog.ts';
