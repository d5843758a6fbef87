import type { GenerationManifest, LaminaConfig, Logger } from '@lamina/shared';

/** POSTs a failed generation's manifest to `batch.alertWebhook`, if configured. */
export function alertHook(config: LaminaConfig, logger: Logger): ((manifest: GenerationManifest) => Promise<void>) | undefined {
  const url = config.batch.alertWebhook;
  if (!url) return undefined;
  return async (manifest) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ alert: 'lamina_quality_gate_failed', manifest }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) logger.error({ status: response.status, url }, 'alert webhook answered with an error');
  };
}
