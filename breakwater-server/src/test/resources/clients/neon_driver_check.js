// Neon's serverless driver (@neondatabase/serverless) against Breakwater's HTTP listener, unchanged:
// neon() over POST /sql and Pool/Client over the WebSocket /v2. BW_CHECK names the check to run;
// prints "OK <check>" and exits 0 when it passes. BW_HTTP is host:port of the HTTP listener,
// BW_PORT the pooler's PostgreSQL port, BW_USERS a JSON object of user -> password.
const { neon, neonConfig, Pool, Client, NeonDbError } = require('@neondatabase/serverless');
const ws = require('ws');
const assert = require('assert');

const HTTP = process.env.BW_HTTP;
const PORT = process.env.BW_PORT;
const USERS = JSON.parse(process.env.BW_USERS);
const DB = process.env.BW_DB || 'bwtest';
neonConfig.webSocketConstructor = ws;
neonConfig.fetchEndpoint = `http://${HTTP}/sql`;
neonConfig.wsProxy = `${HTTP}/v2`;
neonConfig.useSecureWebSocket = false;

const url = (user, pass = USERS[user], db = DB) =>
  `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${PORT}/${db}`;
const PLAIN = 'bw_plain', MD5 = 'bw_md5', SCRAM = 'bw_scram';

async function rejects(promise, code) {
  try {
    await promise;
  } catch (e) {
    assert.strictEqual(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    return e;
  }
  throw new Error(`expected an error ${code}`);
}

const checks = {
  async httpParams() {
    const sql = neon(url(PLAIN));
    const rows = await sql`SELECT ${1}::int AS one, ${'x'} AS s, ${null}::text AS n`;
    assert.deepStrictEqual(rows, [{ one: 1, s: 'x', n: null }]);
    const r2 = await sql.query('SELECT $1::int + $2::int AS sum', [2, 3]);
    assert.deepStrictEqual(r2, [{ sum: 5 }]);
  },

  async httpTypes() {
    const sql = neon(url(PLAIN));
    const when = new Date('2024-02-29T12:34:56.789Z');
    const [r] = await sql`SELECT 9007199254740993::int8 AS i8, 1.50::numeric AS n, true AS b, 2.5::float8 AS f,
        ${when}::timestamptz AS ts, '2024-02-29'::date AS d, '{"a":[1,2]}'::jsonb AS j, '[1,"x"]'::json AS js,
        ${[1, 2, null]}::int[] AS arr, ARRAY['a','b c'] AS tarr, ${Buffer.from([0, 255])} AS by,
        'é✓'::text AS u, NULL::int AS nul, 32767::int2 AS i2, '1 day'::interval AS iv, gen_random_uuid()::text AS uu`;
    assert.strictEqual(r.i8, '9007199254740993');
    assert.strictEqual(r.n, '1.50');
    assert.strictEqual(r.b, true);
    assert.strictEqual(r.f, 2.5);
    assert.ok(r.ts instanceof Date);
    assert.strictEqual(r.ts.getTime(), when.getTime());
    assert.ok(r.d instanceof Date);
    assert.deepStrictEqual(r.j, { a: [1, 2] });
    assert.deepStrictEqual(r.js, [1, 'x']);
    assert.deepStrictEqual(r.arr, [1, 2, null]);
    assert.deepStrictEqual(r.tarr, ['a', 'b c']);
    assert.ok(Buffer.isBuffer(r.by));
    assert.deepStrictEqual([...r.by], [0, 255]);
    assert.strictEqual(r.u, 'é✓');
    assert.strictEqual(r.nul, null);
    assert.strictEqual(r.i2, 32767);
    assert.strictEqual(typeof r.iv, 'object');
    assert.strictEqual(r.uu.length, 36);
  },

  async httpArrayModeFullResults() {
    const sql = neon(url(PLAIN), { arrayMode: true, fullResults: true });
    const r = await sql`SELECT 1 AS a, 'b' AS b`;
    assert.deepStrictEqual(r.rows, [[1, 'b']]);
    assert.strictEqual(r.command, 'SELECT');
    assert.strictEqual(r.rowCount, 1);
    assert.strictEqual(r.fields[0].name, 'a');
    assert.strictEqual(r.fields[0].dataTypeID, 23);
    assert.strictEqual(r.fields[1].dataTypeID, 25);
    const plain = neon(url(PLAIN));
    const full = await plain.query('SELECT 7 AS x', [], { fullResults: true });
    assert.deepStrictEqual(full.rows, [{ x: 7 }]);
  },

  async httpTransaction() {
    const sql = neon(url(PLAIN));
    await sql`DROP TABLE IF EXISTS neon_driver_tx`;
    await sql`CREATE TABLE neon_driver_tx (id int PRIMARY KEY)`;
    const [ins, sel, iso] = await sql.transaction([
      sql`INSERT INTO neon_driver_tx VALUES (1), (2)`,
      sql`SELECT count(*)::int AS n FROM neon_driver_tx`,
      sql`SELECT current_setting('transaction_isolation') AS iso`,
    ], { isolationLevel: 'RepeatableRead' });
    assert.deepStrictEqual(sel, [{ n: 2 }]);
    assert.deepStrictEqual(iso, [{ iso: 'repeatable read' }]);
    // All or nothing.
    await rejects(sql.transaction(txn => [
      txn`INSERT INTO neon_driver_tx VALUES (3)`,
      txn`INSERT INTO neon_driver_tx VALUES (1)`,
    ]), '23505');
    assert.deepStrictEqual(await sql`SELECT count(*)::int AS n FROM neon_driver_tx`, [{ n: 2 }]);
    await rejects(sql.transaction([sql`INSERT INTO neon_driver_tx VALUES (4)`], { readOnly: true }), '25006');
    const ro = await sql.transaction([sql`SELECT current_setting('transaction_read_only') AS ro`],
      { readOnly: true, isolationLevel: 'Serializable', deferrable: true });
    assert.deepStrictEqual(ro, [[{ ro: 'on' }]]);
    // Nothing outlives the batch.
    for (let i = 0; i < 6; i++) {
      const [s] = await sql`SELECT current_setting('transaction_isolation') AS iso, current_setting('transaction_read_only') AS ro`;
      assert.deepStrictEqual(s, { iso: 'read committed', ro: 'off' });
    }
  },

  async httpErrors() {
    const sql = neon(url(PLAIN));
    const e = await rejects(sql`SELECT * FROM no_such_table`, '42P01');
    assert.ok(e instanceof NeonDbError);
    assert.strictEqual(e.severity, 'ERROR');
    assert.strictEqual(e.position, '15');
    await rejects(sql`SELECT 1/0`, '22012');
    await rejects(neon(url(PLAIN, 'wrong'))`SELECT 1`, '28P01');
    await rejects(neon(url('nobody', 'x'))`SELECT 1`, '28P01');
    await rejects(neon(url(PLAIN, USERS[PLAIN], 'no_such_db'))`SELECT 1`, '3D000');
  },

  async httpUsers() {
    for (const user of [PLAIN, MD5, SCRAM]) {
      const rows = await neon(url(user))`SELECT current_user AS u`;
      assert.deepStrictEqual(rows, [{ u: user }]);
    }
  },

  async httpConcurrent() {
    const sql = neon(url(MD5));
    const n = Number(process.env.BW_CONCURRENT || 100);
    const all = [];
    for (let i = 0; i < n; i++) all.push(sql`SELECT ${i}::int AS i, pg_sleep(0.01)`);
    const results = await Promise.all(all);
    results.forEach((r, i) => assert.strictEqual(r[0].i, i));
  },

  async httpLargeResult() {
    const sql = neon(url(PLAIN));
    const rows = await sql`SELECT g AS id, repeat('x', 50) AS pad FROM generate_series(1, 50000) g`;
    assert.strictEqual(rows.length, 50000);
    assert.strictEqual(rows[49999].id, 50000);
  },

  async wsPoolTransaction() {
    for (const user of [PLAIN, MD5, SCRAM]) {
      const pool = new Pool({ connectionString: url(user), max: 3 });
      const table = 'neon_driver_ws_' + user;
      await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (id int, who text)`);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`INSERT INTO ${table} VALUES ($1, $2)`, [1, user]);
        const r = await client.query(`SELECT count(*)::int AS n FROM ${table} WHERE who = $1`, [user]);
        assert.ok(r.rows[0].n >= 1);
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      const r = await pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE who = $1`, [user]);
      assert.strictEqual(r.rows[0].n, 0);
      const e = await pool.query('SELECT * FROM no_such_table').catch(e => e);
      assert.strictEqual(e.code, '42P01');
      const many = await Promise.all([1, 2, 3, 4, 5, 6].map(i => pool.query('SELECT $1::int AS i', [i])));
      assert.deepStrictEqual(many.map(m => m.rows[0].i), [1, 2, 3, 4, 5, 6]);
      await pool.end();
    }
  },

  async wsClientBothLogins() {
    for (const pipeline of ['password', false]) {
      for (const user of [PLAIN, MD5, SCRAM]) {
        const client = new Client(url(user));
        client.neonConfig.pipelineConnect = pipeline;
        await client.connect();
        const r = await client.query('SELECT current_user AS u, $1::text AS p', [String(pipeline)]);
        assert.deepStrictEqual(r.rows, [{ u: user, p: String(pipeline) }]);
        await client.end();
      }
      const bad = new Client(url(SCRAM, 'wrong'));
      bad.neonConfig.pipelineConnect = pipeline;
      const e = await (async () => { await bad.connect(); await bad.query('SELECT 1'); })().catch(e => e);
      assert.ok(e instanceof Error, 'a wrong password fails');
      assert.strictEqual(e.code, '28P01', e.message);
      await bad.end().catch(() => {});
    }
  },

  async wsListenNotify() {
    const listener = new Client(url(PLAIN));
    await listener.connect();
    const got = new Promise(resolve => listener.on('notification', resolve));
    await listener.query('LISTEN neon_driver_channel');
    const sql = neon(url(PLAIN));
    await sql`SELECT pg_notify('neon_driver_channel', 'hello')`;
    const n = await Promise.race([got, new Promise((_, rej) => setTimeout(() => rej(new Error('no notification')), 10000))]);
    assert.strictEqual(n.channel, 'neon_driver_channel');
    assert.strictEqual(n.payload, 'hello');
    await listener.end();
  },

  async wsDisconnectMidTransaction() {
    const setup = neon(url(PLAIN));
    await setup`CREATE TABLE IF NOT EXISTS neon_driver_gone (id int)`;
    await setup`TRUNCATE neon_driver_gone`;
    const client = new Client(url(PLAIN));
    client.on('error', () => {}); // the connection it is about to lose
    await client.connect();
    await client.query('BEGIN');
    await client.query('INSERT INTO neon_driver_gone VALUES (1)');
    // Gone without a word: the socket is destroyed, no Terminate.
    client.connection.stream.destroy();
    await new Promise(r => setTimeout(r, 500));
    const rows = await setup`SELECT count(*)::int AS n FROM neon_driver_gone`;
    assert.deepStrictEqual(rows, [{ n: 0 }]);
  },
};

checks.edgeExample = async () => {
  // examples/edge/worker.mjs, copied next to this script, called as Cloudflare calls a Worker.
  const { default: worker } = await import(require('path').join(__dirname, 'worker.mjs'));
  const res = await worker.fetch(new Request('https://example.com/?name=breakwater'), {
    DATABASE_URL: url(SCRAM),
    BREAKWATER_SQL_URL: `http://${HTTP}/sql`,
  });
  assert.strictEqual(res.status, 200);
  const body = await res.json();
  assert.strictEqual(body.greeting, 'hello, breakwater');
  assert.ok(!Number.isNaN(Date.parse(body.at)));
};

(async () => {
  const name = process.env.BW_CHECK;
  if (!checks[name]) throw new Error('no such check: ' + name);
  await checks[name]();
  console.log('OK ' + name);
  process.exit(0);
})().catch(e => {
  console.error(e);
  process.exit(1);
});
