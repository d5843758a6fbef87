#!/usr/bin/env node
// Local Kafka + MinIO for Lamina. Usage: node infra/stack.mjs up|down|env|status|selftest
//   up        provision on first use, start, wait until ready, create the bucket, print KEY=VALUE env
//   down      stop both services and delete their data
//   env       print the env of the running stack (exit 1 when it is not running)
//   status    what runs, with pids and ports
//   selftest  up (if needed), real client round trips, then down if it was started here
// Progress goes to stderr, the env to stdout: `eval "$(node infra/stack.mjs up)"` works (values need no quoting).
import { stackConfigFromEnv } from './stack-config.mjs';
import { ensureStack, runningStackEnv, stackStatus, stopStack } from './stack-lib.mjs';
import { selfTest } from './stack-selftest.mjs';

const log = (line) => process.stderr.write(`[stack] ${line}\n`);

// The AWS SDK warns on every run that Node 20 support ends in 2027; not actionable here, and it
// would bury the progress lines.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  const nodeVersionNag = w.name === 'NodeVersionSupportWarning' || w.message.startsWith('NodeVersionSupportWarning');
  if (!nodeVersionNag) process.stderr.write(`${w.name}: ${w.message}\n`);
});

function printEnv(env) {
  process.stdout.write(Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(''));
}

async function main(command) {
  const config = stackConfigFromEnv();
  switch (command) {
    case 'up': {
      const { env } = await ensureStack({ config, log });
      printEnv(env);
      return 0;
    }
    case 'down': {
      await stopStack({ config, log });
      return 0;
    }
    case 'env': {
      const env = await runningStackEnv(config);
      if (!env) {
        log('stack is not running; start it with: node infra/stack.mjs up');
        return 1;
      }
      printEnv(env);
      return 0;
    }
    case 'status': {
      const s = stackStatus(config);
      const line = (name, st, addr) => `${name}: ${st.running ? `running (pid ${st.pid}, ${addr})` : 'stopped'}`;
      process.stdout.write(`${line('kafka', s.kafka, `127.0.0.1:${s.kafka.brokerPort}`)}\n`);
      process.stdout.write(`${line('minio', s.minio, `http://127.0.0.1:${s.minio.port}`)}\n`);
      process.stdout.write(`state: ${config.stateDir}\ncache: ${config.cacheDir}\n`);
      return s.kafka.running && s.minio.running ? 0 : 1;
    }
    case 'selftest': {
      const { env, startedByUs } = await ensureStack({ config, log });
      try {
        await selfTest(env, log);
        log('self-test passed');
      } finally {
        if (startedByUs) await stopStack({ config, log });
      }
      return 0;
    }
    default:
      process.stderr.write('usage: node infra/stack.mjs up|down|env|status|selftest\n');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err) => {
    log(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
