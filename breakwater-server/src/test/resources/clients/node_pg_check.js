// node-postgres through Breakwater, as the first seed's app uses it: a Pool with max 5, parameterized
// queries (extended protocol), named prepared statements, a transaction with try/finally release.
// Prints OK and exits 0 when all is well.
const { Pool } = require('pg');

async function main() {
  const mode = process.env.BW_MODE || 'transaction';
  const table = 'node_items_' + mode;
  const pool = new Pool({ connectionString: process.env.BW_URL, max: 5, idleTimeoutMillis: 30000, connectionTimeoutMillis: 3000 });
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.query(`CREATE TABLE ${table} (id int PRIMARY KEY, label text)`);
  const work = [];
  for (let i = 0; i < 40; i++) {
    work.push((async () => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query({ name: 'insert-item', text: `INSERT INTO ${table} VALUES ($1, $2)`, values: [i, 'item ' + i] });
        const r = await client.query({ name: 'count-items', text: `SELECT count(*)::int AS n FROM ${table} WHERE id = $1`, values: [i] });
        if (r.rows[0].n !== 1) throw new Error('row ' + i + ' not seen in its own transaction');
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw e;
      } finally {
        client.release();
      }
    })());
  }
  await Promise.all(work);
  const total = await pool.query(`SELECT count(*)::int AS n, sum(id)::int AS s FROM ${table}`);
  if (total.rows[0].n !== 40 || total.rows[0].s !== 780) throw new Error('lost rows: ' + JSON.stringify(total.rows[0]));
  await pool.query(`DROP TABLE ${table}`);
  await pool.end();
  console.log('OK');
}

main().catch((e) => { console.error(e); process.exit(1); });
