#include "cli/curl_lazy.h"

#include <dlfcn.h>

#include <mutex>

#include "cli/context.h"

namespace fundtrail::cli {
namespace {

template <typename F>
void resolve(void* lib, const char* name, F& out) {
  out = reinterpret_cast<F>(::dlsym(lib, name));
  if (!out) usage_error(std::string("libcurl.so.4 lacks ") + name + "; install Debian's libcurl4");
}

}  // namespace

const Curl& curl() {
  static Curl c{};
  static std::once_flag once;
  std::call_once(once, [] {
    void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) usage_error(std::string("cannot load libcurl (") + ::dlerror() + "); install Debian's libcurl4");
    resolve(lib, "curl_global_init", c.global_init);
    resolve(lib, "curl_easy_init", c.easy_init);
    resolve(lib, "curl_easy_setopt", c.easy_setopt);
    resolve(lib, "curl_easy_perform", c.easy_perform);
    resolve(lib, "curl_easy_getinfo", c.easy_getinfo);
    resolve(lib, "curl_easy_strerror", c.easy_strerror);
    resolve(lib, "curl_easy_cleanup", c.easy_cleanup);
    resolve(lib, "curl_slist_append", c.slist_append);
    resolve(lib, "curl_slist_free_all", c.slist_free_all);
    if (c.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) usage_error("libcurl failed to initialise");
  });
  return c;
}

}  // namespace fundtrail::cli
