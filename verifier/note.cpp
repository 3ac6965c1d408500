#include "note.h"

#include <sodium.h>

#include <charconv>

namespace fv {
namespace {

const std::string kDash = "\xE2\x80\x94 ";  // em dash U+2014 and a space

// Decodes one UTF-8 code point at s[i]; returns its length, or 0 if invalid.
size_t utf8Next(std::string_view s, size_t i, char32_t& cp) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t c = b(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  static const char32_t minFor[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < minFor[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

bool isUnicodeSpace(char32_t c) {  // Go's unicode.IsSpace
  return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

std::vector<std::string_view> splitLines(std::string_view text) {  // text ends with '\n'
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') lines.push_back(text.substr(start, i - start)), start = i + 1;
  return lines;
}

// ASCII decimal, no sign, no leading zero (except "0").
std::optional<uint64_t> parseDecimal(std::string_view s) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

uint32_t readBE32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

}  // namespace

std::string base64Encode(std::span<const uint8_t> bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::vector<uint8_t>> base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  if (text.empty()) return std::vector<uint8_t>{};  // libsodium must not be handed a null buffer
  // Only the standard alphabet, '=' only as the last one or two characters:
  // libsodium alone lets some other bytes through (found by fuzz_verify_note).
  size_t body = text.size();
  while (body > text.size() - 2 && text[body - 1] == '=') --body;
  for (size_t i = 0; i < body; ++i) {
    const char c = text[i];
    const bool alphabet = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '+' || c == '/';
    if (!alphabet) return std::nullopt;
  }
  std::vector<uint8_t> out(text.size() / 4 * 3);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size())
    return std::nullopt;
  out.resize(len);
  if (base64Encode(out) != text) return std::nullopt;  // one spelling per value
  return out;
}

uint32_t keyId(std::string_view name, uint8_t type, const PublicKey& key) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, reinterpret_cast<const uint8_t*>(name.data()), name.size());
  const uint8_t sep[2] = {0x0A, type};
  crypto_hash_sha256_update(&st, sep, 2);
  crypto_hash_sha256_update(&st, key.data(), key.size());
  uint8_t h[32];
  crypto_hash_sha256_final(&st, h);
  return readBE32(h);
}

bool validKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size();) {
    char32_t c;
    size_t n = utf8Next(name, i, c);
    if (n == 0 || isUnicodeSpace(c) || c == '+') return false;
    i += n;
  }
  return true;
}

std::optional<VerifierKey> parseVerifierKey(std::string_view text, std::string& error) {
  error.clear();
  size_t p1 = text.find('+'), p2 = p1 == std::string_view::npos ? p1 : text.find('+', p1 + 1);
  if (p2 == std::string_view::npos) {
    error = "a verifier key is <name>+<8 hex digits>+<base64 key>";
    return std::nullopt;
  }
  VerifierKey k;
  k.name = std::string(text.substr(0, p1));
  std::string_view hex = text.substr(p1 + 1, p2 - p1 - 1);
  auto raw = base64Decode(text.substr(p2 + 1));
  if (!validKeyName(k.name)) error = "the key name is empty or holds a space or '+'";
  else if (hex.size() != 8 || hex.find_first_not_of("0123456789abcdef") != std::string_view::npos)
    error = "the key id is not 8 lower-case hex digits";
  else if (!raw || raw->size() != 33) error = "the key is not base64 of a type byte and 32 key bytes";
  if (!error.empty()) return std::nullopt;
  k.type = (*raw)[0];
  std::copy(raw->begin() + 1, raw->end(), k.key.begin());
  std::from_chars(hex.data(), hex.data() + hex.size(), k.id, 16);
  if (k.type != kSigEd25519 && k.type != kSigCosignV1) {
    error = "unsupported signature type " + std::to_string(k.type) + " (fundtrail uses 0x01 and 0x04)";
    return std::nullopt;
  }
  if (keyId(k.name, k.type, k.key) != k.id) {
    error = "the key id does not match the name and key";
    return std::nullopt;
  }
  return k;
}

