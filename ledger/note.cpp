// C2SP signed notes (c2sp.org/signed-note), checkpoints (c2sp.org/tlog-checkpoint)
// and Ed25519 witness cosignatures (c2sp.org/tlog-cosignature, cosignature/v1).
//
// Parsing is deliberately stricter than the specs require of readers: a note
// that any byte of whitespace, line ending or encoding could make ambiguous is
// refused with a reason, because a checkpoint is evidence and must have one
// reading only.
#include "ledger/note.h"

#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <limits>
#include <stdexcept>

namespace fundtrail {

namespace {

constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // em dash U+2014, space
constexpr uint8_t kEd25519Type = 0x01;
constexpr uint8_t kCosignatureType = 0x04;
constexpr size_t kEd25519SigLen = crypto_sign_BYTES;
constexpr size_t kMaxSignatures = 100;  // spec: accept at least 16; bounds work on hostile input

void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

// Decodes one UTF-8 sequence at s[i]; 0 when it is not valid UTF-8 (overlong,
// surrogate, beyond U+10FFFF or truncated).
size_t utf8_decode(std::string_view s, size_t i, char32_t& cp) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  size_t len;
  char32_t min;
  if (c < 0x80) {
    cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// signed-note: valid UTF-8, no ASCII control character but newline.
bool check_note_chars(std::string_view s, std::string& why) {
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    const size_t len = utf8_decode(s, i, cp);
    if (len == 0) {
      why = "note is not valid UTF-8 (byte " + std::to_string(i) + ")";
      return false;
    }
    if (cp == '\r') {
      why = "note contains a carriage return (byte " + std::to_string(i) + "); lines end with \\n only";
      return false;
    }
    if (cp < 0x20 && cp != '\n') {
      why = "note contains a control character (byte " + std::to_string(i) + ")";
      return false;
    }
    i += len;
  }
  return true;
}

// Unicode White_Space, as Go's unicode.IsSpace (which Go's note package uses).
bool is_unicode_space(char32_t cp) {
  return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

// Key names: non-empty, no Unicode space, no '+' (it separates verifier key text).
bool check_key_name(std::string_view name, std::string& why) {
  if (name.empty()) {
    why = "key name is empty";
    return false;
  }
  for (size_t i = 0; i < name.size();) {
    char32_t cp;
    const size_t len = utf8_decode(name, i, cp);
    if (len == 0) {
      why = "key name is not valid UTF-8";
      return false;
    }
    if (is_unicode_space(cp) || cp < 0x20) {
      why = "key name '" + std::string(name) + "' contains whitespace or a control character";
      return false;
    }
    if (cp == '+') {
      why = "key name '" + std::string(name) + "' contains '+'";
      return false;
    }
    i += len;
  }
  return true;
}

// The text a signature covers: ends with a newline, is not empty and does not
// end in a blank line (that blank line would be read as the separator).
bool check_note_text(std::string_view text, std::string& why) {
  if (!check_note_chars(text, why)) return false;
  if (text.empty() || text.back() != '\n') {
    why = "note text must end with a newline";
    return false;
  }
  if (text == "\n") {
    why = "note text is empty";
    return false;
  }
  if (text.ends_with("\n\n")) {
    why = "note text ends with a blank line: exactly one blank line must separate text and signatures";
    return false;
  }
  return true;
}

void put_be32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xFF));
}
void put_be64(std::string& out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xFF));
}
uint64_t get_be(std::string_view b, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(b[i]);
  return v;
}

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string key_id_hex(uint32_t id) {
  std::string be;
  put_be32(be, id);
  return hex(bytes(be));
}

std::string cosigned_message(std::string_view body, uint64_t timestamp) {
  return "cosignature/v1\ntime " + std::to_string(timestamp) + "\n" + std::string(body);
}

std::string signature_line(std::string_view name, std::string_view blob) {
  return std::string(kSigPrefix) + std::string(name) + " " + base64(bytes(blob)) + "\n";
}

