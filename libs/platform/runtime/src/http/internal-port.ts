import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';

/** Operator-only paths: Prometheus' scrape and the OpenAPI documents. */
export function isInternalPath(url: string | undefined): boolean {
  const path = (url ?? '/').split('?', 1)[0];
  return path === '/metrics' || path.startsWith('/metrics/') || path === '/docs' || path.startsWith('/docs/') || path.startsWith('/docs-json');
}

/** Probes reach both ports: the kubelet probes the public one, a sidecar or an operator may use either. */
function isHealthPath(url: string | undefined): boolean {
  return (url ?? '/').split('?', 1)[0].startsWith('/health/');
}

function notFound(request: IncomingMessage, response: ServerResponse): void {
  const body = JSON.stringify({ code: 'ROUTE.NOT_FOUND', message: `Cannot ${request.method ?? 'GET'} ${(request.url ?? '/').split('?', 1)[0]}` });
  response.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/**
 * Splits one Nest app over two ports: the public port no longer answers /metrics and /docs, and `internalPort`
 * answers only those (plus /health/*). Works below Express, on the Node servers, so route order does not matter.
 * The internal server closes with the app's own server (graceful shutdown stays as it is).
 */
export async function listenWithInternalPort(app: INestApplication, host: string, internalPort: number): Promise<Server> {
  const publicServer = app.getHttpServer() as Server;
  const [handler] = publicServer.listeners('request') as RequestListener[];
  if (!handler) throw new Error('the HTTP server has no request handler yet');
  publicServer.removeListener('request', handler);
  publicServer.on('request', (request: IncomingMessage, response: ServerResponse) =>
    isInternalPath(request.url) ? notFound(request, response) : handler(request, response),
  );
  const internalServer = createServer((request, response) =>
    isInternalPath(request.url) || isHealthPath(request.url) ? handler(request, response) : notFound(request, response),
  );
  publicServer.once('close', () => internalServer.close());
  await new Promise<void>((resolve, reject) => {
    internalServer.once('error', reject);
    internalServer.listen(internalPort, host, () => {
      internalServer.removeListener('error', reject);
      resolve();
    });
  });
  return internalServer;
}
