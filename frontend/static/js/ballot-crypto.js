// The voter's side of docs/ballot-spec.md: exponential ElGamal over ristretto255 (libsodium, the same audited
// library the server calls), one ciphertext per option, a disjunctive Chaum-Pedersen proof that each entry is
// 0 or 1 and a Chaum-Pedersen proof that they add up to 1, Fiat-Shamir bound to the board's parameters, the
// vote and this ballot's one-time token. The choice never leaves this tablet in the clear.
import sodium from "../vendor/libsodium-wrappers-sumo.mjs";

const SPEC = "ecabinet-ballot-v1";
export const IDENTITY = new Uint8Array(32);
let ready = null;

/** Resolves once libsodium's WebAssembly is compiled (CSP: 'wasm-unsafe-eval'). */
export function load() {
  ready ??= sodium.ready.then(() => sodium);
  return ready;
}

const enc = new TextEncoder();
const hex = (b) => sodium.to_hex(b);
const unhex = (s) => sodium.from_hex(s);
const isZero = (b) => b.every((x) => x === 0);

export function scalar(n) {
  const s = new Uint8Array(32);
  new DataView(s.buffer).setUint32(0, n, true); // small non-negative integers only (0, 1, a trustee index)
  return s;
}

export const add = (p, q) => (isZero(p) ? q : isZero(q) ? p : sodium.crypto_core_ristretto255_add(p, q));
export const sub = (p, q) => (isZero(q) ? p : sodium.crypto_core_ristretto255_sub(p, q));
export function mul(n, p) {
  if (isZero(n) || isZero(p)) return IDENTITY;
  return sodium.crypto_scalarmult_ristretto255(n, p);
}
export const base = (n) => (isZero(n) ? IDENTITY : sodium.crypto_scalarmult_ristretto255_base(n));
export const rand = () => sodium.crypto_core_ristretto255_scalar_random();
export const sAdd = (a, b) => sodium.crypto_core_ristretto255_scalar_add(a, b);
const sSub = (a, b) => sodium.crypto_core_ristretto255_scalar_sub(a, b);
export const sMul = (a, b) => sodium.crypto_core_ristretto255_scalar_mul(a, b);

/** H(tag, parts): SHA-512 over 4-byte big-endian length-prefixed fields, reduced mod L (spec §2.3). */
export function challenge(tag, ...parts) {
  const fields = [enc.encode(SPEC), enc.encode(tag), ...parts];
  const size = fields.reduce((n, f) => n + 4 + f.length, 0);
  const data = new Uint8Array(size);
  let at = 0;
  for (const f of fields) {
    new DataView(data.buffer).setUint32(at, f.length);
    data.set(f, at + 4);
    at += 4 + f.length;
  }
  return sodium.crypto_core_ristretto255_scalar_reduce(sodium.crypto_hash_sha512(data));
}

/** Canonical JSON (sorted keys, no spaces): what the receipt hashes (spec §2.2). */
export function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export const receiptOf = (ballot) => hex(sodium.crypto_hash_sha256(enc.encode(canonical(ballot))));

/** The encrypted ballot for option `choice` (its index in params.options), with every proof. */
export function encryptBallot(params, paramsDigest, choice) {
  const y = unhex(params.public_key);
  const token = sodium.randombytes_buf(32);
  const ctx = [unhex(paramsDigest), enc.encode(String(params.vote_id)), token];
  const ciphertexts = [];
  const proofs = [];
  let rSum = scalar(0);
  let bigA = IDENTITY;
  let bigB = IDENTITY;
  params.options.forEach((_, k) => {
    const m = k === choice ? 1 : 0;
    const j = 1 - m;
    const r = rand();
    rSum = sAdd(rSum, r);
    const alpha = base(r);
    const beta = add(base(scalar(m)), mul(r, y));
    bigA = add(bigA, alpha);
    bigB = add(bigB, beta);
    // the other branch j is simulated; the true branch m is proven with the nonce w
    const cj = rand();
    const zj = rand();
    const w = rand();
    const a = [];
    const b = [];
    a[j] = sub(base(zj), mul(cj, alpha));
    b[j] = sub(mul(zj, y), mul(cj, sub(beta, base(scalar(j)))));
    a[m] = base(w);
    b[m] = mul(w, y);
    const c = challenge("range", ...ctx, enc.encode(String(k)), alpha, beta, a[0], b[0], a[1], b[1]);
    const cs = [];
    const zs = [];
    cs[j] = cj;
    zs[j] = zj;
    cs[m] = sSub(c, cj);
    zs[m] = sAdd(w, sMul(cs[m], r));
    ciphertexts.push({ a: hex(alpha), b: hex(beta) });
    proofs.push({ a0: hex(a[0]), b0: hex(b[0]), a1: hex(a[1]), b1: hex(b[1]), c0: hex(cs[0]), c1: hex(cs[1]), z0: hex(zs[0]), z1: hex(zs[1]) });
  });
  const w = rand();
  const sa = base(w);
  const sb = mul(w, y);
  const c = challenge("sum", ...ctx, bigA, bigB, sa, sb);
  const sumProof = { a: hex(sa), b: hex(sb), z: hex(sAdd(w, sMul(c, rSum))) };
  return { token: hex(token), ciphertexts, proofs, sum_proof: sumProof };
}
