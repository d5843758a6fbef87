// Types for infra/stack-lib.mjs, so TypeScript tests can `import { ensureStack } from '../../infra/stack-lib.mjs'`.
import type { StackConfig } from './stack-config.mjs';

export type { StackConfig };

export interface StackEnv {
  LAMINA_KAFKA_BROKERS: string;
  LAMINA_TOPIC: string;
  LAMINA_S3_ENDPOINT: string;
  LAMINA_S3_BUCKET: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  AWS_REGION: string;
  /** The broker's SASL/SCRAM listener and its user (absent on a stack started before it existed). */
  LAMINA_STACK_KAFKA_SASL_BROKERS?: string;
  LAMINA_STACK_KAFKA_SCRAM_USER?: string;
  LAMINA_STACK_KAFKA_SCRAM_PASSWORD?: string;
  /** PEM of the SASL listener's TLS certificate (self-signed): what a client trusts. */
  LAMINA_STACK_KAFKA_TLS_CA?: string;
}

export interface ServiceStatus {
  running: boolean;
  pid?: number;
  version?: string;
  startedAt?: string;
  brokerPort?: number;
  controllerPort?: number;
  saslPort?: number;
  /** Kafka: the cluster id of its storage (kept across restarts, new after stack:down). */
  clusterId?: string;
  port?: number;
}

export interface StackOptions {
  config?: StackConfig;
  log?: (line: string) => void;
}

export function stackStatus(config?: StackConfig): { kafka: ServiceStatus; minio: ServiceStatus };
export function stackEnv(config: StackConfig, ports: { brokerPort: number; minioPort: number; saslPort?: number }): StackEnv;
export function runningStackEnv(config?: StackConfig): Promise<StackEnv | null>;
export function ensureStack(options?: StackOptions): Promise<{
  env: StackEnv;
  /** true when this call started at least one service: the caller should stopStack() when done */
  startedByUs: boolean;
  started: { kafka: boolean; minio: boolean };
}>;
export function stopStack(options?: StackOptions): Promise<{ kafka: string; minio: string }>;
