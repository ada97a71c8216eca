// Latency and throughput of Neon's driver against Breakwater (EdgeBenchIT). BW_BENCH=latency: one-row
// queries one after another over HTTP (neon()), over a WebSocket (Client) and over TCP (node-postgres
// through the pooler's PostgreSQL port), interleaved in rounds so that the machine's noise falls on
// all three alike; prints one JSON line of p50/p99 in ms. BW_BENCH=throughput: BW_CONCURRENCY loops
// of neon() queries for BW_SECONDS; prints one JSON line with the number of requests.
const { neon, neonConfig, Client } = require('@neondatabase/serverless');
const pg = require('pg');
const ws = require('ws');

const HTTP = process.env.BW_HTTP;
const URL = process.env.BW_URL;
neonConfig.webSocketConstructor = ws;
neonConfig.fetchEndpoint = `http://${HTTP}/sql`;
neonConfig.wsProxy = `${HTTP}/v2`;
neonConfig.useSecureWebSocket = false;

const now = () => Number(process.hrtime.bigint()) / 1e6;
const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

async function latency() {
  const n = Number(process.env.BW_N || 2000);
  const sql = neon(URL);
  const wsClient = new Client(URL);
  await wsClient.connect();
  // The driver coalesces a turn's writes with setTimeout(0), at least 1 ms in Node: without it too.
  const wsDirect = new Client(URL);
  wsDirect.neonConfig.coalesceWrites = false;
  await wsDirect.connect();
  const tcp = new pg.Client({ connectionString: URL });
  await tcp.connect();
  const runs = {
    http: () => sql`SELECT 1 AS one`,
    ws: () => wsClient.query('SELECT 1 AS one'),
    wsDirect: () => wsDirect.query('SELECT 1 AS one'),
    tcp: () => tcp.query('SELECT 1 AS one'),
  };
  const times = { http: [], ws: [], wsDirect: [], tcp: [] };
  for (let i = 0; i < 200; i++) for (const k in runs) await runs[k]();   // warm-up
  for (let i = 0; i < n; i++) {
    for (const k in runs) {
      const t = now();
      await runs[k]();
      times[k].push(now() - t);
    }
  }
  await wsClient.end();
  await wsDirect.end();
  await tcp.end();
  const out = {};
  for (const k in times) out[k] = { p50: pct(times[k], 0.5), p99: pct(times[k], 0.99), n: times[k].length };
  console.log(JSON.stringify(out));
}

async function throughput() {
  const c = Number(process.env.BW_CONCURRENCY);
  const seconds = Number(process.env.BW_SECONDS || 5);
  const sql = neon(URL);
  let count = 0, errors = 0;
  const end = now() + seconds * 1000;
  const lat = [];
  await Promise.all(Array.from({ length: c }, async () => {
    while (now() < end) {
      const t = now();
      try { await sql`SELECT 1 AS one`; count++; lat.push(now() - t); } catch (e) { errors++; }
    }
  }));
  console.log(JSON.stringify({ concurrency: c, requests: count, errors, seconds, p50: pct(lat, 0.5), p99: pct(lat, 0.99) }));
}

(process.env.BW_BENCH === 'latency' ? latency() : throughput()).then(() => process.exit(0), e => { console.error(e); process.exit(1); });
