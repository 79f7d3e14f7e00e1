/** The client's view of the shared SDK-HMAC-SHA256 implementation (src/signing). */
export {
  EMPTY_BODY_SHA256,
  SIGNING_ALGORITHM,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  formatSdkDate,
  hmacHex,
  parseQueryPairs,
  sha256Hex,
  signRequest,
  strictEncode,
  stringToSign,
  type CanonicalParts,
  type RequestToSign,
  type SigningKey,
  type SigningSteps,
} from '../signing/sdk-hmac-sha256.js';