// Shared by both signers: refuse what would make a note nobody can read back.
void check_signing_inputs(std::string_view body, std::string_view name, const SecretKey& sk, const PublicKey& pk) {
  std::string why;
  if (!check_note_text(body, why)) throw std::invalid_argument("cannot sign: " + why);
  if (!check_key_name(name, why)) throw std::invalid_argument("cannot sign: " + why);
  // libsodium's secret key carries its public half; a mismatch would publish
  // a key id for one key and a signature by another.
  if (!std::equal(pk.begin(), pk.end(), sk.begin() + 32))
    throw std::invalid_argument("cannot sign: public key does not belong to the secret key");
  ensure_sodium();
}

std::string ed25519_sign(std::string_view message, const SecretKey& sk) {
  std::string sig(kEd25519SigLen, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(), sk.data());
  return sig;
}

bool ed25519_verify(std::string_view message, std::string_view sig, const PublicKey& pk) {
  assert(sig.size() == kEd25519SigLen);
  ensure_sodium();
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                     pk.data()) == 0;
}

// Checks a verifier key is usable for `type` and internally consistent.
bool check_verifier(const VerifierKey& key, uint8_t type, std::string& why) {
  if (key.type != type) {
    why = "key " + key.name + " has signature type " + std::to_string(key.type) + ", expected " +
          std::to_string(type);
    return false;
  }
  if (note_key_id(key.name, key.type, key.key) != key.id) {
    why = "key id " + key_id_hex(key.id) + " does not match key " + key.name;
    return false;
  }
  return true;
}

// The signature lines made by `key` (same name and id); the spec says lines
// by other keys are ignored, so they are not an error.
std::vector<NoteSignature> lines_by(const std::vector<NoteSignature>& sigs, const VerifierKey& key) {
  std::vector<NoteSignature> out;
  for (const auto& s : sigs)
    if (s.name == key.name && s.id == key.id) out.push_back(s);
  return out;
}

}  // namespace

uint32_t note_key_id(std::string_view name, uint8_t type, const PublicKey& key) {
  std::string buf(name);
  buf.push_back('\n');
  buf.push_back(static_cast<char>(type));
  buf.append(reinterpret_cast<const char*>(key.data()), key.size());
  const Hash h = sha256(bytes(buf));
  return static_cast<uint32_t>(get_be({reinterpret_cast<const char*>(h.data()), 4}, 4));
}

std::string verifier_key_text(std::string_view name, uint8_t type, const PublicKey& key) {
  std::string typed(1, static_cast<char>(type));
  typed.append(reinterpret_cast<const char*>(key.data()), key.size());
  return std::string(name) + "+" + key_id_hex(note_key_id(name, type, key)) + "+" + base64(bytes(typed));
}

std::optional<VerifierKey> parse_verifier_key(std::string_view text, std::string& why) {
  // "<name>+<8 hex>+<base64>": names have no '+', so the first two '+' split
  // it; base64 itself may contain '+'.
  const size_t p1 = text.find('+');
  const size_t p2 = p1 == std::string_view::npos ? p1 : text.find('+', p1 + 1);
  if (p2 == std::string_view::npos) {
    why = "verifier key must look like <name>+<8 hex digits>+<base64 key>";
    return std::nullopt;
  }
  VerifierKey k;
  k.name = std::string(text.substr(0, p1));
  if (!check_key_name(k.name, why)) return std::nullopt;
  const std::string_view id_hex = text.substr(p1 + 1, p2 - p1 - 1);
  if (id_hex.size() != 8 || id_hex.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
    why = "verifier key id '" + std::string(id_hex) + "' is not 8 hex digits";
    return std::nullopt;
  }
  for (char c : id_hex) {
    const int d = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    k.id = (k.id << 4) | static_cast<uint32_t>(d);
  }
  std::string raw;
  if (!from_base64(text.substr(p2 + 1), raw)) {
    why = "verifier key material is not valid base64";
    return std::nullopt;
  }
  if (raw.size() != 1 + k.key.size()) {
    why = "verifier key material must be a type byte and a 32-byte Ed25519 key";
    return std::nullopt;
  }
  k.type = static_cast<uint8_t>(raw[0]);
  if (k.type != kEd25519Type && k.type != kCosignatureType) {
    why = "verifier key type " + std::to_string(k.type) + " is not supported (0x01 Ed25519, 0x04 cosignature/v1)";
    return std::nullopt;
  }
  std::copy(raw.begin() + 1, raw.end(), k.key.begin());
  if (note_key_id(k.name, k.type, k.key) != k.id) {
    why = "verifier key id " + std::string(id_hex) + " does not match the name and key";
    return std::nullopt;
  }
  return k;
}

