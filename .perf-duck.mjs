import {DuckDBInstance} from '@duckdb/node-api'
const connection = await (await DuckDBInstance.create(':memory:')).connect()
const result = await connection.runAndReadAll(`
  WITH rows AS (
    SELECT trim(r.series_id) AS series_id, CAST(trim(r.year) AS INTEGER) AS year, trim(r.period) AS period, CAST(trim(r.value) AS DECIMAL(18, 3)) AS value
    FROM read_csv(${JSON.stringify(process.argv[2])}, delim = '\t', header = true, all_varchar = true) AS r
  ), sums AS (
    SELECT series_id, year, sum(value) AS total FROM rows WHERE period IN ('Q01', 'Q02', 'Q03', 'Q04') GROUP BY series_id, year
  )
  SELECT series_id, year, total FROM sums QUALIFY row_number() OVER (PARTITION BY series_id ORDER BY total DESC, year) = 1`)
console.log(result.getRows().length)
