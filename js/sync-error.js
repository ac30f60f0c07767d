// The class of every error the package throws, and of the `error` of a failed planBatch slot.
// src/wasm.rs imports and constructs it; scripts/build.sh puts it into each of wasm-bindgen's glue
// files (Node, web, bundler), which export it, so `err instanceof SyncError` holds with the class a
// user imports from the same entry.
//
// Every field is an own enumerable property, so `JSON.stringify(err)` keeps name, code, message,
// flow, recordId and path (an Error's own `message` is not enumerable).
export class SyncError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {string} [path]
   * @param {string} [flow]
   * @param {string} [recordId]
   */
  constructor(code, message, path = "", flow = undefined, recordId = undefined) {
    super(message);
    const field = (value) => ({ value, enumerable: true, writable: true, configurable: true });
    Object.defineProperties(this, {
      name: field("SyncError"),
      code: field(code),
      message: field(message),
      flow: field(flow),
      recordId: field(recordId),
      path: field(path),
    });
  }
}
