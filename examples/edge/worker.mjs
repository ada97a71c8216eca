// A Cloudflare Worker using Neon's serverless driver against Breakwater instead of Neon.
// The same code runs as a Vercel Edge Function or a Deno Deploy handler (see README.md).
// NeonDriverIT runs it against a real Breakwater, so it keeps working.
import { neon, neonConfig } from '@neondatabase/serverless';

export default {
  async fetch(request, env) {
    // Breakwater's HTTP listener (http_serverless = 1): POST /sql. https:// with http_tls = 1.
    neonConfig.fetchEndpoint = env.BREAKWATER_SQL_URL;
    // The pooler's PostgreSQL address, user, password and database (routed through [databases]).
    const sql = neon(env.DATABASE_URL);
    const name = new URL(request.url).searchParams.get('name') ?? 'world';
    const [row] = await sql`SELECT 'hello, ' || ${name} AS greeting, now() AS at`;
    return Response.json(row);
  },
};
