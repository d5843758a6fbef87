/**
 * The Kafka consumer groups of the layers that read the log. One group per topic: members of one
 * group rebalance together, so archivers (or speed instances) of different topics sharing a group
 * would stall each other on every rebalance. Lamina's own progress is in the lake (the frontier) and
 * in the generations, never in these groups' committed offsets, so renaming them loses nothing.
 */
export function archiverGroup(topic: string): string {
  return `lamina-archiver.${topic}`;
}

export function speedGroup(topic: string): string {
  return `lamina-speed.${topic}`;
}
