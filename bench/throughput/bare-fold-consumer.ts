/**
 * The speed fold's baseline: a bare kafkajs consumer that reads `count` messages of a topic from the
 * start in a new group and only decodes each one's JSON. Prints `{"eventsPerSec":…}`; the clock
 * starts before the group join, as it does for `lamina speed`.
 * Usage: bare-fold-consumer.ts <brokers> <topic> <count>
 */
import { Kafka, logLevel } from 'kafkajs';

const [brokers, topic, countText] = process.argv.slice(2);
const count = Number(countText);
const kafka = new Kafka({ brokers: brokers!.split(','), clientId: 'lamina-bench-bare', logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: `lamina-bench-bare-${Date.now().toString(36)}` });
const started = performance.now();
await consumer.connect();
await consumer.subscribe({ topic: topic!, fromBeginning: true });
let seen = 0;
let decoded = 0;
const done = new Promise<void>((resolve) => {
  void consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        const event = JSON.parse(message.value!.toString()) as { id?: unknown };
        if (event.id !== undefined) decoded++;
        seen++;
      }
      if (seen >= count) resolve();
    },
  });
});
await done;
const seconds = (performance.now() - started) / 1000;
await consumer.disconnect();
console.log(JSON.stringify({ eventsPerSec: count / seconds, decoded }));
