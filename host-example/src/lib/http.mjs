// Small helpers shared by the local HTTP servers (the Chargebee emulator, the Customerp server and the
// transform endpoint). Every server listens on the loopback interface only.
import http from "node:http";
import { isUtf8 } from "node:buffer";

/**
 * Reads a request body as text. Past `limit` bytes the rest is read and dropped (up to 16 × `limit`, then the
 * connection is cut), so the caller can still answer 413 instead of the client seeing a reset. With
 * `fatalUtf8`, a body that is not well-formed UTF-8 is refused with the offset of its first bad byte rather
 * than having U+FFFD put in its place.
 * @param {http.IncomingMessage} req
 * @param {number} [limit]
 * @param {{ fatalUtf8?: boolean }} [o]
 * @returns {Promise<string>}
 */
export function readBody(req, limit = 2_000_000, o = {}) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
      else if (size > 16 * limit) {
        reject(Object.assign(new Error("request body too large"), { status: 413 }));
        req.destroy();
      }
    });
    req.on("end", () => {
      if (size > limit) return reject(Object.assign(new Error("request body too large"), { status: 413 }));
      const body = Buffer.concat(chunks);
      if (o.fatalUtf8 && !isUtf8(body)) {
        const position = firstBadUtf8(body);
        return reject(Object.assign(new Error(`the body is not well-formed UTF-8 (byte ${position})`), { status: 400, position }));
      }
      resolve(body.toString("utf8"));
    });
    req.on("error", reject);
  });
}

/** The offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, surrogates or > U+10FFFF). @param {Buffer} b */
export function firstBadUtf8(b) {
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

/**
 * @param {http.ServerResponse} res
 * @param {number} status
 * @param {unknown} body
 * @param {Record<string, string>} [headers]
 */
export function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json;charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * Starts `server` on `host`, 127.0.0.1 unless told otherwise (port 0 = any free port).
 * @param {http.Server} server
 * @param {number} [port]
 * @param {string} [host]
 * @returns {Promise<{ port: number, origin: string }>}
 */
export function listen(server, port = 0, host = "127.0.0.1") {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const addr = /** @type {import("node:net").AddressInfo} */ (server.address());
      const name = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
      resolve({ port: addr.port, origin: `http://${name}:${addr.port}` });
    });
  });
}

/**
 * Stops a server and drops its keep-alive connections.
 * @param {http.Server} server
 * @returns {Promise<void>}
 */
export function close(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
