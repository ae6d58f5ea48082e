// The trustee's side of the key ceremony and of the decryption (docs/ballot-spec.md §3.1, §5, §7), on the
// trustee's own tablet: their X25519 key is drawn and sealed here with their trustee passphrase (newTrusteeKey;
// legacy keys: drawn by the server, sealed with the account password), the passphrase opens it here (argon2id
// with libsodium, AES-256-GCM with WebCrypto: exactly the server's keystore seal), their polynomial is drawn and forgotten here, the shares sent
// to them are opened and checked here, and only public values and sealed shares ever leave the device.
// votes/ballot/dkg.py is the same protocol in Python (tests/test_dkg_js.py runs both against each other).
import sodium from "../vendor/libsodium-wrappers-sumo.mjs";
import { IDENTITY, add, base, challenge, load, mul, rand, sAdd, sMul, scalar } from "./ballot-crypto.js";

export { load };

const enc = new TextEncoder();
const hex = (b) => sodium.to_hex(b);
const unhex = (s) => sodium.from_hex(s);
const b64 = (b) => sodium.to_base64(b, sodium.base64_variants.ORIGINAL);
const unb64 = (s) => sodium.from_base64(s, sodium.base64_variants.ORIGINAL);
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const MAGIC = enc.encode("ECKS1\n");

// argon2id for a key sealed on this tablet: above the server's own seal (t 2, 32 MiB) and within what the server
// accepts (votes/ballot/trustee_keys.py: t 2..8, 32..256 MiB, one lane); about a second on a tablet, once per step.
export const TABLET_KDF = { t: 3, m: 64 * 1024 };
const KDF_MAX = { t: 16, m: 1 << 20 }; // what the reader tries at all (the server's keystore bound): no 1 TiB ask

const argon2id = (secret, salt, t, m) =>
  sodium.crypto_pwhash(32, enc.encode(secret.normalize("NFC")), salt, t, m * 1024, sodium.crypto_pwhash_ALG_ARGON2ID13);

/** The trustee's X25519 secret key, unsealed with their passphrase (or, legacy, their account password)
 * (spec §7: ledger/keystore.py's seal). Throws WrongPassword when the secret does not open it. */
export async function unsealTrusteeKey(sealedB64, userId, password) {
  const blob = unb64(sealedB64);
  if (!equal(blob.subarray(0, MAGIC.length), MAGIC)) throw new Error("sealed key: unknown format");
  const end = blob.indexOf(10, MAGIC.length);
  if (end < 0) throw new Error("sealed key: unknown format");
  const header = blob.subarray(MAGIC.length, end);
  const h = JSON.parse(new TextDecoder().decode(header));
  if (h.kdf !== "argon2id" || h.p !== 1 || !(h.t >= 1 && h.t <= KDF_MAX.t && h.m >= 8 && h.m <= KDF_MAX.m)) {
    throw new Error("sealed key: unsupported parameters");
  }
  const key = argon2id(password, unb64(h.salt), h.t, h.m);
  const aad = concat(MAGIC, header, enc.encode(`ballot-trustee:${userId}`));
  const aes = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["decrypt"]);
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64(h.nonce), additionalData: aad }, aes, blob.subarray(end + 1)));
  } catch {
    throw new WrongPassword();
  }
}

export class WrongPassword extends Error {}

/** Seal a 32-byte X25519 secret key with the passphrase, in the server keystore's format (spec §7): base64 of
 * "ECKS1\n" ‖ header ‖ "\n" ‖ AES-256-GCM(argon2id(passphrase), nonce, secret, "ECKS1\n" ‖ header ‖ context). */
export async function sealTrusteeKey(secret, userId, passphrase, kdf = TABLET_KDF) {
  const salt = sodium.randombytes_buf(16);
  const nonce = sodium.randombytes_buf(12);
  const header = enc.encode(JSON.stringify({ kdf: "argon2id", t: kdf.t, m: kdf.m, p: 1, salt: b64(salt), nonce: b64(nonce) }));
  const aes = await crypto.subtle.importKey("raw", argon2id(passphrase, salt, kdf.t, kdf.m), "AES-GCM", false, ["encrypt"]);
  const aad = concat(MAGIC, header, enc.encode(`ballot-trustee:${userId}`));
  const body = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: aad }, aes, secret));
  return b64(concat(MAGIC, header, enc.encode("\n"), body));
}

/** A new trustee key, made on this tablet: the X25519 pair drawn here, the secret half sealed here with the
 * passphrase and opened again here (the seal is checked before anything is sent). Answers what the server may
 * have: {public_key, sealed_key, sealing: "passphrase"}; the secret half and the passphrase stay here. */
