import type { IncomingMessage, ServerResponse } from 'node:http';

/** One request and its response: a new instance per request. */
export class RequestContext {
  readonly url: URL;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
  ) {
    this.url = new URL(req.url ?? '/', 'http://localhost');
  }

  get method(): string {
    return this.req.method ?? 'GET';
  }

  json(status: number, body: unknown): void {
    const text = JSON.stringify(body);
    this.res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    this.res.end(text);
  }
}
