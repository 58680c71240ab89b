import ts from 'typescript';
import ts59 from 'typescript-5.9';
import { tscHost } from './hosts.ts';
import { scenarioSuite } from './scenario-suite.ts';

/** The Vite host's scenarios, unchanged, through `hotstate/tsc` with TypeScript 6.0 and 5.9. */
scenarioSuite(`tsc host: hotstate/tsc in TypeScript ${ts.version}`, tscHost(ts));
scenarioSuite(`tsc host: hotstate/tsc in TypeScript ${ts59.version}`, tscHost(ts59 as unknown as typeof ts));