std::string checkpoint_body(std::string_view origin, uint64_t size, const Hash& root) {
  return std::string(origin) + "\n" + std::to_string(size) + "\n" + base64(root) + "\n";
}

std::string sign_note(std::string_view body, std::string_view name, const SecretKey& sk, const PublicKey& pk) {
  check_signing_inputs(body, name, sk, pk);
  std::string blob;
  put_be32(blob, note_key_id(name, kEd25519Type, pk));
  blob += ed25519_sign(body, sk);
  return std::string(body) + "\n" + signature_line(name, blob);
}

std::optional<std::pair<std::string, std::vector<NoteSignature>>> split_note(std::string_view note,
                                                                               std::string& why) {
  if (!check_note_chars(note, why)) return std::nullopt;
  if (note.empty() || note.back() != '\n') {
    why = "note does not end with a newline";
    return std::nullopt;
  }
  // The text is separated from the signatures by the note's last blank line.
  const size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) {
    why = "note has no blank line between its text and its signature lines";
    return std::nullopt;
  }
  std::string body(note.substr(0, split + 1));
  if (!check_note_text(body, why)) return std::nullopt;

  std::string_view rest = note.substr(split + 2);
  if (rest.empty()) {
    why = "note has no signature lines";
    return std::nullopt;
  }
  std::vector<NoteSignature> sigs;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    assert(nl != std::string_view::npos);  // the note ends with '\n'
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    if (sigs.size() == kMaxSignatures) {
      why = "note has more than " + std::to_string(kMaxSignatures) + " signature lines";
      return std::nullopt;
    }
    if (!line.starts_with(kSigPrefix)) {
      why = "line '" + std::string(line) + "' after the blank line is not a signature line (\"\u2014 <name> <base64>\")";
      return std::nullopt;
    }
    line.remove_prefix(kSigPrefix.size());
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos) {
      why = "signature line has a key name but no signature";
      return std::nullopt;
    }
    NoteSignature s;
    s.name = std::string(line.substr(0, sp));
    const std::string_view b64 = line.substr(sp + 1);
    if (s.name.empty() || b64.empty() || b64.find(' ') != std::string_view::npos) {
      why = "signature line has extra whitespace: it must be \"\u2014 <name> <base64>\" with single spaces";
      return std::nullopt;
    }
    if (!check_key_name(s.name, why)) return std::nullopt;
    std::string raw;
    if (!from_base64(b64, raw)) {
      why = "signature by " + s.name + " is not valid base64";
      return std::nullopt;
    }
    if (raw.size() < 5) {
      why = "signature by " + s.name + " is too short to hold a key id and a signature";
      return std::nullopt;
    }
    s.id = static_cast<uint32_t>(get_be(raw, 4));
    s.blob = raw.substr(4);
    sigs.push_back(std::move(s));
  }
  return std::make_pair(std::move(body), std::move(sigs));
}

