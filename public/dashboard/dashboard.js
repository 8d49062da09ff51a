// The live dashboard: polls dashboard/data every 2 s, shows the deployment's figures, and keeps the last 10
// minutes of them in uPlot charts (the history lives in this page only). Every value from the server is written
// with textContent, never parsed as HTML. A plain script (no build step), loaded after uPlot.
/* global uPlot, document, window, ResizeObserver */
'use strict';

(() => {
  const POLL_MS = 2000;
  const WINDOW_SECONDS = 600;
  const ROUTES = ['passive', 'passive_on_retry', 'customer_service', 'placeholder', 'pickup_served', 'link'];
  const PALETTE = ['#07c160', '#2f6fde', '#e8833a', '#9b51e0', '#d64545', '#1fa2a8', '#8a8f98'];

  // ---- formatting ---------------------------------------------------------------------------------------------
  const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

  function formatCount(value) {
    if (!Number.isFinite(value)) return '—';
    if (value >= 1e9) return `${(value / 1e9).toFixed(2)} G`;
    if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
    return whole.format(value);
  }

  function formatRate(value) {
    if (!Number.isFinite(value)) return '—';
    if (value === 0) return '0';
    if (value < 10) return value.toFixed(2);
    if (value < 100) return value.toFixed(1);
    return whole.format(value);
  }

  function formatSeconds(value) {
    if (value === null || value === undefined || !Number.isFinite(value)) return '—';
    if (value === 0) return '0 ms';
    if (value < 0.001) return `${Math.round(value * 1e6)} µs`;
    if (value < 0.01) return `${(value * 1000).toFixed(2)} ms`;
    if (value < 1) return `${(value * 1000).toFixed(value < 0.1 ? 1 : 0)} ms`;
    if (value < 120) return `${value.toFixed(value < 10 ? 2 : 1)} s`;
    return `${(value / 60).toFixed(1)} min`;
  }

  function formatBytes(value) {
    if (!Number.isFinite(value) || value < 0) return '—';
    if (value === 0) return '0';
    const mebibytes = value / 1048576;
    return mebibytes >= 1024 ? `${(mebibytes / 1024).toFixed(2)} GiB` : `${mebibytes.toFixed(mebibytes < 100 ? 1 : 0)} MiB`;
  }

  function formatPercent(cores) {
    if (!Number.isFinite(cores)) return '—';
    return cores === 0 ? '0 %' : `${(cores * 100).toFixed(cores < 0.1 ? 1 : 0)} %`;
  }

  const clock = (seconds) => new Date(seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

  function formatDuration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const days = Math.floor(s / 86400);
    const hours = Math.floor((s % 86400) / 3600);
    const minutes = Math.floor((s % 3600) / 60);
    if (days > 0) return `${days}d ${hours}h`;
    if (hours > 0) return `${hours}h ${minutes}m`;
    if (minutes > 0) return `${minutes}m ${s % 60}s`;
    return `${s}s`;
  }

  function formatAgo(milliseconds) {
    const seconds = Math.max(0, Math.round(milliseconds / 1000));
    return seconds < 1 ? 'now' : `${seconds} s ago`;
  }

  const label = (name) => name.replaceAll('_', ' ');

  // ---- small DOM helpers --------------------------------------------------------------------------------------
  function element(tag, options = {}, ...children) {
    const node = document.createElement(tag);
    if (options.className) node.className = options.className;
    if (options.title) node.title = options.title;
    for (const [name, value] of Object.entries(options.data ?? {})) node.dataset[name] = value;
    for (const child of children) node.append(child instanceof window.Node ? child : String(child));
    return node;
  }

  function setFigure(name, text) {
    for (const node of document.querySelectorAll(`[data-figure="${name}"]`)) node.textContent = text;
  }

  /** A state pill: text and one of ok / warn / bad / off. */
  function setState(name, text, tone) {
    for (const node of document.querySelectorAll(`[data-figure="${name}"]`)) {
      node.textContent = text;
      node.className = `state state-${tone}`;
    }
  }

  function fillTable(tbody, rows, columns, emptyText) {
    if (rows.length === 0) {
      tbody.replaceChildren(element('tr', {}, element('td', { className: 'empty' }, emptyText)));
      tbody.firstChild.firstChild.colSpan = columns;
      return;
    }
    tbody.replaceChildren(...rows);
  }

  const cell = (content, className) => element('td', className ? { className } : {}, content);

  // ---- states -------------------------------------------------------------------------------------------------
  const CIRCUIT = {
    closed: ['closed', 'ok'],
    half_open: ['half-open', 'warn'],
    open: ['open', 'bad'],
  };

  function circuitState(circuit) {
    return CIRCUIT[circuit] ?? ['no breaker', 'off'];
  }

  function tokenState(token) {
    switch (token?.state) {
      case 'valid':
        return ['valid', 'ok'];
      case 'failing':
        return ['failing', 'bad'];
      case 'none':
        return ['not fetched', 'off'];
      default:
        return ['not used', 'off'];
    }
  }

  /** The deployment's token: failing anywhere wins, then a valid one (the soonest to expire), then none. */
  function deploymentToken(rows) {
    const tokens = rows.map((row) => row.token);
    const failing = tokens.find((token) => token.state === 'failing');
    if (failing) return failing;
    const valid = tokens.filter((token) => token.state === 'valid').sort((a, b) => a.expiresInSeconds - b.expiresInSeconds);
    if (valid.length > 0) return valid[0];
    return tokens.find((token) => token.state === 'none') ?? { state: 'off' };
  }

  // ---- charts -------------------------------------------------------------------------------------------------
  /** The legend shows the latest values unless the pointer is on the chart. */
  function showLatest(plot) {
    const count = plot.data[0].length;
    if (count > 0 && (plot.cursor.idx === null || plot.cursor.idx === undefined)) plot.setLegend({ idx: count - 1 }, false);
  }

  class TimeChart {
    /**
     * series: [{ label, color }]; format: a value → text (axis and legend). With `sparse`, values are often missing
     * (a percentile without answers in the interval): points are drawn so that a lone value shows. The y axis
     * reaches at least `floor`, so that a calm series stays a flat line near zero.
     */
    constructor(container, series, format, { sparse = false, floor = 1 } = {}) {
      this.container = container;
      this.format = format;
      this.x = [];
      this.values = series.map(() => []);
      const muted = '#6b7385';
      const grid = { stroke: '#eceef2', width: 1 };
      this.plot = new uPlot(
        {
          width: Math.max(280, container.clientWidth),
          height: 200,
          cursor: { drag: { x: false, y: false }, points: { size: 6 } },
          legend: { live: true },
          hooks: { setCursor: [showLatest] },
          scales: {
            // The data's own span, at least a minute; the page keeps at most WINDOW_SECONDS.
            x: {
              time: true,
              range: (_plot, min, max) => {
                const end = max ?? Date.now() / 1000;
                return [Math.min(min ?? end, end - 60), end];
              },
            },
            y: { range: (_plot, _min, max) => [0, Math.max(floor, (max ?? 0) * 1.15)] },
          },
          axes: [
            { stroke: muted, grid, ticks: grid, font: '11px system-ui, sans-serif', values: (_plot, ticks) => ticks.map(clock) },
            { stroke: muted, grid, ticks: grid, font: '11px system-ui, sans-serif', size: 64, values: (_plot, ticks) => ticks.map((tick) => format(tick)) },
          ],
          series: [
            { value: (_plot, value) => (value === null ? '—' : clock(value)) },
            ...series.map((each) => ({
              label: each.label,
              stroke: each.color,
              width: 2,
              points: sparse ? { show: true, size: 5, fill: each.color } : { show: false },
              value: (_plot, value) => (value === null || value === undefined ? '—' : format(value)),
            })),
          ],
        },
        [[], ...series.map(() => [])],
        container,
      );
      new ResizeObserver(() => this.plot.setSize({ width: Math.max(280, container.clientWidth), height: 200 })).observe(container);
    }

    push(time, values) {
      // uPlot does not range a time axis over a single point: the first point gets an empty one before it.
      if (this.x.length === 0) {
        this.x.push(time - POLL_MS / 1000);
        for (const list of this.values) list.push(null);
      }
      this.x.push(time);
      values.forEach((value, index) => this.values[index].push(value === undefined ? null : value));
      while (this.x.length > 0 && this.x[0] < time - WINDOW_SECONDS) {
        this.x.shift();
        for (const list of this.values) list.shift();
      }
      this.plot.setData([this.x, ...this.values]);
      showLatest(this.plot);
    }
  }

  const colors = (count) => PALETTE.slice(0, count);
  const [green, blue, orange, purple, red] = PALETTE;
  let charts;

  function createCharts() {
    const byId = (id) => document.getElementById(id);
    const seconds = (value) => formatSeconds(value);
    return {
      messages: new TimeChart(byId('chart-messages'), [
        { label: 'messages', color: green },
        { label: 'retries', color: orange },
        { label: 'rejected', color: red },
      ], formatRate),
      latency: new TimeChart(byId('chart-latency'), [
        { label: 'p50', color: green },
        { label: 'p90', color: blue },
        { label: 'p99', color: purple },
      ], seconds, { sparse: true }),
      routes: new TimeChart(byId('chart-routes'), ROUTES.map((route, index) => ({ label: label(route), color: colors(ROUTES.length)[index] })), formatRate),
      model: new TimeChart(byId('chart-model'), [
        { label: 'first token p50', color: green },
        { label: 'first token p90', color: blue },
        { label: 'total p50', color: orange },
        { label: 'total p90', color: purple },
      ], seconds, { sparse: true }),
      tokens: new TimeChart(byId('chart-tokens'), [
        { label: 'in', color: blue },
        { label: 'out', color: green },
      ], formatRate),
      lag: new TimeChart(byId('chart-lag'), [{ label: 'lag p99', color: orange }], seconds, { floor: 0.01 }),
      memory: new TimeChart(byId('chart-memory'), [{ label: 'resident', color: blue }], formatBytes, { floor: 64 * 1048576 }),
      cpu: new TimeChart(byId('chart-cpu'), [{ label: 'CPU', color: purple }], formatPercent, { floor: 0.1 }),
    };
  }

  // ---- rendering ----------------------------------------------------------------------------------------------
  function renderCards(data) {
    const figures = data.deployment;
    setFigure('messages-rate', formatRate(figures.messages.perSecond));
    setFigure('messages-total', formatCount(figures.messages.total));
    setFigure('retries-total', formatCount(figures.retries.total));
    setFigure('dedup-total', formatCount(figures.dedupHits.total));
    setFigure('latency-p50', formatSeconds(figures.answerLatency.p50));
    setFigure('latency-p90', formatSeconds(figures.answerLatency.p90));
    setFigure('latency-p99', formatSeconds(figures.answerLatency.p99));
    setFigure('in-flight', formatCount(figures.inFlight));
    setFigure('ai-in-flight', formatCount(figures.ai.inFlight));
    setFigure('ai-queued', formatCount(figures.ai.queued));
    setFigure('rejected-total', formatCount(figures.rejected.total));
    setFigure('rejected-rate', formatRate(figures.rejected.perSecond));
    const statuses = Object.entries(figures.rejected.byStatus).sort(([a], [b]) => a.localeCompare(b));
    setFigure('rejected-by-status', statuses.length === 0 ? 'none' : statuses.map(([status, count]) => `${status}: ${formatCount(count)}`).join(', '));

    const [circuitText, circuitTone] = circuitState(figures.circuit);
    setState('circuit', circuitText, circuitTone);
    const outcomes = Object.entries(figures.ai.outcomes).filter(([outcome]) => outcome !== 'ok');
    const failed = outcomes.map(([outcome, count]) => `${label(outcome)} ${formatCount(count)}`).join(', ');
    setFigure('ai-calls', `${formatCount(figures.ai.calls.total)} calls · ${formatRate(figures.ai.calls.perSecond)}/s${failed ? ` · ${failed}` : ''}`);

    const token = deploymentToken(data.rows);
    const [tokenText, tokenTone] = tokenState(token);
    setState('token', tokenText, tokenTone);
    setFigure('token-detail', token.state === 'valid' ? `expires in ${formatDuration(token.expiresInSeconds)}${token.ageSeconds === null ? '' : ` · ${formatDuration(token.ageSeconds)} old`}` : token.state === 'off' ? 'no WeChat API configured' : token.state === 'failing' ? 'see /readyz for WeChat’s hint' : 'fetched on first use');

    setFigure('tokens-in', formatCount(figures.ai.tokensIn.total));
    setFigure('tokens-out', formatCount(figures.ai.tokensOut.total));
    setFigure('tokens-rate', formatRate(figures.ai.tokensIn.perSecond + figures.ai.tokensOut.perSecond));
    setFigure('ai-timeouts', formatCount(figures.ai.timeouts));
    setFigure('ai-retries', formatCount(figures.ai.retries));
    setFigure('lag', formatSeconds(figures.eventLoopLagSeconds));
    setFigure('memory', formatBytes(figures.residentMemoryBytes));
    setFigure('cpu', formatPercent(figures.cpu));
  }

  function renderCharts(data) {
    const figures = data.deployment;
    const time = data.generatedAt / 1000;
    const routeRate = (route) => figures.routes.find((each) => each.route === route)?.perSecond ?? 0;
    charts.messages.push(time, [figures.messages.perSecond, figures.retries.perSecond, figures.rejected.perSecond]);
    charts.latency.push(time, [figures.answerLatency.p50, figures.answerLatency.p90, figures.answerLatency.p99]);
    charts.routes.push(time, ROUTES.map(routeRate));
    charts.model.push(time, [figures.ai.firstToken.p50, figures.ai.firstToken.p90, figures.ai.duration.p50, figures.ai.duration.p90]);
    charts.tokens.push(time, [figures.ai.tokensIn.perSecond, figures.ai.tokensOut.perSecond]);
    charts.lag.push(time, [figures.eventLoopLagSeconds]);
    charts.memory.push(time, [figures.residentMemoryBytes]);
    charts.cpu.push(time, [figures.cpu]);
  }

  function renderTables(data) {
    const figures = data.deployment;
    const answered = figures.routes.reduce((total, route) => total + route.total, 0);
    fillTable(
      document.getElementById('routes'),
      figures.routes.map((route) => {
        const share = answered > 0 ? route.total / answered : 0;
        const bar = element('span');
        bar.style.width = `${share * 80}%`;
        return element('tr', { data: { route: route.route } },
          cell(label(route.route)),
          cell(formatCount(route.total), 'number'),
          element('td', {}, element('div', { className: 'bar' }, bar, element('em', {}, `${(share * 100).toFixed(share < 0.1 ? 1 : 0)} %`))),
          cell(formatRate(route.perSecond), 'number'));
      }),
      4,
      'no answers delivered yet',
    );
    fillTable(
      document.getElementById('api-errors'),
      figures.errors.wechatApi.map((row) => element('tr', {}, cell(element('code', {}, row.api ?? '')), cell(row.errcode), cell(formatCount(row.total), 'number'), cell(formatRate(row.perSecond), 'number'))),
      4,
      'no WeChat API errors',
    );
    fillTable(
      document.getElementById('cs-errors'),
      figures.errors.customerService.map((row) => element('tr', {}, cell(row.errcode), cell(formatCount(row.total), 'number'), cell(formatRate(row.perSecond), 'number'))),
      3,
      'none: every one was sent',
    );

    setFigure('instances', String(data.rows.length));
    fillTable(
      document.getElementById('instances'),
      data.rows.map((row) => {
        const name = element('td', {}, element('code', {}, row.instance));
        if (row.instance === data.servedBy) name.append(element('span', { className: 'tag here', title: 'this instance served the page' }, 'this page'));
        if (row.demo) name.append(element('span', { className: 'tag' }, 'demo'));
        const [circuitText, circuitTone] = circuitState(row.circuit);
        const [tokenText, tokenTone] = tokenState(row.token);
        return element('tr', { data: { instance: row.instance } },
          name,
          cell(row.version),
          cell(formatDuration(row.uptimeSeconds)),
          cell(formatCount(row.messages.total), 'number'),
          cell(formatRate(row.messages.perSecond), 'number'),
          cell(formatCount(row.inFlight), 'number'),
          cell(formatSeconds(row.answerLatency.p99), 'number'),
          cell(formatSeconds(row.eventLoopLagSeconds), 'number'),
          cell(formatBytes(row.residentMemoryBytes), 'number'),
          cell(formatPercent(row.cpu), 'number'),
          cell(element('span', { className: `state state-${circuitTone}` }, circuitText)),
          cell(element('span', { className: `state state-${tokenTone}` }, tokenText)),
          cell(formatAgo(data.generatedAt - row.lastSeenAt)));
      }),
      13,
      'no instance has published a snapshot yet',
    );
  }

  function renderSummary(data) {
    const rows = data.rows;
    const versions = [...new Set(rows.map((row) => row.version))].join(', ');
    const services = [...new Set(rows.map((row) => `${row.ai.provider}${row.ai.model ? ` · ${row.ai.model}` : ''}`))].join(', ');
    const parts = [
      `${rows.length} ${rows.length === 1 ? 'instance' : 'instances'}`,
      `version ${versions || '—'}`,
      `AI: ${services || '—'}`,
      rows.some((row) => row.redis) ? 'shared through Redis' : 'single instance (no Redis)',
    ];
    if (rows.some((row) => row.demo)) parts.push('demo mode: not connected to WeChat');
    document.getElementById('summary').textContent = parts.join(' · ');
    document.getElementById('updated').textContent = `updated ${new Date(data.generatedAt).toLocaleTimeString()} · served by ${data.servedBy}`;
    const notice = document.getElementById('notice');
    notice.hidden = !data.notice;
    notice.textContent = data.notice ?? '';
  }

  function setConnection(text, tone) {
    const pill = document.getElementById('connection');
    pill.textContent = text;
    pill.className = `pill pill-${tone}`;
  }

  // ---- polling ------------------------------------------------------------------------------------------------
  /** The figures, or undefined when they could not be fetched (the connection pill says why). */
  async function fetchData() {
    let response;
    try {
      response = await fetch('dashboard/data', { cache: 'no-store', credentials: 'same-origin', headers: { accept: 'application/json' } });
    } catch {
      setConnection('offline', 'down');
      return undefined;
    }
    if (response.status === 401) {
      setConnection('sign-in needed', 'down');
      const notice = document.getElementById('notice');
      notice.hidden = false;
      notice.textContent = 'This dashboard needs the admin token (ADMIN_TOKEN): reload the page and give it as the password.';
      return undefined;
    }
    if (!response.ok) {
      setConnection(`error ${response.status}`, 'down');
      return undefined;
    }
    return response.json();
  }

  // A rendering error is not caught: it shows in the console instead of passing for a connection problem.
  async function poll() {
    try {
      const data = await fetchData();
      if (data === undefined) return;
      renderSummary(data);
      renderCards(data);
      renderCharts(data);
      renderTables(data);
      setConnection('live', 'live');
    } finally {
      window.setTimeout(poll, POLL_MS);
    }
  }

  function start() {
    charts = createCharts();
    void poll();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
