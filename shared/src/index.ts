export * from './errors.js';
export * from './ports/event-log.js';
export * from './ports/object-store.js';
export * from './measures/measure.js';
