// Decoder for binary frame format v1 (docs/protocol.md):
//   "TGF1" | uint32 LE header length H | H bytes UTF-8 JSON | 0..3 zero pad | float32 LE arrays.
// Arrays become Float32Array views on the message buffer (no copy): a 64x64 surface is 16 KB and
// we decode ~20-60 frames/s, so copying would be pure garbage-collector work.

const MAGIC = [0x54, 0x47, 0x46, 0x31]; // "TGF1"
const decoder = new TextDecoder("utf-8");

// Typed arrays use the platform byte order; the format is little-endian. Every browser we target
// is little-endian, but say so loudly rather than draw garbage if that ever changes.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export class FrameError extends Error {}

/** Decode one binary frame. Returns {header, arrays: {name: {data: Float32Array, shape: [...]}}}. */
export function decodeFrame(buffer) {
  if (!(buffer instanceof ArrayBuffer)) throw new FrameError("frame: expected an ArrayBuffer");
  if (buffer.byteLength < 8) throw new FrameError(`frame: too short (${buffer.byteLength} bytes)`);
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== MAGIC[i]) throw new FrameError("frame: bad magic (not a TGF1 frame)");
  }
  const view = new DataView(buffer);
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > buffer.byteLength) throw new FrameError("frame: header length past the end");
  const header = parseHeader(decoder.decode(bytes.subarray(8, 8 + headerLength)));
  if (header.v !== 1) throw new FrameError(`frame: unsupported version ${header.v}`);
  const payloadStart = Math.ceil((8 + headerLength) / 4) * 4;
  const arrays = {};
  for (const entry of header.arrays || []) {
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const start = payloadStart + entry.offset;
    if (start % 4 !== 0 || start + count * 4 > buffer.byteLength) {
      throw new FrameError(`frame: array ${entry.name} out of bounds`);
    }
    let data = new Float32Array(buffer, start, count);
    if (!LITTLE_ENDIAN) data = swapToHost(buffer, start, count);
    arrays[entry.name] = { data, shape: entry.shape };
  }
  return { header, arrays };
}

// Python's json writes NaN / Infinity for a diverged loss; strict JSON has no such tokens.
// Read them as null rather than dropping the very frame that shows the divergence.
function parseHeader(text) {
  try {
    return JSON.parse(text);
  } catch (err) {
    const fixed = text.replace(/(?<=[:,\[]\s*)(?:NaN|-?Infinity)(?=\s*[,}\]])/g, "null");
    if (fixed === text) throw new FrameError(`frame: header is not JSON (${err.message})`);
    return JSON.parse(fixed);
  }
}

function swapToHost(buffer, start, count) {
  const view = new DataView(buffer, start, count * 4);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Encode a frame (tests and the render benchmark build synthetic frames with it). */
export function encodeFrame(header, arrays) {
  const entries = [];
  let offset = 0;
  for (const [name, { data, shape }] of Object.entries(arrays)) {
    entries.push({ name, shape, offset });
    offset += data.length * 4;
  }
  const json = new TextEncoder().encode(JSON.stringify({ ...header, v: 1, arrays: entries }));
  const payloadStart = Math.ceil((8 + json.length) / 4) * 4;
  const buffer = new ArrayBuffer(payloadStart + offset);
  const bytes = new Uint8Array(buffer);
  bytes.set(MAGIC, 0);
  new DataView(buffer).setUint32(4, json.length, true);
  bytes.set(json, 8);
  for (const [i, { data }] of Object.values(arrays).entries()) {
    new Float32Array(buffer, payloadStart + entries[i].offset, data.length).set(data);
  }
  return buffer;
}
