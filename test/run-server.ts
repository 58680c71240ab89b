import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFiles } from './files.ts';
import { fileURLToPath } from 'node:url';

/**
 * The playground server (`playground/server/`) in a temporary folder, started as a subprocess,
 * with a steady keep-alive load on it and scripted edits of its files: what `test/run.test.ts`
 * asserts on and `bench/run-server.mjs` measures.
 */

const SERVER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'playground', 'server');

/** A copy of the playground server; returns its folder. */
export function copyServer(): string {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'hotstate-run-')));
  for (const name of readdirSync(SERVER)) if (name.endsWith('.ts')) copyFileSync(path.join(SERVER, name), path.join(root, name));
  return root;
}

export interface Report {
  file: string;
  status: 'applied' | 'rolled-back' | 'rejected';
  text: string;
}

export interface Child {
  process: ChildProcess;
  port: number;
  stdout(): string;
  stderr(): string;
  reports: Report[];
  /** Resolves with the report number `n` (0-based) once printed. */
  report(n: number, timeoutMs?: number): Promise<Report>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const REPORT = /^\[hotstate\] (updated|rolled back update of|rejected update of) (\S+)$/;

/** Starts `command` in `cwd`; resolves once it printed `listening on http://127.0.0.1:<port>`. */
export function startChild(command: string, args: string[], cwd: string, timeoutMs = 30_000): Promise<Child> {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  const reports: Report[] = [];
  const waiters: Array<() => void> = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const waiter of waiters.splice(0)) waiter();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    if (process.env.HOTSTATE_DEBUG) process.stderr.write(chunk);
    // A report is its head line and the indented lines under it.
    const lines = err.split('\n');
    reports.length = 0;
    lines.forEach((line, i) => {
      const head = REPORT.exec(line);
      if (head === null) return;
      let end = i + 1;
      while (end < lines.length && lines[end]!.startsWith('  ')) end++;
      const status = head[1] === 'updated' ? 'applied' : head[1] === 'rejected update of' ? 'rejected' : 'rolled-back';
      reports.push({ file: head[2]!, status, text: lines.slice(i, end).join('\n') });
    });
    for (const waiter of waiters.splice(0)) waiter();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const until = <T>(what: string, check: () => T | undefined, ms: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}\n--- stdout\n${out}\n--- stderr\n${err}`)), ms);
      const poll = (): void => {
        const value = check();
        if (value !== undefined) {
          clearTimeout(timer);
          resolve(value);
        } else waiters.push(poll);
      };
      void exited.then(() => setTimeout(() => waiters.length > 0 && poll(), 50));
      poll();
    });
  return until(
    'the server to listen',
    () => {
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}\n--- stdout\n${out}\n--- stderr\n${err}`);
      return match === null ? undefined : Number(match[1]);
    },
    timeoutMs,
  ).then((port) => ({
    process: child,
    port,
    stdout: () => out,
    stderr: () => err,
    reports,
    report: (n, ms = 15_000) => until(`update report #${n + 1}`, () => reports[n], ms),
    exited,
  }));
}

export interface Response {
  status: number;
  body: Record<string, unknown>;
}

/** One keep-alive client: a single socket, one request at a time. */
export class Client {
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  readonly sockets = new Set<unknown>();
  constructor(readonly port: number) {}

  request(method: string, url: string): Promise<Response> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: this.port, method, path: url, agent: this.agent }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
          } catch (error) {
            reject(new Error(`${method} ${url}: not JSON (${res.statusCode}): ${text}`, { cause: error }));
          }
        });
        res.on('error', reject);
      });
      req.on('socket', (socket) => this.sockets.add(socket));
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Writes a file of the copied server (creating folders). */
export function writeFile(root: string, file: string, content: string): void {
  writeFiles(root, { [file]: content });
}

export const readFile = (root: string, file: string): string => (existsSync(path.join(root, file)) ? readFileSync(path.join(root, file), 'utf8') : '');
export const removeServer = (root: string): void => rmSync(root, { recursive: true, force: true });

// ---------------------------------------------------------------------------------------------
// The scripted edits, shared by test/run.test.ts and bench/run-server.mjs.

