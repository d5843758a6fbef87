/**
 * `npm run bench -- <scenario> [options]`: runs a benchmark scenario and rewrites BENCHMARKS.md.
 * Scenarios: batch (the batch layer against hand-written DuckDB SQL), serving (GraphQL latency, throughput
 * and memory in distributed mode against bare graphql-yoga; ingest under a polling dashboard), soak (embedded mode under
 * a fixed load for 10 minutes: memory and realtime state flat across generations), spark (the batch run on Spark
 * local[1] and local[2] against DuckDB), throughput (ingest, archiver, speed fold and freshness against Kafka's
 * perf tools, a bare Node server and a bare kafkajs consumer; what `npm run bench` alone runs). `--smoke` runs a tiny version
 * (what the test suite does so that the benches never rot).
 */
import { runBatchBench } from './batch/batch-bench.js';
import { runServingBench } from './serving/serving-bench.js';
import { runSoakBench } from './soak/soak-bench.js';
import { runSparkBench } from './spark/spark-bench.js';
import { runThroughputBench } from './throughput/throughput-bench.js';

const args = process.argv.slice(2);
const [scenario, ...rest] = args.length === 0 || args[0]!.startsWith('--') ? ['throughput', ...args] : args;
const smoke = rest.includes('--smoke');
const scenarios: Record<string, () => Promise<void>> = {
  batch: () => runBatchBench({ smoke }),
  serving: () => runServingBench({ smoke }),
  soak: () => runSoakBench({ smoke }),
  spark: () => runSparkBench({ smoke }),
  throughput: () => runThroughputBench({ smoke }),
};
if (!scenario || !scenarios[scenario]) {
  console.error(`usage: npm run bench -- <scenario> [--smoke]; scenarios: ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
await scenarios[scenario]!();
