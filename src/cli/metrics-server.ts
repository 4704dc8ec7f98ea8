/**
 * The HTTP endpoint of `chronik start --metrics-listen HOST:PORT`: `GET /metrics` answers the
 * Prometheus text format from a PromMetrics (src/io-real/prom-metrics.ts); every other path is 404,
 * every other method 405. It binds before the broker opens its data directory, so a taken port fails
 * the start at once, and it serves through recovery and shutdown (process metrics, then the broker's).
 */
import http from 'node:http';
import type { Log } from '../core/io/index.ts';
import { metricsConnectionsMax } from '../core/limits.ts';
import type { PromMetrics } from '../io-real/prom-metrics.ts';

export interface MetricsServer {
  /** The port listened on (the chosen one when asked for port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on host:port; rejects with Node's error (code EADDRINUSE, EACCES, ...) when it cannot bind. */
export async function startMetricsServer(metrics: PromMetrics, address: { host: string; port: number }, log: Log): Promise<MetricsServer> {
  const server = http.createServer((request, response) => void answer(metrics, request, response, log));
  server.maxConnections = metricsConnectionsMax;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log.error('MetricsServerFailed', { error: error.message, hint: 'the metrics endpoint is down (the Kafka listener is not affected); check --metrics-listen and restart' }));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(metrics: PromMetrics, request: http.IncomingMessage, response: http.ServerResponse, log: Log): Promise<void> {
  const path = (request.url ?? '').split('?')[0];
  if (path !== '/metrics') return plain(response, 404, 'not found: metrics are at /metrics\n');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return plain(response, 405, 'method not allowed: use GET\n');
  }
  try {
    const body = await metrics.scrape();
    response.writeHead(200, { 'Content-Type': metrics.contentType });
    response.end(request.method === 'HEAD' ? undefined : body);
  } catch (error) {
    log.error('MetricsScrapeFailed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error), hint: 'a bug: report it with this line; the Kafka listener is not affected' });
    plain(response, 500, 'collecting the metrics failed; the broker log has a MetricsScrapeFailed line\n');
  }
}

function plain(response: http.ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(text);
}
