import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, type INestApplication } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { HttpMetrics } from '@flexsync/observability';
import { bodyTooLargeError, DomainError, errorAnswer } from '@flexsync/runtime';
import { WebhookIngestConfig } from '../webhook-ingest.config';
import { ReceiveStripeWebhook } from './receive-stripe-webhook/receive-stripe-webhook.use-case';

/** The route template, as the shared HTTP metrics label every other route. */
export const STRIPE_WEBHOOK_ROUTE = '/webhooks/stripe/:tenant_id/:environment_id';

const PATH = /^\/webhooks\/stripe\/([^/]+)\/([^/]+)\/?$/i;

const ROUTE_LABELS = { method: 'POST', route: STRIPE_WEBHOOK_ROUTE };

function pathParam(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // Not a valid encoding: kept as sent, it is no possible id and is answered like an unknown endpoint.
    return segment;
  }
}

/**
 * `POST /webhooks/stripe/:tenant_id/:environment_id` served on the Node server itself, below Express and Nest: Stripe
 * calls it at line rate, and the framework's per-request work (router, body parsers, interceptors, pipes, request
 * logging) cost several times what verifying and recording an event does. The answers are those of every other route
 * (`{ code, message, details }` from the use case's typed errors, never a stack trace); each request counts in the
 * shared `http_requests_total` / `http_request_duration_seconds` under the route template, rejections are logged by the
 * use case with tenant, environment and reason, and successful deliveries are not logged one by one.
 */
@Injectable()
export class StripeWebhookRoute {
  private readonly logger = new Logger(StripeWebhookRoute.name);
  // The shared HTTP metrics' series of this route, bound once: label lookups per request cost more than the count.
  private readonly duration: ReturnType<Histogram<'method' | 'route'>['labels']>;
  private readonly requestsByStatus = new Map<number, ReturnType<Counter<'method' | 'route' | 'status'>['labels']>>();

  constructor(
    @Inject(ReceiveStripeWebhook) private readonly receive: ReceiveStripeWebhook,
    @Inject(WebhookIngestConfig) private readonly config: WebhookIngestConfig,
    @Inject(HttpMetrics) private readonly http: HttpMetrics,
  ) {
    this.duration = http.duration.labels(ROUTE_LABELS);
  }

  /** The tenant and environment path segments when the request is a webhook delivery, else undefined. */
  match(request: IncomingMessage): [string, string] | undefined {
    if (request.method !== 'POST') return undefined;
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    const found = PATH.exec(query === -1 ? url : url.slice(0, query));
    return found ? [pathParam(found[1]), pathParam(found[2])] : undefined;
  }

  serve(request: IncomingMessage, response: ServerResponse, [tenantId, environmentId]: [string, string]): void {
    const started = process.hrtime.bigint();
    response.once('finish', () => this.count(response.statusCode, started));
    const limit = this.config.HTTP_BODY_LIMIT_BYTES;
    if (Number(request.headers['content-length'] ?? 0) > limit) {
      this.answerTooLarge(response, limit);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data').removeAllListeners('end');
        request.resume();
        this.answerTooLarge(response, limit);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      const signature = request.headers['stripe-signature'];
      this.receive
        .execute({
          scope: { tenantId, environmentId },
          rawBody: (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)).toString('utf8'),
          signature: Array.isArray(signature) ? signature[0] : signature,
          source: request.socket.remoteAddress ?? 'unknown',
        })
        .then(
          (receipt) => answer(response, 200, receipt),
          (error: unknown) => this.answerError(response, error),
        );
    });
    // The client went away mid-body: nothing was read, so nothing is recorded or answered.
    request.on('error', () => request.destroy());
  }

  private answerTooLarge(response: ServerResponse, limit: number): void {
    // The rest of the body is not read: the connection closes after the answer.
    response.shouldKeepAlive = false;
    this.answerError(response, bodyTooLargeError(limit));
  }

  private answerError(response: ServerResponse, error: unknown): void {
    const { status, body, headers } = errorAnswer(error);
    // A typed error was already logged by the use case with its tenant and reason; anything else is a defect.
    if (!(error instanceof DomainError)) this.logger.error({ err: error, route: STRIPE_WEBHOOK_ROUTE }, 'webhook request failed');
    answer(response, status, body, headers);
  }

  private count(status: number, started: bigint): void {
    this.duration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    let requests = this.requestsByStatus.get(status);
    if (!requests) {
      requests = this.http.requests.labels({ ...ROUTE_LABELS, status: String(status) });
      this.requestsByStatus.set(status, requests);
    }
    requests.inc();
  }
}

function answer(response: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  if (response.headersSent) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/**
 * Puts the webhook route in front of the app's own request handler on its HTTP server; every other request goes to
 * Nest as before. Call before `listen` (and before the internal-port split, which wraps whatever handler is installed).
 */
export function serveStripeWebhooksFirst(app: INestApplication): void {
  const server = app.getHttpServer() as Server;
  const [handler] = server.listeners('request') as RequestListener[];
  if (!handler) throw new Error('the HTTP server has no request handler yet');
  const route = app.get(StripeWebhookRoute);
  server.removeListener('request', handler);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const params = route.match(request);
    if (params) route.serve(request, response, params);
    else handler(request, response);
  });
}
