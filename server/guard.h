// Protection of `fundtrail serve` against slow and greedy clients (DESIGN.md
// "Serving a partnership": a request must arrive whole within 10 s; 64
// connections and 1,000 requests a second per address by default, 0 disables
// one). cpp-httplib's own timeouts apply per read, so a client sending one
// byte a second would keep a worker for ever. The guard adds, on top of
// httplib::Server:
//
//  - a total deadline for reading each request: a connection still reading
//    when it passes is shut down. requestReadWhole(), called by each handler
//    first, stops it; it starts again, once the response is routed, for
//    writing it and reading the next request on a kept-alive connection;
//  - a cap on concurrent connections per client address: more are answered
//    429 and closed at once, without taking a worker;
//  - a token bucket of requests per second per address: more are answered
//    429 before any handler runs;
//  - a pool of workers.
//
// How it learns each connection's socket: cpp-httplib accepts with accept(2)
// and hands the socket to its task queue on the same thread, so this file
// interposes accept() to note the socket on that thread. (fundtrail-witness,
// across the verifier's boundary, carries its own copy of this guard.)
//
// Thread safety: install one guard per server, before listening; it must
// outlive the server's listen loop.
#pragma once
#include <chrono>
#include <cstddef>
#include <memory>

#include <httplib.h>

namespace fundtrail::server {

struct GuardOptions {
  size_t workers = 64;
  size_t per_address = 64;             // 0: no cap
  size_t requests_per_second = 1000;   // per address; 0: no limit
  std::chrono::milliseconds request_deadline{10000};
};

class ConnectionGuard {
 public:
  ConnectionGuard(httplib::Server& server, const GuardOptions& options);
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// Called by each handler first: the request (headers and body) has been read
// whole, so the deadline for reading it stops. No-op outside a guarded worker.
void requestReadWhole();

}  // namespace fundtrail::server
