// Types for infra/stack-config.mjs.
export interface StackConfig {
  cacheDir: string;
  stateDir: string;
  ports: { kafka: number; kafkaController: number; kafkaSasl: number; minio: number };
  /** Which of `ports` the environment set: those win over the ports a stopped service last used. */
  explicitPorts: { kafka: boolean; kafkaController: boolean; kafkaSasl: boolean; minio: boolean };
  bucket: string;
  topic: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  readyTimeoutMs: number;
}

export const REPO_ROOT: string;
export const KAFKA_VERSION: string;
export const MINIO_VERSION: string;
export const MINIO_MODULE: string;
export const DEFAULT_PORTS: Readonly<{ kafka: number; kafkaController: number; kafkaSasl: number; minio: number }>;
export const KAFKA_SCRAM_USER: Readonly<{ username: string; password: string }>;
export const DEV_CREDENTIALS: Readonly<{ accessKeyId: string; secretAccessKey: string }>;
export function stackConfigFromEnv(env?: Record<string, string | undefined>): StackConfig;
