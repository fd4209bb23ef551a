import { runGridBench } from './grid.js';
import { runIngestBench } from './ingest.js';
import { runOpsBench } from './ops.js';
import { runResultsBench } from './results.js';
import { runSparkJobsBench } from './spark-jobs.js';
import { runTunnelBench } from './tunnel.js';

/** `npm run bench -- NAME [options]`: each benchmark prints its result as the last stdout line, one JSON object. */
const benches: Record<string, (args: string[]) => Promise<unknown>> = {
  tunnel: runTunnelBench,
  grid: runGridBench,
  results: runResultsBench,
  ingest: runIngestBench,
  'spark-jobs': runSparkJobsBench,
  ops: runOpsBench,
};

const [name, ...args] = process.argv.slice(2);
const bench = name ? benches[name] : undefined;
if (!bench) {
  console.error(`Usage: npm run bench -- <${Object.keys(benches).join('|')}> [options]`);
  process.exit(2);
}
const result = await bench(args);
console.log(JSON.stringify(result));
