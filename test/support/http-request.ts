// One HTTP request to a server of the tests on 127.0.0.1 (Node-RED's admin API, an http-in flow).
import http, { type IncomingHttpHeaders } from 'node:http';

/** What came back: the body as text, and parsed when it is JSON; how long it took. */
export interface HttpAnswer {
  status: number | undefined;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
  ms: number;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** A body sent as JSON. */
  json?: unknown;
  /** A body sent as a form (application/x-www-form-urlencoded). */
  form?: Record<string, string>;
  timeoutMs?: number;
}

export function httpRequest(port: number, urlPath: string, { method = 'GET', headers = {}, json, form, timeoutMs = 20000 }: HttpRequestOptions = {}): Promise<HttpAnswer> {
  const body = json !== undefined ? JSON.stringify(json) : form !== undefined ? new URLSearchParams(form).toString() : undefined;
  const contentType = json !== undefined ? 'application/json' : form !== undefined ? 'application/x-www-form-urlencoded' : undefined;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = http.request({ host: '127.0.0.1', port, path: urlPath, method, timeout: timeoutMs, headers: { ...(contentType && { 'Content-Type': contentType }), ...headers } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode, headers: response.headers, text, json: parsed(text), ms: performance.now() - started });
      });
    });
    request.on('timeout', () => request.destroy(new Error(`${method} ${urlPath} timed out after ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
