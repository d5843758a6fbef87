/**
 * GraphiQL from the assets bundled in @graphql-yoga/render-graphiql (script, styles, editor workers,
 * favicon inline), instead of graphql-yoga's default page that loads them from a CDN and stays blank
 * without internet. The package is ~9 MB of JavaScript: imported on the first GET, and the page for
 * one set of options rendered once.
 */
import type { GraphiQLOptions } from 'graphql-yoga';

const pages = new Map<string, Promise<string>>();

export function renderLocalGraphiQL(options: GraphiQLOptions): Promise<string> {
  const key = JSON.stringify(options);
  let page = pages.get(key);
  if (!page) {
    page = import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) => renderGraphiQL(options));
    page.catch(() => pages.delete(key));
    pages.set(key, page);
  }
  return page;
}
