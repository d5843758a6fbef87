// Types for infra/provision.mjs (the parts TypeScript code uses).
/** The folder of the Kafka jars (broker and tools) for this POM, under the machine cache. */
export function kafkaLibDir(cacheDir: string): string;
export function provisionKafka(cacheDir: string, log: (line: string) => void): Promise<{ libDir: string; provisionedMs: number }>;