export async function newTrusteeKey(userId, passphrase) {
  const pair = sodium.crypto_box_keypair(); // X25519 (libsodium's randombytes: the browser's CSPRNG)
  try {
    const sealed = await sealTrusteeKey(pair.privateKey, userId, passphrase);
    const back = await unsealTrusteeKey(sealed, userId, passphrase);
    const ok = equal(back, pair.privateKey) && equal(sodium.crypto_scalarmult_base(back), pair.publicKey);
    back.fill(0);
    if (!ok) throw new Error("sealed key: the seal does not open to the key");
    return { public_key: hex(pair.publicKey), sealed_key: sealed, sealing: "passphrase" };
  } finally {
    pair.privateKey.fill(0);
  }
}

async function kek(shared, eph, pub, usage) {
  const ikm = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: concat(eph, pub), info: enc.encode("ecabinet-ballot-share") },
    ikm, { name: "AES-GCM", length: 256 }, false, [usage]);
}

/** Seal 32 bytes to an X25519 public key (hex): base64(ephemeral public ‖ nonce ‖ AES-256-GCM). */
export async function sealShare(publicHex, share, aad) {
  const pub = unhex(publicHex);
  const eph = sodium.crypto_box_keypair();
  const key = await kek(sodium.crypto_scalarmult(eph.privateKey, pub), eph.publicKey, pub, "encrypt");
  const nonce = sodium.randombytes_buf(12);
  const body = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: enc.encode(aad) }, key, share));
  return b64(concat(eph.publicKey, nonce, body));
}

export async function openShare(secretKey, sealedB64, aad) {
  const blob = unb64(sealedB64);
  const eph = blob.subarray(0, 32);
  const key = await kek(sodium.crypto_scalarmult(secretKey, eph), eph, sodium.crypto_scalarmult_base(secretKey), "decrypt");
  return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: blob.subarray(32, 44), additionalData: enc.encode(aad) }, key, blob.subarray(44)));
}

const shareAad = (digest, from, to) => `ballot-dkg:${digest}:${from}:${to}`;

/** f(x) = Σ_k a_k x^k mod L. */
function evaluate(coeffs, x) {
  let out = scalar(0);
  let power = scalar(1);
  for (const a of coeffs) {
    out = sAdd(out, sMul(a, power));
    power = sMul(power, scalar(x));
  }
  return out;
}

/** Σ_k index^k · C_k (Feldman): the public image of the share for `index`. */
export function feldman(commitments, index) {
  let out = IDENTITY;
  let power = scalar(1);
  for (const c of commitments) {
    out = add(out, mul(power, c));
    power = sMul(power, scalar(index));
  }
  return out;
}

/** Trustee `index`'s contribution to the ceremony {id, digest, threshold, trustees}: commitments, a Schnorr
 * proof of knowledge of every coefficient, f(j) sealed to every trustee j (this one included). */
export async function contribute(ceremony, index) {
  const coeffs = Array.from({ length: ceremony.threshold }, () => rand());
  const commitments = coeffs.map((a) => base(a));
  const proofs = coeffs.map((a, k) => {
    const w = rand();
    const h = base(w);
    const c = challenge("coefficient", unhex(ceremony.digest), enc.encode(String(index)), enc.encode(String(k)), commitments[k], h);
    return { h: hex(h), z: hex(sAdd(w, sMul(c, a))) };
  });
  const shares = [];
  for (const t of ceremony.trustees) {
    shares.push({ to: t.index, sealed: await sealShare(t.trustee_key, evaluate(coeffs, t.index), shareAad(ceremony.digest, index, t.index)) });
  }
  coeffs.forEach((a) => a.fill(0));
  return { commitments: commitments.map(hex), proofs, shares };
}

/** At close: open and check every share sent to this trustee, add them up, and decrypt the trustee's part of
 * the encrypted total with its Chaum-Pedersen proof. Answers {partial, bad}: `bad` lists the senders whose
 * share failed the Feldman check (then `partial` is null: the combined share would be wrong). */
export async function decryptPart(material, password) {
  const secret = await unsealTrusteeKey(material.sealed_key, material.user_id, password);
  let share = scalar(0);
  const bad = [];
  for (const r of material.received) {
    let s = null;
    try {
      s = await openShare(secret, r.sealed, shareAad(material.ceremony_digest, r.from, material.index));
    } catch {
      bad.push(r.from);
      continue;
    }
    const reduced = sAdd(s, scalar(0));
    if (!equal(reduced, s) || !equal(base(s), feldman(r.commitments.map(unhex), material.index))) {
      bad.push(r.from);
      continue;
    }
    share = sAdd(share, s);
  }
  secret.fill(0);
  if (bad.length) return { partial: null, bad };
  const partial = material.total.map((t, k) => {
    const bigA = unhex(t.a);
    const d = mul(share, bigA);
    const w = rand();
    const a = base(w);
    const b = mul(w, bigA);
    const c = challenge("partial", unhex(material.params_digest), enc.encode(String(material.index)), enc.encode(String(k)), bigA, d, a, b);
    return { d: hex(d), a: hex(a), b: hex(b), z: hex(sAdd(w, sMul(c, share))) };
  });
  share.fill(0);
  return { partial, bad };
}
