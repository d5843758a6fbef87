/**
 * GETs a URL every N ms until its stdin closes, then prints the latencies (ms) as one JSON line.
 * A process of its own: probed from the bench process, /healthz latency would include that process's
 * own turns (autocannon reading 2 MB answers), not only the server's.
 */
const [url, everyMs] = [process.argv[2]!, Number(process.argv[3] ?? 20)];
const latencies: number[] = [];
let running = true;
process.stdin.on('end', () => (running = false)).resume();
// The first fetch of a process loads and connects its HTTP client (50–80 ms): not the server's time.
await (await fetch(url)).arrayBuffer();
while (running) {
  const started = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  latencies.push(performance.now() - started);
  await new Promise((r) => setTimeout(r, everyMs));
}
console.log(JSON.stringify(latencies));
