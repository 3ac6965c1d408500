// The report page's template and the files it inlines, compiled in from
// accountability/report/ and the installed d3 (Debian's node-d3) at build
// time (accountability/CMakeLists.txt): the page loads nothing at run time.
#pragma once
#include <string_view>

namespace fundtrail::map::report_assets {
extern const std::string_view page;    // report/page.html: the marks /*FT:CSS*/, D3, VERIFY, DATA, APP in that order
extern const std::string_view css;     // report/page.css
extern const std::string_view d3;      // d3.min.js as installed
extern const std::string_view verify;  // report/verify.js: the page's own checks
extern const std::string_view app;     // report/app.js: tables, map, money trail
}  // namespace fundtrail::map::report_assets
