// Protection of the witness's HTTP server against slow and greedy clients
// (issue 20 defect 8; docs/witness.md "Limits"). cpp-httplib's own timeouts
// apply per read, so a client sending one header line every few seconds
// keeps a worker forever, and its fixed pool of workers falls to a handful
// of such clients. The guard adds, on top of httplib::Server:
//
//  - a total deadline for reading each request (default 10 s): a connection
//    still reading its request when the deadline passes is shut down. The
//    deadline stops when a handler calls requestReadWhole() (a full verifier
//    pass over the log's tiles may take minutes) and starts again, once the
//    response is routed, for writing it and reading the next request on a
//    kept-alive connection;
//  - a cap on concurrent connections per client address (default 16): more
//    are answered 503 and closed at once, without taking a worker;
//  - a pool of workers larger than one address may hold (default 64).
//
// How it learns each connection's socket: cpp-httplib (Debian's shared
// libcpp-httplib) accepts with accept(2) and hands the socket to its task
// queue on the same thread, so this file interposes accept() to note the
// socket on that thread, and a task queue of its own takes it from there.
//
// Thread safety: install one guard per server, before listening; it must
// outlive the server's listen loop.
#pragma once
#include <chrono>
#include <cstddef>
#include <memory>

#include <httplib.h>

namespace fv::witness {

struct GuardOptions {
  size_t workers = 64;
  size_t per_address = 16;
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

}  // namespace fv::witness