std::string formatVerifierKey(const VerifierKey& k) {
  char hex[9];
  snprintf(hex, sizeof hex, "%08x", k.id);
  std::vector<uint8_t> raw{k.type};
  raw.insert(raw.end(), k.key.begin(), k.key.end());
  return k.name + "+" + hex + "+" + base64Encode(raw);
}

VerifierKey makeVerifierKey(std::string name, uint8_t type, const PublicKey& key) {
  VerifierKey k{std::move(name), 0, type, key};
  k.id = keyId(k.name, type, key);
  return k;
}

std::optional<Note> parseNote(std::string_view msg, std::string& error) {
  for (size_t i = 0; i < msg.size();) {
    char32_t c;
    size_t n = utf8Next(msg, i, c);
    if (n == 0) return error = "not valid UTF-8", std::nullopt;
    if (c < 0x20 && c != '\n') return error = "holds a control character", std::nullopt;
    i += n;
  }
  size_t split = msg.rfind("\n\n");
  if (split == std::string_view::npos) return error = "no blank line before the signatures", std::nullopt;
  Note note;
  note.text = std::string(msg.substr(0, split + 1));
  std::string_view sigs = msg.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') return error = "no signature lines after the blank line", std::nullopt;
  for (std::string_view line : splitLines(sigs)) {
    if (line.substr(0, kDash.size()) != kDash)
      return error = "a signature line does not start with an em dash and a space", std::nullopt;
    line.remove_prefix(kDash.size());
    size_t sp = line.find(' ');
    std::string_view name = line.substr(0, sp), b64 = sp == line.npos ? "" : line.substr(sp + 1);
    auto raw = base64Decode(b64);
    if (!validKeyName(name) || b64.empty() || !raw || raw->size() < 5)
      return error = "malformed signature line '" + std::string(line) + "'", std::nullopt;
    if (note.signatures.size() == 100) return error = "more than 100 signatures", std::nullopt;
    SignatureLine s{std::string(name), readBE32(raw->data()), {raw->begin() + 4, raw->end()}, {}};
    s.line = kDash + std::string(line) + "\n";
    note.signatures.push_back(std::move(s));
  }
  return note;
}

std::string signatureLine(std::string_view name, uint32_t id, std::span<const uint8_t> sig) {
  std::vector<uint8_t> raw = {uint8_t(id >> 24), uint8_t(id >> 16), uint8_t(id >> 8), uint8_t(id)};
  raw.insert(raw.end(), sig.begin(), sig.end());
  return kDash + std::string(name) + " " + base64Encode(raw) + "\n";
}

SigCheck checkNoteSignature(const Note& note, const VerifierKey& key) {
  bool seen = false;
  for (const auto& s : note.signatures) {
    if (s.name != key.name || s.id != key.id || key.type != kSigEd25519) continue;
    if (s.sig.size() != crypto_sign_BYTES ||
        crypto_sign_verify_detached(s.sig.data(), reinterpret_cast<const uint8_t*>(note.text.data()),
                                    note.text.size(), key.key.data()) != 0)
      return SigCheck::Bad;
    seen = true;
  }
  return seen ? SigCheck::Verified : SigCheck::Missing;
}

std::string cosignatureMessage(std::string_view checkpointText, uint64_t timestamp) {
  return "cosignature/v1\ntime " + std::to_string(timestamp) + "\n" + std::string(checkpointText);
}

SigCheck checkCosignature(const Note& note, const VerifierKey& witness, uint64_t* timestamp) {
  bool seen = false;
  for (const auto& s : note.signatures) {
    if (s.name != witness.name || s.id != witness.id || witness.type != kSigCosignV1) continue;
    if (s.sig.size() != 8 + crypto_sign_BYTES) return SigCheck::Bad;
    uint64_t ts = 0;
    for (int i = 0; i < 8; ++i) ts = ts << 8 | s.sig[i];
    if (ts > uint64_t(INT64_MAX)) return SigCheck::Bad;
    std::string msg = cosignatureMessage(note.text, ts);
    if (crypto_sign_verify_detached(s.sig.data() + 8, reinterpret_cast<const uint8_t*>(msg.data()), msg.size(),
                                    witness.key.data()) != 0)
      return SigCheck::Bad;
    if (timestamp) *timestamp = ts;
    seen = true;
  }
  return seen ? SigCheck::Verified : SigCheck::Missing;
}

