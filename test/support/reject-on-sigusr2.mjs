// Preloaded into a Lamina process by test/process-exits.test.ts (node --import): SIGUSR2 makes a
// promise reject with nobody listening, as a bug in a worker loop would.
process.on('SIGUSR2', () => {
  void Promise.reject(new Error('injected by the test: a rejection nobody handles'));
});
