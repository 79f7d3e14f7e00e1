import { createHash, randomBytes } from 'node:crypto';

/**
 * Deterministic id generation. Every id the sandbox invents (fixtures and objects created over
 * the API) derives from the world's seed and a counter stored in the world itself, so a fixture
 * built twice is identical and a persisted world keeps producing fresh ids after a reload.
 */
export interface IdSource {
  seed: string;
  seq: number;
}

function digest(src: IdSource, label: string): string {
  const n = src.seq++;
  return createHash('sha256').update(`${src.seed}\0${label}\0${n}`).digest('hex');
}

/** A version-4-shaped UUID (the form VPC and CCE use for resource ids). */
export function nextUuid(src: IdSource, label = 'uuid'): string {
  const h = digest(src, label);
  const variant = ((parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** 32 lowercase hex characters, the shape of IAM project and domain ids. */
export function nextHex32(src: IdSource, label = 'hex'): string {
  return digest(src, label).slice(0, 32);
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Lowercase alphanumerics, like the random suffix CCE appends to the groups it creates. */
export function nextSuffix(src: IdSource, length = 5): string {
  const h = createHash('sha256').update(`${src.seed}\0suffix\0${src.seq++}`).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM.charAt((h[i] ?? 0) % ALNUM.length);
  return out;
}

/** Request ids need not be reproducible; they only have to be unique like the gateway's. */
export function newRequestId(): string {
  return randomBytes(16).toString('hex');
}
