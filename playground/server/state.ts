import { randomUUID } from 'node:crypto';

/** Who this process is: kept across every update, so a client can tell it never restarted. */
export let serverId: string = randomUUID();
export let startedAt: number = Date.now();

/** One client's session, kept (with its counter) across updates. */
export class Session {
  hits: number = 0;
  constructor(readonly id: string) {}

  hit(): number {
    this.hits += 1;
    return this.hits;
  }
}

let sessions = new Map<string, Session>();
/** Successful hits, all sessions together. */
let total = 0;
/** Computed results, by input. */
let cache = new Map<number, number>();

export function openSession(): Session {
  const session = new Session(randomUUID());
  sessions.set(session.id, session);
  return session;
}

export function findSession(id: string): Session | undefined {
  return sessions.get(id);
}

export function countHit(): number {
  total += 1;
  return total;
}

export function cached(n: number, compute: (n: number) => number): { value: number; cached: boolean } {
  const hit = cache.get(n);
  if (hit !== undefined) return { value: hit, cached: true };
  const value = compute(n);
  cache.set(n, value);
  return { value, cached: false };
}

export function stats(): { sessions: number; total: number; cache: number } {
  return { sessions: sessions.size, total, cache: cache.size };
}
