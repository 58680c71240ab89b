/**
 * A small JSON API on node:http, to run with hot updates:
 *
 *   npx hotstate run playground/server/main.ts -- --port 3000
 *
 * Edit routes.ts, context.ts or state.ts while it serves: the same process, the same listening
 * socket and open connections, the same sessions and counters, the new code.
 */
import { createServer } from 'node:http';
import { once } from 'hotstate/runtime';
import { handle } from './routes.ts';

const flag = process.argv.indexOf('--port');
const port = Number(flag === -1 ? (process.env.PORT ?? 3000) : process.argv[flag + 1]);

// One server for the life of the process; `handle` is late-bound, so every request runs the
// newest version of it.
once('http', () => {
  const server = createServer((req, res) => handle(req, res));
  server.keepAliveTimeout = 30_000;
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`listening on http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : port}\n`);
  });
  return () => {
    server.close();
    server.closeAllConnections();
    process.stdout.write('server closed\n');
  };
});
