#!/usr/bin/env node
import { main } from './main.ts';

process.exitCode = main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
