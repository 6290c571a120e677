/** Where the orchestrator is and who is calling: an operator token names the tenant with every request. */
export interface ClientSettings {
  apiUrl: string;
  token: string;
  tenantId?: string;
  environmentId?: string;
}

/** An answer that is not 2xx, carried with the orchestrator's `{ code, message, details }` body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { code?: string; message?: string; details?: unknown },
    readonly retryAfter?: string,
  ) {
    super(`${status} ${body.code ?? 'HTTP'}: ${body.message ?? 'request failed'}`);
  }
}

export class OrchestratorClient {
  constructor(private readonly settings: ClientSettings) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.settings.token}`, Accept: 'application/json' };
    if (this.settings.tenantId) headers['X-Tenant-ID'] = this.settings.tenantId;
    if (this.settings.environmentId) headers['X-Environment-ID'] = this.settings.environmentId;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(new URL(path, this.settings.apiUrl), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    const parsed: unknown = text === '' ? {} : JSON.parse(text);
    if (!response.ok) throw new ApiError(response.status, parsed as ApiError['body'], response.headers.get('retry-after') ?? undefined);
    return parsed as T;
  }
}
