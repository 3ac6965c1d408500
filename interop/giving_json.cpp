#include "interop/giving_json.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "ledger/error.h"

namespace fundtrail::interop {
namespace {

constexpr size_t kMaxDepth = 32;

struct Frame {
  bool array = false;
  size_t count = 0;  // arrays: elements begun so far
  std::string key;   // objects: the current key
};

// Builds records while nlohmann's SAX parser walks the text: no DOM, and
// every number arrives as the text it was written with.
class Flattener : public nlohmann::json_sax<nlohmann::json> {
 public:
  GivingFile file;
  std::string error;  // set when a callback refuses
  bool saw_grants = false;

  bool null() override {
    if (!begin_value(false)) return false;
    return true;  // a null field is a missing one
  }
  bool boolean(bool v) override { return scalar(GivingValue::Type::other, v ? "true" : "false"); }
  bool number_integer(number_integer_t v) override { return scalar(GivingValue::Type::number, std::to_string(v)); }
  bool number_unsigned(number_unsigned_t v) override { return scalar(GivingValue::Type::number, std::to_string(v)); }
  bool number_float(number_float_t, const string_t& raw) override { return scalar(GivingValue::Type::number, raw); }
  bool string(string_t& v) override { return scalar(GivingValue::Type::text, v); }
  bool binary(binary_t&) override { return fail("binary values are not JSON"); }

  bool start_object(std::size_t) override {
    if (!begin_value(true)) return false;
    if (in_grants_array()) {
      GivingRecord r;
      r.where = "grants[" + std::to_string(frames_[1].count - 1) + "]";
      file.records.push_back(std::move(r));
    }
    return push(false);
  }
  bool end_object() override {
    frames_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    if (!begin_value(true, true)) return false;
    return push(true);
  }
  bool end_array() override {
    frames_.pop_back();
    return true;
  }
  bool key(string_t& k) override {
    if (frames_.size() == 1 && k == "grants") {
      if (saw_grants) return fail("the key \"grants\" appears twice");
      saw_grants = true;
    }
    frames_.back().key = k;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    if (error.empty()) error = "not valid JSON at byte " + std::to_string(position) + ": " + e.what();
    return false;
  }

 private:
  std::vector<Frame> frames_;
  std::set<std::string> unused_seen_;

  bool fail(const std::string& why) {
    if (error.empty()) error = why;
    return false;
  }
  bool push(bool array) {
    if (frames_.size() >= kMaxDepth) return fail("nested deeper than " + std::to_string(kMaxDepth) + " levels");
    frames_.push_back(Frame{array, 0, ""});
    return true;
  }
  bool at_grants_key() const { return frames_.size() == 1 && frames_[0].key == "grants"; }
  bool in_grants_array() const { return frames_.size() == 2 && frames_[1].array && frames_[0].key == "grants"; }
  bool inside_grant() const { return frames_.size() >= 3 && frames_[0].key == "grants" && frames_[1].array; }

  // Checks the shape of the document where a value begins, and counts it in
  // its array.
  bool begin_value(bool container, bool is_array = false) {
    if (frames_.empty()) {
      if (!container || is_array) return fail("a 360Giving JSON file is an object {\"grants\": [...]}");
      return true;
    }
    if (frames_.back().array) ++frames_.back().count;
    if (at_grants_key() && !is_array) return fail("\"grants\" must be an array of grants");
    if (in_grants_array() && (!container || is_array))
      return fail("grants[" + std::to_string(frames_[1].count - 1) + "] is not an object");
    return true;
  }

  // The current value's path inside its grant; indices after the first as "n".
  std::string grant_path(bool& first_items) const {
    std::string path;
    first_items = true;
    for (size_t i = 2; i < frames_.size(); ++i) {
      if (!path.empty()) path += '/';
      if (frames_[i].array) {
        size_t index = frames_[i].count - 1;
        first_items &= index == 0;
        path += index == 0 ? "0" : "n";
      } else {
        path += frames_[i].key;
      }
    }
    return path;
  }

  bool scalar(GivingValue::Type type, std::string text) {
    if (!begin_value(false)) return false;
    if (!inside_grant()) return true;  // package metadata: not ours to use
    bool first_items = false;
    std::string path = grant_path(first_items);
    bool used = first_items && std::any_of(giving_fields().begin(), giving_fields().end(),
                                           [&](const GivingField& f) { return path == f.path; });
    if (!used) {
      if (unused_seen_.insert(path).second) file.unused.push_back(path);
      return true;
    }
    GivingRecord& r = file.records.back();
    if (!r.fields.emplace(path, GivingValue{type, std::move(text)}).second)
      return fail(r.where + ": the field '" + path + "' is given twice");
    return true;
  }
};

}  // namespace

GivingFile read_giving_json(std::string_view bytes) {
  Flattener f;
  bool ok = nlohmann::json::sax_parse(bytes.begin(), bytes.end(), &f);
  if (!ok || !f.error.empty()) unusable(f.error.empty() ? std::string("not valid JSON") : f.error);
  if (!f.saw_grants) unusable("no \"grants\" array: a 360Giving JSON file is an object {\"grants\": [...]}");
  return std::move(f.file);
}

}  // namespace fundtrail::interop
