// What the report page proves by itself, with the browser's WebCrypto
// (SHA-256, Ed25519) and nothing of fundtrail's: the checkpoint's signature
// (C2SP signed note), each shown record's inclusion in that checkpoint
// (RFC 9162 2.1.3.2), the record's fields as the page shows them (read from
// the record's own canonical Cap'n Proto bytes), its officers' signatures,
// and for a record of a payment run, the run's signatures and the record's
// path to the run's root. Written from the specs, not from the C++ code: a
// second implementation is the point (docs/report.md).
"use strict";
const FTVerify = (() => {
  const te = new TextEncoder();

  function b64(text) {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function toB64(bytes) {
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  }
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
  function equal(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }
  const leafHash = (leaf) => sha256(concat(Uint8Array.of(0), leaf));
  const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

  // RFC 9162 2.1.3.2: the root an inclusion proof leads to, or null when the
  // proof cannot be one for (index, size).
  async function rootFromInclusion(index, size, leafHashBytes, path) {
    if (!(index < size)) return null;
    let fn = index, sn = size - 1, r = leafHashBytes;
    for (const p of path) {
      if (sn === 0) return null;
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) {
            fn = Math.floor(fn / 2);
            sn = Math.floor(sn / 2);
          }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 ? r : null;
  }

  // ---- canonical Cap'n Proto, read-only: one segment, pointers by offset ----
  // Enough of the encoding spec to read the fields the page shows: structs,
  // byte lists (Text, Data) and lists of structs. Canonical messages have one
  // segment and no far pointers; anything else is refused.
  class Reader {
    constructor(bytes) {
      if (bytes.length % 8 !== 0 || bytes.length < 8) throw new Error("not a Cap'n Proto message");
      this.bytes = bytes;
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    word(i) {
      if (i < 0 || (i + 1) * 8 > this.bytes.length) throw new Error("pointer out of bounds");
      return [this.view.getUint32(i * 8, true), this.view.getUint32(i * 8 + 4, true)];
    }
    // The struct a pointer at word `at` points to, or null for a null pointer.
    struct(at) {
      const [lo, hi] = this.word(at);
      if (lo === 0 && hi === 0) return null;
      if ((lo & 3) !== 0) throw new Error("expected a struct pointer");
      const start = at + 1 + (lo >> 2);
      const data = hi & 0xffff, ptrs = hi >>> 16;
      this.word(start + data + ptrs - 1);  // bounds
      return new Struct(this, start, data, ptrs);
    }
    // A byte list (Text without its NUL, Data) at word `at`.
    bytesAt(at, text) {
      const [lo, hi] = this.word(at);
      if (lo === 0 && hi === 0) return new Uint8Array(0);
      if ((lo & 3) !== 1 || (hi & 7) !== 2) throw new Error("expected a byte list");
      const start = (at + 1 + (lo >> 2)) * 8, n = hi >>> 3;
      if (start + n > this.bytes.length) throw new Error("list out of bounds");
      return this.bytes.subarray(start, start + n - (text && n > 0 ? 1 : 0));
    }
    // A list of structs at word `at`.
    structs(at) {
      const [lo, hi] = this.word(at);
      if (lo === 0 && hi === 0) return [];
      if ((lo & 3) !== 1 || (hi & 7) !== 7) throw new Error("expected a list of structs");
      const tagAt = at + 1 + (lo >> 2);
      const [tlo, thi] = this.word(tagAt);
      const count = tlo >> 2, data = thi & 0xffff, ptrs = thi >>> 16;
      const out = [];
      for (let i = 0; i < count; i++) out.push(new Struct(this, tagAt + 1 + i * (data + ptrs), data, ptrs));
      return out;
    }
  }
  class Struct {
    constructor(r, start, data, ptrs) {
      Object.assign(this, { r, start, data, ptrs });
    }
    u64(word) {  // a data word as a BigInt; 0 beyond the data section
      if (word >= this.data) return 0n;
      return this.r.view.getBigUint64((this.start + word) * 8, true);
    }
    i64(word) {
      if (word >= this.data) return 0n;
      return this.r.view.getBigInt64((this.start + word) * 8, true);
    }
    u32(bitOffset) {
      const byte = bitOffset / 8;
      if (byte + 4 > this.data * 8) return 0;
      return this.r.view.getUint32(this.start * 8 + byte, true);
    }
    u16(bitOffset) {
      const byte = bitOffset / 8;
      if (byte + 2 > this.data * 8) return 0;
      return this.r.view.getUint16(this.start * 8 + byte, true);
    }
    ptr(i) {
      return i < this.ptrs ? this.start + this.data + i : -1;
    }
    text(i) {
      return i < this.ptrs ? new TextDecoder().decode(this.r.bytesAt(this.ptr(i), true)) : "";
    }
    blob(i) {
      return i < this.ptrs ? this.r.bytesAt(this.ptr(i), false) : new Uint8Array(0);
    }
    child(i) {
      return i < this.ptrs ? this.r.struct(this.ptr(i)) : null;
    }
    list(i) {
      return i < this.ptrs ? this.r.structs(this.ptr(i)) : [];
    }
  }
  const root = (bytes) => new Reader(bytes).struct(0);

  // schema/fundtrail.capnp, the fields the page reads (ordinals and offsets
  // as `capnp compile -ocapnp` lists them).
  function readLeaf(bytes) {  // SignedEntry
    const s = root(bytes);
    return {
      seq: s.u64(0),
      recordedAt: s.i64(1),
      batchSeq: s.u64(2),
      prevHash: s.blob(0),
      entry: s.blob(1),
      signatures: s.list(2).map((g) => ({ publicKey: g.blob(0), ed25519: g.blob(1) })),
    };
  }
  const BODY = { contribution: 8, payment: 9, batch: 13 };
  function readEntry(bytes) {  // Entry: what the officers signed
    const e = root(bytes);
    const tag = e.u16(64);
    const out = { origin: e.text(0), idempotencyKey: e.text(1), tag };
    const body = e.child(2);
    if (tag === BODY.payment || tag === BODY.contribution) {
      out.from = body.text(0);
      out.to = body.text(1);
      out.amount = body.i64(0);
      out.currency = body.text(2);
      out.valueDate = body.u32(64);
    } else if (tag === BODY.batch) {
      out.count = body.u32(0);
      out.root = body.blob(0);
    }
    return out;
  }

  // ---- signatures ----
  async function ed25519(publicKey, signature, message) {
    const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  }

  // C2SP signed note: the log key as a verifier key ("name+id+base64(0x01 ||
  // key)"), the checkpoint as a note. Returns {origin, size, root} when the
  // log key's signature verifies over the note's text, else throws saying why.
  async function verifyCheckpoint(note, verifierKey) {
    const parts = verifierKey.trim().split("+");  // base64 may hold '+' too
    const [name, idHex, keyB64] = [parts[0], parts[1], parts.slice(2).join("+")];
    const keyBytes = b64(keyB64);
    if (keyBytes.length !== 33 || keyBytes[0] !== 1) throw new Error("the log key is not an Ed25519 verifier key");
    const publicKey = keyBytes.subarray(1);
    const id = (await sha256(concat(te.encode(name), Uint8Array.of(0x0a), keyBytes))).subarray(0, 4);
    if ([...id].map((b) => b.toString(16).padStart(2, "0")).join("") !== idHex) throw new Error("the log key's id does not match the key");
    const split = note.indexOf("\n\n");
    if (split < 0) throw new Error("the checkpoint has no signature lines");
    const text = note.slice(0, split + 1);
    const lines = text.split("\n");
    const origin = lines[0], size = Number(lines[1]), rootB64 = lines[2];
    if (origin !== name) throw new Error(`the checkpoint is of '${origin}', not of the log key's '${name}'`);
    for (const line of note.slice(split + 2).split("\n")) {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const sig = b64(m[2]);
      if (sig.length !== 68 || !equal(sig.subarray(0, 4), id)) continue;
      if (await ed25519(publicKey, sig.subarray(4), te.encode(text))) return { origin, size, root: b64(rootB64) };
      throw new Error("the log key's signature on the checkpoint does not verify");
    }
    throw new Error("the checkpoint carries no signature by the log key");
  }

  // One shown record. `row`: what the page shows ({seq, from, to,
  // amount_minor, date}); `proof`: {leaf, index, hashes} and, for a record of
  // a payment run, `batch`: {index, count, hashes} plus the run's batch record
  // `batchRecord`: {leaf, hashes}. Returns {ok, signers, why}.
  async function verifyRecord(cp, row, proof, batchRecord) {
    try {
      const leafBytes = b64(proof.leaf);
      const inLog = async (leaf, seq, hashes) => {
        const r = await rootFromInclusion(seq, cp.size, await leafHash(leaf), hashes.map(b64));
        return r !== null && equal(r, cp.root);
      };
      if (!(row.seq < cp.size)) return { ok: false, why: `record ${row.seq} is past the checkpoint (size ${cp.size})` };
      if (!(await inLog(leafBytes, row.seq, proof.hashes))) return { ok: false, why: "not in the log: its inclusion proof does not lead to the checkpoint's root" };
      const leaf = readLeaf(leafBytes);
      if (leaf.seq !== BigInt(row.seq)) return { ok: false, why: `the record's bytes say seq ${leaf.seq}` };
      const entry = readEntry(leaf.entry);
      const shown = `${row.from} → ${row.to} ${row.amount_minor} on ${row.date}`;
      const signed = `${entry.from} → ${entry.to} ${entry.amount} on ${entry.valueDate}`;
      if (entry.tag !== BODY.payment && entry.tag !== BODY.contribution) return { ok: false, why: "the record is not a payment or contribution" };
      if (shown !== signed) return { ok: false, why: `the page shows ${shown} but the record says ${signed}` };
      let signatures = leaf.signatures, signedBytes = leaf.entry, how = "signed";
      if (leaf.batchSeq !== 0n) {
        if (!batchRecord || !proof.batch) return { ok: false, why: "a record of a payment run, shown without its run" };
        const batchLeafBytes = b64(batchRecord.leaf);
        if (!(await inLog(batchLeafBytes, Number(leaf.batchSeq), batchRecord.hashes)))
          return { ok: false, why: `its payment run's record (seq ${leaf.batchSeq}) is not in the log` };
        const batchLeaf = readLeaf(batchLeafBytes);
        const batch = readEntry(batchLeaf.entry);
        if (batch.tag !== BODY.batch || batchLeaf.seq !== leaf.batchSeq) return { ok: false, why: "its batch record is not a payment run" };
        if (BigInt(row.seq) !== leaf.batchSeq + 1n + BigInt(proof.batch.index) || proof.batch.count !== batch.count)
          return { ok: false, why: "its place in the payment run does not match its seq" };
        const r = await rootFromInclusion(proof.batch.index, batch.count, await leafHash(leaf.entry), proof.batch.hashes.map(b64));
        if (r === null || !equal(r, batch.root)) return { ok: false, why: "its path does not lead to the root its payment run's officers signed" };
        signatures = batchLeaf.signatures;
        signedBytes = batchLeaf.entry;
        how = `approved in the payment run of seq ${leaf.batchSeq}`;
      }
      if (signatures.length === 0) return { ok: false, why: "no signature" };
      for (const s of signatures)
        if (!(await ed25519(s.publicKey, s.ed25519, signedBytes))) return { ok: false, why: "a signature does not verify" };
      return { ok: true, how, signers: signatures.map((s) => toB64(s.publicKey)) };
    } catch (e) {
      return { ok: false, why: `the record cannot be read: ${e.message}` };
    }
  }

  return { b64, toB64, sha256, leafHash, nodeHash, rootFromInclusion, readLeaf, readEntry, verifyCheckpoint, verifyRecord };
})();
if (typeof module !== "undefined") module.exports = FTVerify;
