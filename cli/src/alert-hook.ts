import type { BatchAlert } from '@lamina/batch-layer';
import type { LaminaConfig, Logger } from '@lamina/shared';

/**
 * POSTs a batch alert to `batch.alertWebhook`, if configured: `{ alert, message, manifest? }` where
 * alert is `lamina_quality_gate_failed` (manifest: the generation not published) or `lamina_log_mismatch`.
 */
export function alertHook(config: LaminaConfig, logger: Logger): ((alert: BatchAlert) => Promise<void>) | undefined {
  const url = config.batch.alertWebhook;
  if (!url) return undefined;
  return async (alert) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alert),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) logger.error({ status: response.status, url }, 'alert webhook answered with an error');
  };
}