std::optional<Checkpoint> parse_checkpoint_body(std::string_view body, std::string& why) {
  if (!check_note_chars(body, why)) return std::nullopt;
  if (body.empty() || body.back() != '\n') {
    why = "checkpoint body must end with a newline";
    return std::nullopt;
  }
  std::vector<std::string_view> lines;
  for (std::string_view rest = body; !rest.empty();) {
    const size_t nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  if (lines.size() < 3) {
    why = "checkpoint body needs three lines: origin, tree size, root hash";
    return std::nullopt;
  }
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i].empty()) {
      why = "checkpoint line " + std::to_string(i + 1) + " is empty";
      return std::nullopt;
    }

  Checkpoint c;
  c.origin = std::string(lines[0]);

  const std::string_view size = lines[1];
  if (size.find_first_not_of("0123456789") != std::string_view::npos) {
    why = "checkpoint tree size '" + std::string(size) + "' is not a decimal number";
    return std::nullopt;
  }
  if (size.size() > 1 && size[0] == '0') {
    why = "checkpoint tree size '" + std::string(size) + "' has a leading zero";
    return std::nullopt;
  }
  for (char d : size) {
    if (__builtin_mul_overflow(c.size, uint64_t{10}, &c.size) ||
        __builtin_add_overflow(c.size, static_cast<uint64_t>(d - '0'), &c.size)) {
      why = "checkpoint tree size '" + std::string(size) + "' is too large";
      return std::nullopt;
    }
  }

  std::string root;
  if (!from_base64(lines[2], root) || root.size() != c.root.size()) {
    why = "checkpoint root hash is not the standard base64 of 32 bytes";
    return std::nullopt;
  }
  std::copy(root.begin(), root.end(), c.root.begin());
  // Lines after the root are C2SP extension lines: opaque, kept in `body`.
  c.body = std::string(body);
  return c;
}

bool note_signed_by(std::string_view note, const VerifierKey& key, std::string& why) {
  if (!check_verifier(key, kEd25519Type, why)) return false;
  auto split = split_note(note, why);
  if (!split) return false;
  const auto& [body, sigs] = *split;
  const auto mine = lines_by(sigs, key);
  if (mine.empty()) {
    why = "note has no signature by " + key.name + "+" + key_id_hex(key.id);
    return false;
  }
  // Every line by this key must verify: signed-note says a failing signature
  // by a known key should discredit the whole note, not be skipped.
  for (const auto& s : mine) {
    if (s.blob.size() != kEd25519SigLen || !ed25519_verify(body, s.blob, key.key)) {
      why = "signature by " + key.name + " does not verify";
      return false;
    }
  }
  why.clear();
  return true;
}

std::string cosignature_line(std::string_view body, std::string_view witness_name, uint64_t timestamp,
                             const SecretKey& sk, const PublicKey& pk) {
  check_signing_inputs(body, witness_name, sk, pk);
  if (timestamp > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    throw std::invalid_argument("cannot cosign: timestamp exceeds 2^63 - 1");
  std::string blob;
  put_be32(blob, note_key_id(witness_name, kCosignatureType, pk));
  put_be64(blob, timestamp);
  blob += ed25519_sign(cosigned_message(body, timestamp), sk);
  return signature_line(witness_name, blob);
}

bool note_cosigned_by(std::string_view note, const VerifierKey& key, uint64_t& timestamp, std::string& why) {
  if (!check_verifier(key, kCosignatureType, why)) return false;
  auto split = split_note(note, why);
  if (!split) return false;
  const auto& [body, sigs] = *split;
  const auto mine = lines_by(sigs, key);
  if (mine.empty()) {
    why = "note has no cosignature by " + key.name + "+" + key_id_hex(key.id);
    return false;
  }
  uint64_t newest = 0;
  for (const auto& s : mine) {
    if (s.blob.size() != 8 + kEd25519SigLen) {
      why = "cosignature by " + key.name + " is not a timestamp and an Ed25519 signature";
      return false;
    }
    const uint64_t t = get_be(s.blob, 8);
    if (t > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      why = "cosignature by " + key.name + " has a timestamp above 2^63 - 1";
      return false;
    }
    if (!ed25519_verify(cosigned_message(body, t), std::string_view(s.blob).substr(8), key.key)) {
      why = "cosignature by " + key.name + " does not verify";
      return false;
    }
    newest = std::max(newest, t);
  }
  timestamp = newest;
  why.clear();
  return true;
}

std::optional<Checkpoint> open_checkpoint(std::string_view note, std::string_view origin, const VerifierKey& log_key,
                                          std::string& why) {
  if (!note_signed_by(note, log_key, why)) return std::nullopt;
  auto split = split_note(note, why);
  assert(split);  // note_signed_by has split it already
  auto c = parse_checkpoint_body(split->first, why);
  if (!c) return std::nullopt;
  if (c->origin != origin) {
    why = "checkpoint origin '" + c->origin + "' is not this ledger's origin '" + std::string(origin) + "'";
    return std::nullopt;
  }
  return c;
}

}  // namespace fundtrail