export interface Edit {
  /** The file of the server copy the edit writes. */
  file: string;
  change: (source: string) => string;
  expect: 'applied' | 'rolled-back';
  /** The `VERSION` of routes.ts this edit brings (applied or not). */
  version?: number;
  /** What the edit does, for reports. */
  what: string;
}

export const bump = (version: number, more: (s: string) => string = (s) => s): Edit => ({
  file: 'routes.ts',
  change: (s) => more(s.replace(/const VERSION = \d+;.*/, `const VERSION = ${version};`)),
  expect: 'applied',
  version,
  what: `VERSION = ${version}`,
});

export const MIGRATION = `export const migration = {
  module: 'state.ts',
  covers: {
    startedAt: { from: 'number', to: 'string', source: { from: ': number', to: ': string' } },
  },
  state(old: { startedAt: number }) {
    return { startedAt: new Date(old.startedAt).toISOString() };
  },
};
`;

/** Handler changes, an added class field, a type change with a migration, a syntax error, a throwing module, a removed route. */
export const EDITS: Edit[] = [
  { ...bump(2, (s) => s.replace('pid: process.pid', "pid: process.pid, note: 'edited'")), what: 'handler: a field added to /health' },
  { ...bump(3, (s) => s.replace('total: countHit() }', 'total: countHit(), at: Date.now() }')), what: 'handler: a field added to /hit' },
  { file: 'state.ts', change: (s) => s.replace('hits: number = 0;', 'hits: number = 0;\n  lastSeen: number = 0;').replace('this.hits += 1;', 'this.hits += 1;\n    this.lastSeen = Date.now();'), expect: 'applied', what: 'class Session: a field added' },
  { ...bump(4, (s) => s.replace('hits: session.hit(),', 'hits: session.hit(), lastSeen: session.lastSeen,')), what: 'handler: the new field served' },
  { file: 'routes.ts', change: (s) => s.replace(/const VERSION = \d+;/, 'const VERSION = 900;;; (').replace('return n * n;', 'return n * n'), expect: 'rolled-back', version: 900, what: 'syntax error' },
  bump(5),
  { file: 'routes.ts', change: (s) => `${s.replace(/const VERSION = \d+;/, 'const VERSION = 901;')}\nthrow new Error('routes.ts refuses to load');\n`, expect: 'rolled-back', version: 901, what: 'module throws while it loads' },
  { ...bump(6, (s) => s.replace(/\nthrow new Error\('routes.ts refuses to load'\);\n$/, '\n')), what: 'the throw removed' },
  { file: 'hotstate/migrations/0001-state-startedAt.ts', change: () => MIGRATION, expect: 'applied', what: 'a migration added' },
  { file: 'state.ts', change: (s) => s.replace('export let startedAt: number = Date.now();', 'export let startedAt: string = new Date().toISOString();'), expect: 'applied', what: 'state type change number → string' },
  bump(7),
  { ...bump(8, (s) => s.replace("  if (ctx.method === 'GET' && path === '/legacy/ping') return send(200, { pong: true });\n", '')), what: 'a route removed' },
  { file: 'context.ts', change: (s) => s.replace("'content-type': 'application/json',", "'content-type': 'application/json', 'x-served-by': 'hotstate',"), expect: 'applied', what: 'class RequestContext: a header added' },
  { ...bump(9, (s) => s.replace('return n * n;', 'return n ** 2;')), what: 'square() rewritten' },
  bump(10),
  { ...bump(11, (s) => s.replace("error: 'no such session'", "error: 'no such session (edited)'")), what: 'an error message changed' },
  bump(12),
  { file: 'context.ts', change: (s) => s.replace('get method(): string {', 'get verb(): string {\n    return this.method;\n  }\n\n  get method(): string {'), expect: 'applied', what: 'class RequestContext: a getter added' },
  { ...bump(13, (s) => s.replace(/ctx\.method === /g, 'ctx.verb === ')), what: 'handler: the new getter used' },
  bump(14),
  { ...bump(15, (s) => s.replace("note: 'edited'", "note: 'edited again'")), what: 'handler: /health changed' },
  bump(16),
  bump(17),
  bump(18),
];

/** The module whose update report an edit brings (a migration is an update of the module it is for). */
export const reportedFile = (edit: Edit): string => (edit.file.startsWith('hotstate/migrations/') ? 'state.ts' : edit.file);