std::vector<uint8_t> cosignaturePayload(uint64_t timestamp, std::span<const uint8_t, 64> ed25519) {
  std::vector<uint8_t> out;
  for (int i = 7; i >= 0; --i) out.push_back(uint8_t(timestamp >> (8 * i)));
  out.insert(out.end(), ed25519.begin(), ed25519.end());
  return out;
}

std::optional<Checkpoint> parseCheckpoint(std::string_view text, std::string& error) {
  error.clear();
  auto lines = splitLines(text);
  if (lines.size() < 3) return error = "a checkpoint has at least three lines", std::nullopt;
  Checkpoint c;
  c.origin = std::string(lines[0]);
  auto size = parseDecimal(lines[1]);
  auto root = base64Decode(lines[2]);
  if (c.origin.empty()) error = "empty origin line";
  else if (!size) error = "tree size '" + std::string(lines[1]) + "' is not a decimal number without leading zeros";
  else if (!root || root->size() != 32) error = "root hash is not base64 of 32 bytes";
  for (size_t i = 3; i < lines.size() && error.empty(); ++i)
    if (lines[i].empty()) error = "empty extension line";
  if (!error.empty()) return std::nullopt;
  c.size = *size;
  std::copy(root->begin(), root->end(), c.root.begin());
  return c;
}

std::optional<Checkpoint> openCheckpoint(std::string_view noteText, const VerifierKey& logKey, std::string& error) {
  error.clear();
  auto note = parseNote(noteText, error);
  if (!note) return error = "not a signed note: " + error, std::nullopt;
  auto cp = parseCheckpoint(note->text, error);
  if (!cp) return error = "not a checkpoint: " + error, std::nullopt;
  switch (checkNoteSignature(*note, logKey)) {
    case SigCheck::Missing: return error = "it carries no signature by the log key " + formatVerifierKey(logKey), std::nullopt;
    case SigCheck::Bad: return error = "the log key's signature does not verify", std::nullopt;
    case SigCheck::Verified: break;
  }
  if (cp->origin != logKey.name)
    return error = "its origin '" + cp->origin + "' is not the log key's name '" + logKey.name + "'", std::nullopt;
  return cp;
}

std::optional<Statement> parseStatement(std::string_view text, std::string& error) {
  auto lines = splitLines(text);
  if (lines.size() < 3 || lines[0] != "fundtrail statement v1")
    return error = "not a 'fundtrail statement v1' note", std::nullopt;
  Statement st;
  st.origin = std::string(lines[1]);
  auto size = parseDecimal(lines[2]);
  if (!size) return error = "record count '" + std::string(lines[2]) + "' is not a decimal number", std::nullopt;
  st.size = *size;
  for (size_t i = 3; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    size_t sp = l.find(' ');
    std::string_view id = l.substr(0, sp), num = sp == l.npos ? "" : l.substr(sp + 1);
    bool neg = !num.empty() && num[0] == '-';
    auto mag = parseDecimal(neg ? num.substr(1) : num);
    if (id.empty() || !mag || (neg && *mag == 0) || *mag > uint64_t(INT64_MAX) + (neg ? 1 : 0))
      return error = "line '" + std::string(l) + "' is not '<party> <balance in minor units>'", std::nullopt;
    if (!st.balances.empty() && !(st.balances.back().first < id))
      return error = "party '" + std::string(id) + "' is out of order or repeated", std::nullopt;
    int64_t v = neg ? int64_t(0 - *mag) : int64_t(*mag);
    st.balances.emplace_back(std::string(id), v);
  }
  return st;
}

}  // namespace fv
