// The other side of the MessagePack interoperability tests: @msgpack/msgpack, an independent implementation.
//   node roundtrip.mjs reencode IN OUT        decode every frame of IN and encode it again into OUT
//   node roundtrip.mjs generate SEED COUNT OUT encode COUNT random values into OUT
// A file is a sequence of frames: a 4-byte big-endian length, then one MessagePack value.
import { readFileSync, writeFileSync } from "node:fs";
import {
  decode, encode, ExtData, ExtensionCodec, EXT_TIMESTAMP,
  decodeTimestampToTimeSpec, encodeTimeSpecToTimestamp,
} from "@msgpack/msgpack";

// Timestamps as exact {sec, nsec} pairs (the default codec rounds them to JavaScript Dates, i.e. milliseconds).
class TimeSpec {
  constructor(sec, nsec) { this.sec = sec; this.nsec = nsec; }
}
const extensionCodec = new ExtensionCodec();
extensionCodec.register({
  type: EXT_TIMESTAMP,
  encode: (value) => (value instanceof TimeSpec ? encodeTimeSpecToTimestamp(value) : null),
  decode: (data) => { const t = decodeTimestampToTimeSpec(data); return new TimeSpec(t.sec, t.nsec); },
});
const options = { extensionCodec, useBigInt64: true };

function readFrames(path) {
  const buffer = readFileSync(path);
  const frames = [];
  for (let i = 0; i < buffer.length;) {
    const length = buffer.readUInt32BE(i);
    frames.push(buffer.subarray(i + 4, i + 4 + length));
    i += 4 + length;
  }
  return frames;
}

function writeFrames(path, frames) {
  const parts = [];
  for (const frame of frames) {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(frame.byteLength);
    parts.push(header, Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
  }
  writeFileSync(path, Buffer.concat(parts));
}

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INT_EDGES = [0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, Number.MAX_SAFE_INTEGER,
  -1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, Number.MIN_SAFE_INTEGER];
// BigInts are always written as int64/uint64 by this library, so only values that need 64 bits are used.
const BIG_EDGES = [2n ** 63n - 1n, 2n ** 64n - 1n, -(2n ** 63n), 2n ** 40n, -(2n ** 40n), 2n ** 53n + 1n];
const FLOATS = [NaN, Infinity, -Infinity, 1.5, -2.25e-300, 1e300, 5e-324, 0.1];
const TIMES = [[0, 0], [4294967295, 0], [1, 1], [17179869183, 999999999], [17179869184, 0], [-1, 500], [-62135596800, 0]];
const LENGTHS = [0, 1, 31, 32, 255, 256, 65535, 65536, 70000];
const CHARS = ["a", "Z", "0", " ", "é", "ß", "中", "🌍", "\u0000", "\n", "\"", "\\"];

function pick(r, items) { return items[Math.floor(r() * items.length)]; }
function length(r) { return r() < 0.05 ? pick(r, LENGTHS) : Math.floor(r() * 40); }

function value(r, depth) {
  switch (Math.floor(r() * (depth > 0 ? 11 : 9))) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return r() < 0.5 ? pick(r, INT_EDGES) : Math.floor((r() - 0.5) * 2 ** Math.floor(r() * 53));
    case 3: return pick(r, BIG_EDGES);
    case 4: return r() < 0.5 ? pick(r, FLOATS) : (r() - 0.5) * 1e6 + 0.25;
    case 5: { let s = ""; const n = length(r); while (s.length < n) s += pick(r, CHARS); return s; }
    case 6: { const b = new Uint8Array(length(r)); for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256); return b; }
    case 7: return r() < 0.5 ? new TimeSpec(...pick(r, TIMES)) : new TimeSpec(Math.floor((r() - 0.5) * 2 ** 40), Math.floor(r() * 1e9));
    case 8: { const b = new Uint8Array(pick(r, [0, 1, 2, 3, 4, 8, 16, 17, 300, 70000])); b.fill(0xab); return new ExtData(Math.floor(r() * 128), b); }
    case 9: { const n = r() < 0.1 ? 16 : Math.floor(r() * 6); const a = []; for (let i = 0; i < n; i++) a.push(value(r, depth - 1)); return a; }
    default: { const n = r() < 0.1 ? 16 : Math.floor(r() * 6); const m = {}; for (let i = 0; i < n; i++) m["k" + i] = value(r, depth - 1); return m; }
  }
}

function nested(levels) { let v = 42; for (let i = 0; i < levels; i++) v = [v]; return v; }

const [mode, ...args] = process.argv.slice(2);
if (mode === "reencode") {
  writeFrames(args[1], readFrames(args[0]).map((frame) => encode(decode(frame, options), options)));
} else if (mode === "generate") {
  const r = mulberry32(Number(args[0]));
  const frames = [encode(nested(50), options)];
  for (let i = 0; i < Number(args[1]); i++) frames.push(encode(value(r, 4), options));
  writeFrames(args[2], frames);
} else {
  console.error("usage: roundtrip.mjs reencode IN OUT | generate SEED COUNT OUT");
  process.exit(2);
}
