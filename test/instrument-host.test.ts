import ts from 'typescript';
import { instrumentHost } from './hosts.ts';
import { scenarioSuite } from './scenario-suite.ts';

/** The Vite host's scenarios, unchanged, through tsc's plain output and `hotstate instrument`. */
scenarioSuite('instrument host: tsc output, then hotstate instrument', instrumentHost(ts));
