#include "request.h"

#include <charconv>

#include "note.h"

namespace fv::witness {

std::optional<uint64_t> parseSize(std::string_view s) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<AddCheckpointRequest> parseAddCheckpoint(std::string_view body, std::string& error) {
  error.clear();
  if (body.size() > kMaxRequestBytes) return error = "request body larger than 64 KiB", std::nullopt;
  auto nextLine = [&](std::string_view& line) {
    size_t nl = body.find('\n');
    if (nl == std::string_view::npos) return false;
    line = body.substr(0, nl);
    body.remove_prefix(nl + 1);
    return true;
  };
  AddCheckpointRequest req;
  std::string_view line;
  if (!nextLine(line) || line.substr(0, 4) != "old ")
    return error = "the body does not start with an 'old <size>' line", std::nullopt;
  auto old = parseSize(line.substr(4));
  if (!old) return error = "old size '" + std::string(line.substr(4)) + "' is not a decimal without leading zeros", std::nullopt;
  req.oldSize = *old;
  for (;;) {
    if (!nextLine(line)) return error = "no empty line before the checkpoint", std::nullopt;
    if (line.empty()) break;
    if (req.proof.size() == kMaxProofLines)
      return error = "more than " + std::to_string(kMaxProofLines) + " consistency proof lines", std::nullopt;
    auto raw = base64Decode(line);
    if (!raw || raw->size() != 32) return error = "proof line '" + std::string(line) + "' is not base64 of a 32-byte hash", std::nullopt;
    Hash h;
    std::copy(raw->begin(), raw->end(), h.begin());
    req.proof.push_back(h);
  }
  if (body.empty()) return error = "no checkpoint after the empty line", std::nullopt;
  req.checkpoint = std::string(body);
  return req;
}

}  // namespace fv::witness
