// Reads a Parquet file with hyparquet and prints its rows as JSON (BigInt as strings, dates as ISO 8601 UTC).
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet'

const file = await asyncBufferFromFile(process.argv[2])
const rows = await parquetReadObjects({ file })
process.stdout.write(JSON.stringify(rows, (key, value) =>
  typeof value === 'bigint' ? value.toString() : value instanceof Date ? value.toISOString() : value))
