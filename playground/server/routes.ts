import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestContext } from './context.ts';
import { cached, countHit, findSession, openSession, serverId, startedAt, stats } from './state.ts';

/** The code's version: every response carries it. Bump it with each edit to see who served what. */
const VERSION = 1;

function square(n: number): number {
  return n * n;
}

export function handle(req: IncomingMessage, res: ServerResponse): void {
  const ctx = new RequestContext(req, res);
  const send = (status: number, body: object): void => ctx.json(status, { version: VERSION, ...body });
  const path = ctx.url.pathname;
  let match: RegExpExecArray | null;
  if (ctx.method === 'GET' && path === '/health') return send(200, { serverId, startedAt, pid: process.pid });
  if (ctx.method === 'POST' && path === '/sessions') return send(201, { id: openSession().id });
  if (ctx.method === 'POST' && (match = /^\/sessions\/([\w-]+)\/hit$/.exec(path))) {
    const session = findSession(match[1]!);
    if (session === undefined) return send(404, { error: 'no such session' });
    return send(200, { id: session.id, hits: session.hit(), total: countHit() });
  }
  if (ctx.method === 'GET' && (match = /^\/square\/(\d+)$/.exec(path))) {
    const n = Number(match[1]);
    return send(200, { n, ...cached(n, square) });
  }
  if (ctx.method === 'GET' && path === '/legacy/ping') return send(200, { pong: true });
  if (ctx.method === 'GET' && path === '/stats') {
    // With `node --expose-gc`, the heap after a full collection: what the program really holds.
    (globalThis as { gc?: () => void }).gc?.();
    return send(200, { ...stats(), heapUsed: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss });
  }
  send(404, { error: `no route for ${ctx.method} ${path}` });
}
