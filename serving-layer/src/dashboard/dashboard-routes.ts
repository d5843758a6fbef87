/**
 * HTTP routes of the dashboard: the page at /, its bundled script and styles, and the catalog of
 * views it builds its controls from. Everything is served from this process; nothing is fetched.
 */
import type { ServerResponse } from 'node:http';
import { sendJson, type CompiledView, type Logger } from '@lamina/shared';
import { buildCatalog } from './catalog.js';
import { dashboardBundle } from './dashboard-bundle.js';
import { dashboardHtml } from './dashboard-page.js';

function send(res: ServerResponse, type: string, body: string): void {
  // no-cache: the browser revalidates, so a restarted server with new views or code is seen at once.
  res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-cache' });
  res.end(body);
}

/** Answers the request if `path` is one of the dashboard's; returns whether it did. */
export function serveDashboard(path: string, res: ServerResponse, views: readonly CompiledView[], logger: Logger): boolean {
  switch (path) {
    case '/':
      send(res, 'text/html', dashboardHtml);
      return true;
    case '/dashboard/catalog.json':
      sendJson(res, 200, buildCatalog(views));
      return true;
    case '/dashboard/app.js':
    case '/dashboard/app.css':
      dashboardBundle().then(
        (bundle) => (path.endsWith('.js') ? send(res, 'text/javascript', bundle.js) : send(res, 'text/css', bundle.css)),
        (error: unknown) => {
          logger.error({ err: error }, 'dashboard: could not bundle the page script');
          sendJson(res, 500, { error: 'the dashboard script could not be built; see the server log' });
        },
      );
      return true;
    default:
      return false;
  }
}
