// The server's figures (DESIGN.md "Benchmark output"): 16 in-process HTTP
// clients post pre-signed payments to a real fundtrail-serve, each answer
// after a durable group commit; process start-up is not what is measured.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace fundtrail::bench {

// {serve_appends_per_s, serve_append_ms_p50, serve_append_ms_p99, serve_clients,
// serve_requests} over a fresh ledger in `dir`, served by `serve_bin`.
nlohmann::json bench_serve(const std::string& serve_bin, const std::string& dir, int clients = 16, int each = 200);

}  // namespace fundtrail::bench
