/**
 * Child process of lamina-facts.ts. For each word list in argv[2] (JSON) it evaluates a fresh copy
 * of cli/src/main.ts with argv `<words…> --help`, and records what the CLI printed and the exit code
 * it asked for. One process for all of them because loading the layers costs ~2 s of CPU, and these
 * run in the normal test suite. Prints a JSON array of { code, stdout, stderr } on stdout.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

class ExitRequested extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`);
  }
}

// The CLI's own catch handler calls process.exit(1) again after our first interception; that
// second throw ends up as an unhandled rejection, which is expected here.
process.on('unhandledRejection', (error) => {
  if (!(error instanceof ExitRequested)) throw error;
});

const lists = JSON.parse(process.argv[2] ?? '[]') as string[][];
const mainPath = resolve('cli/src/main.ts');
const real = { exit: process.exit, argv: process.argv, out: process.stdout.write, err: process.stderr.write };
const results: { code: number | null; stdout: string; stderr: string }[] = [];

for (const [index, words] of lists.entries()) {
  let stdout = '';
  let stderr = '';
  let exitCode: number | null = null;
  const exited = new Promise<void>((done) => {
    process.exit = ((code?: number) => {
      exitCode ??= code ?? 0;
      done();
      throw new ExitRequested(code ?? 0);
    }) as typeof process.exit;
  });
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write;
  process.argv = [real.argv[0]!, mainPath, ...words, '--help'];
  try {
    // A query string makes a new module instance, so commander parses these argv afresh.
    await import(`${pathToFileURL(mainPath).href}?probe=${index}`);
    await Promise.race([exited, new Promise((done) => setTimeout(done, 15_000).unref())]);
  } catch (error) {
    if (!(error instanceof ExitRequested)) stderr += String(error);
  }
  await new Promise((done) => setImmediate(done)); // let the CLI's rejection handlers run while still captured
  Object.assign(process, { exit: real.exit, argv: real.argv });
  process.stdout.write = real.out;
  process.stderr.write = real.err;
  results.push({ code: exitCode, stdout, stderr });
}

process.stdout.write(JSON.stringify(results));
