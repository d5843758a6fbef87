import type { Plugin } from 'graphql-yoga';
import type { LaminaContext } from './resolvers.js';

/**
 * Puts the freshness of every view answer in the response's `extensions.lamina`, keyed by the
 * field's alias, so any client sees which generation and watermark an answer used.
 */
export function useLaminaExtensions(): Plugin<LaminaContext> {
  return {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          const answers = (args.contextValue as LaminaContext).laminaAnswers;
          if (!answers || Symbol.asyncIterator in result) return;
          const generations = [...new Set(Object.values(answers).map((a) => a.generation))];
          setResult({
            ...result,
            extensions: {
              ...result.extensions,
              lamina: {
                generation: generations.length === 1 ? generations[0] : generations,
                answers: Object.fromEntries(
                  Object.entries(answers).map(([field, m]) => [
                    field,
                    {
                      generation: m.generation,
                      batchWatermark: m.batchWatermark,
                      batchWatermarkTime: m.batchWatermarkTime === null ? null : new Date(m.batchWatermarkTime).toISOString(),
                      realtimeLagRecords: m.realtimeLagRecords,
                      realtimeLastEventTime: m.realtimeLastEventTime === null ? null : new Date(m.realtimeLastEventTime).toISOString(),
                      realtimeCaughtUp: m.realtimeCaughtUp,
                    },
                  ]),
                ),
              },
            },
          });
        },
      };
    },
  };
}
