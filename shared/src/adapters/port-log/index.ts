export { PortEventLog } from './port-event-log.js';
export { serveEventLog, type EventLogHost } from './event-log-host.js';
