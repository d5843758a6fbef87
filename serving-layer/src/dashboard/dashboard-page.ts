/** The dashboard's HTML shell; the script fills it (controls from the catalog, live data). */
export const dashboardHtml = /* HTML */ `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Lamina dashboard</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/dashboard/app.css" />
  </head>
  <body>
    <header>
      <h1>Lamina</h1>
      <form id="controls" aria-label="query">
        <label>View <select name="view"></select></label>
        <label>Range <select name="range"></select></label>
        <label class="custom">From (UTC) <input name="from" type="datetime-local" step="60" /></label>
        <label class="custom">To (UTC) <input name="to" type="datetime-local" step="60" /></label>
        <label>Granularity <select name="granularity"></select></label>
        <label>Measure <select name="measure"></select></label>
      </form>
      <output id="freshness" aria-live="polite">connecting…</output>
    </header>
    <div id="problem" role="alert" hidden></div>
    <main>
      <section id="totals" aria-label="totals for the range"></section>
      <section class="card">
        <h2 id="chart-title"></h2>
        <div id="chart"></div>
      </section>
      <section class="card" id="top-card">
        <h2>Top <span id="top-n"></span> <select name="by" form="controls" aria-label="top by dimension"></select> by <span id="top-measure"></span></h2>
        <table id="top"><thead></thead><tbody></tbody></table>
      </section>
    </main>
    <footer>Exact answers: batch generation + realtime, live over GraphQL subscriptions. <a href="/graphql">GraphiQL</a> · <a href="/metrics">metrics</a></footer>
    <script src="/dashboard/app.js"></script>
  </body>
</html>
`;
