import ts from 'typescript';
import { tscHost } from './hosts.ts';
import { scenarioSuite } from './scenario-suite.ts';

/**
 * The scenarios through `hotstate/tsc` with an older target: class fields, `#private` members and
 * static blocks are down-levelled by TypeScript (WeakMaps, constructor assignments), the
 * instrumented code included.
 */
scenarioSuite('tsc host: hotstate/tsc in TypeScript 6.0, target ES2017', tscHost(ts, (host) => ({ target: host.ScriptTarget.ES2017 })));
