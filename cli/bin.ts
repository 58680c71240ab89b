#!/usr/bin/env node
import { main } from './main.ts';

const status = main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
if (typeof status === 'number') process.exitCode = status;
else {
  // `run`: a status when the program could not start (end now, as node does: its handles may be
  // open), nothing once it runs.
  status.then(
    (code) => {
      if (code !== undefined) process.exit(code);
    },
    (error: unknown) => {
      process.stderr.write(`hotstate: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(2);
    },
  );
}
