"""psycopg2 through Breakwater, as the second seed's app uses it: a pool, SET per checkout,
parameters, transactions, a named (server-side) cursor, COPY. Prints OK and exits 0 when all is
well; any exception exits non-zero with its traceback."""
import io
import os
import sys

import psycopg2
import psycopg2.pool

dsn = os.environ["BW_DSN"]
mode = os.environ.get("BW_MODE", "transaction")
pool = psycopg2.pool.SimpleConnectionPool(1, 3, dsn)
table = "py_items_" + mode

conn = pool.getconn()
try:
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS " + table)
        cur.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, label text)")
    conn.autocommit = False
finally:
    pool.putconn(conn)

for i in range(20):
    conn = pool.getconn()
    try:
        with conn.cursor() as cur:
            cur.execute("SET statement_timeout = '30s'")
            cur.execute("INSERT INTO " + table + " VALUES (%s, %s)", (i, "item %d" % i))
            cur.execute("SELECT count(*) FROM " + table + " WHERE id <= %s", (i,))
            assert cur.fetchone()[0] == i + 1
        conn.commit()
    finally:
        pool.putconn(conn)

conn = pool.getconn()
try:
    with conn.cursor(name="py_named") as cur:
        cur.itersize = 7
        cur.execute("SELECT id FROM " + table + " ORDER BY id")
        ids = [r[0] for r in cur]
        assert ids == list(range(20)), ids
    conn.commit()
    with conn.cursor() as cur:
        buf = io.StringIO()
        cur.copy_expert("COPY (SELECT * FROM " + table + " ORDER BY id) TO STDOUT", buf)
        assert buf.getvalue().count("\n") == 20
        cur.execute("DELETE FROM " + table)
        buf.seek(0)
        cur.copy_expert("COPY " + table + " FROM STDIN", buf)
        cur.execute("SELECT sum(id) FROM " + table)
        assert cur.fetchone()[0] == sum(range(20))
        cur.execute("DROP TABLE " + table)
    conn.commit()
finally:
    pool.putconn(conn)
pool.closeall()
print("OK")
