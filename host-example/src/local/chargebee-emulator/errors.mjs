// Chargebee's error JSON: {message, type, api_error_code, param} plus the legacy fields
// (error_code, error_msg, error_param) and http_status_code, as in the captured bodies.

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code api_error_code
   * @param {string} message
   * @param {{ type?: string | null, param?: string, legacyCode?: string }} [more]
   */
  constructor(status, code, message, more = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.type = more.type === undefined ? "invalid_request" : more.type;
    this.param = more.param;
    this.legacyCode = more.legacyCode ?? code;
  }

  /** The response body, field order as Chargebee sends it. */
  body() {
    const prefix = this.param ? `${this.param}:` : null;
    const msg = prefix && this.message.replace(" : ", ":").startsWith(prefix)
      ? this.message.slice(this.message.indexOf(":") + 1).trim()
      : this.message;
    /** @type {Record<string, unknown>} */
    const b = { message: this.message };
    if (this.type) b.type = this.type;
    b.api_error_code = this.code;
    if (this.param) b.param = this.param;
    b.error_code = this.legacyCode;
    b.error_msg = msg;
    if (this.param) b.error_param = this.param;
    b.http_status_code = this.status;
    return b;
  }
}

/** @param {string} param @param {string} why */
export const wrongValue = (param, why) => new ApiError(400, "param_wrong_value", `${param} : ${why}`, { param });

/** @param {string} param */
export const required = (param) => wrongValue(param, "cannot be blank");

/** @param {string} param @param {string} [why] */
export const unknownParam = (param, why = "is not a parameter of this operation") =>
  new ApiError(400, "invalid_request", `${param} : ${why}`, { param, legacyCode: "param_not_allowed" });

/** @param {string} param @param {string} value */
export const duplicate = (param, value) =>
  new ApiError(400, "duplicate_entry", `${param}: The value ${value} is already present.`, {
    param,
    legacyCode: "param_not_unique",
  });

/** @param {string} [param] @param {string} [message] */
export const notFound = (param, message = "Sorry, we couldn't find that resource") =>
  new ApiError(404, "resource_not_found", message, { param });

/** @param {string} message */
export const invalidState = (message) => new ApiError(409, "invalid_state_for_request", message);

export const authFailed = () =>
  new ApiError(401, "api_authentication_failed", "Sorry, authentication failed. Invalid api key", {
    type: null,
    legacyCode: "api_authentication_invalid_key",
  });

export const rateLimited = () =>
  new ApiError(
    429,
    "api_request_limit_exceeded",
    "Sorry, access has been blocked temporarily due to request count exceeding acceptable limits. Please try after some time.",
    { type: "operation_failed" },
  );

export const idempotencyMismatch = () =>
  new ApiError(
    422,
    "unable_to_process_request",
    "The idempotency key was already used with a different request payload. Use a new key for a new request.",
  );

/** @param {string} method */
export const methodNotSupported = (method) =>
  new ApiError(405, "http_method_not_supported", `Sorry, the ${method} method is not supported for this resource`);

export const internalError = () =>
  new ApiError(500, "internal_error", "Sorry, something went wrong when trying to process the request.", {
    type: null,
  });

/** @param {number} status */
export const temporaryError = (status = 503) =>
  new ApiError(status, "internal_temporary_error", "Sorry, the server is temporarily unable to handle the request. Please retry.", {
    type: null,
  });
