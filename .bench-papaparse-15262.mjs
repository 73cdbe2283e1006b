
import {createReadStream} from 'node:fs'
import Papa from 'papaparse'
const sums = new Map()
Papa.parse(createReadStream(process.argv[2]), {delimiter: '\t', header: true, transformHeader: (h) => h.trim(), transform: (v) => v.trim(),
  chunk({data}) { for (const row of data) if (/^Q0[1-4]$/.test(row.period)) { const key = row.series_id + '|' + row.year; sums.set(key, (sums.get(key) ?? 0) + Math.round(Number(row.value) * 1000)) } },
  complete() { console.log(new Set([...sums.keys()].map((k) => k.split('|')[0])).size) }})
