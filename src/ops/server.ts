// The operations endpoint on HTTP_PORT: GET /healthz (200 or 503 with the reasons, JSON) and GET /metrics
// (Prometheus text). Everything else is 404. It reads only; nothing here changes the bot.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.js';
import type { HealthReport } from './health.js';

export interface OpsServerOptions {
  port: number;
  /** Address to bind (HTTP_HOST; tests use 127.0.0.1). */
  host: string;
  health: () => HealthReport;
  metrics: { render(): Promise<string>; contentType: string };
  log: Logger;
}

export interface OpsServer {
  /** The port bound (the one asked for, or the one picked when 0 was asked). */
  readonly port: number;
  readonly url: string;
  /** Stops listening and closes idle and open connections. */
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, contentType: string, body: string, head: boolean): void {
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(head ? undefined : body);
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const log = options.log.child({ module: 'ops' });
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const method = request.method ?? 'GET';
    const head = method === 'HEAD';
    if (path !== '/healthz' && path !== '/metrics') {
      send(response, 404, 'text/plain; charset=utf-8', 'not found: try /healthz or /metrics\n', head);
      return;
    }
    if (method !== 'GET' && !head) {
      response.setHeader('allow', 'GET, HEAD');
      send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n', head);
      return;
    }
    if (path === '/healthz') {
      const report = options.health();
      send(
        response,
        report.ok ? 200 : 503,
        'application/json; charset=utf-8',
        JSON.stringify({ status: report.ok ? 'ok' : 'unhealthy', ...report }) + '\n',
        head,
      );
      return;
    }
    send(response, 200, options.metrics.contentType, await options.metrics.render(), head);
  };
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log.error('ops request failed', { path: request.url, error });
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'internal error\n', false);
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info('serving /healthz and /metrics', { host: options.host, port });
  return {
    port,
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
