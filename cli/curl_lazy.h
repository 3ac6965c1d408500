// libcurl, loaded with dlopen on first use. Linking libcurl into `fundtrail`
// costs every command ~15 ms of start-up on a 2-core VM (its TLS, SSH, LDAP
// and compression libraries are mapped and relocated), and only `witness add`
// speaks HTTP; `pay` must stay fast (docs/performance.md).
#pragma once
#include <curl/curl.h>

#include <string>

namespace fundtrail::cli {

struct Curl {
  decltype(&curl_global_init) global_init;
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
};

// The loaded library, initialised once (curl_global_init); a usage error
// (exit 2) naming the package when libcurl4 is not installed.
const Curl& curl();

}  // namespace fundtrail::cli
