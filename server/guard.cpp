#include "server/guard.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <list>
#include <algorithm>
#include <map>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace {

// The socket accept() returned last on this thread: cpp-httplib's listen loop
// accepts, then enqueues the socket's task on the same thread.
thread_local int t_lastAccepted = -1;

using AcceptFn = int (*)(int, sockaddr*, socklen_t*);

}  // namespace

// Interposes libc's accept for cpp-httplib (a shared library resolves it
// through the executable first). It only notes the result.
extern "C" int accept(int fd, sockaddr* addr, socklen_t* len) {
  static AcceptFn real = reinterpret_cast<AcceptFn>(dlsym(RTLD_NEXT, "accept"));
  int s = real(fd, addr, len);
  if (s >= 0) t_lastAccepted = s;
  return s;
}

namespace fundtrail::server {

using Clock = std::chrono::steady_clock;

// One connection being served: a duplicate of its socket (so a shutdown can
// never reach a later connection that reuses the number) and its deadline.
struct Watched {
  int dupFd = -1;
  bool armed = true;
  Clock::time_point deadline;
};

thread_local Watched* t_current = nullptr;              // the connection this worker serves
thread_local ConnectionGuard::Impl* t_guard = nullptr;  // and whose guard watches it

struct ConnectionGuard::Impl : httplib::TaskQueue {
  GuardOptions opt;
  std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;
  std::map<std::string, size_t> perAddress;
  std::list<Watched> watched;
  std::unique_ptr<httplib::ThreadPool> pool;
  std::once_flag poolStopped;
  std::thread watchdog;

  explicit Impl(const GuardOptions& o) : opt(o), pool(std::make_unique<httplib::ThreadPool>(o.workers)) {
    watchdog = std::thread([this] { watch(); });
  }

  static std::string peerOf(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
    char text[INET6_ADDRSTRLEN] = "?";
    if (ss.ss_family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, text, sizeof text);
    if (ss.ss_family == AF_INET6) inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, text, sizeof text);
    return text;
  }

  static void refuse(int fd) {
    static const char kBusy[] =
        "HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
        "Content-Length: 62\r\n\r\n{\"error\": \"too many connections from your address; try later\"}";
    [[maybe_unused]] ssize_t n = send(fd, kBusy, sizeof kBusy - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    close(fd);
  }

  void enqueue(std::function<void()> fn) override {
    int fd = std::exchange(t_lastAccepted, -1);
    if (fd < 0) return pool->enqueue(std::move(fn));  // not a connection we saw accepted
    std::string peer = peerOf(fd);
    std::list<Watched>::iterator it;
    {
      std::lock_guard<std::mutex> hold(mu);
      if (opt.per_address && perAddress[peer] >= opt.per_address) return refuse(fd);
      ++perAddress[peer];
      it = watched.insert(watched.end(), Watched{dup(fd), false, {}});
    }
    pool->enqueue([this, fn = std::move(fn), it, peer] {
      {
        std::lock_guard<std::mutex> hold(mu);
        it->armed = true;
        it->deadline = Clock::now() + opt.request_deadline;
      }
      t_current = &*it;
      t_guard = this;
      fn();  // reads requests, runs handlers, closes the socket
      t_current = nullptr;
      t_guard = nullptr;
      std::lock_guard<std::mutex> hold(mu);
      if (it->dupFd >= 0) close(it->dupFd);
      watched.erase(it);
      if (--perAddress[peer] == 0) perAddress.erase(peer);
    });
  }

  void stopPool() {
    std::call_once(poolStopped, [this] { pool->shutdown(); });
  }

  void shutdown() override {
    stopPool();
    {
      std::lock_guard<std::mutex> hold(mu);
      stopping = true;
    }
    wake.notify_all();
    if (watchdog.joinable()) watchdog.join();
  }

  // Shuts down every connection still reading a request past its deadline.
  void watch() {
    std::unique_lock<std::mutex> hold(mu);
    while (!stopping) {
      wake.wait_for(hold, std::chrono::milliseconds(50));
      auto now = Clock::now();
      for (auto& w : watched)
        if (w.armed && w.dupFd >= 0 && now >= w.deadline) {
          ::shutdown(w.dupFd, SHUT_RDWR);
          w.armed = false;
        }
    }
  }

  // Token buckets per address: `requests_per_second` tokens a second, as
  // many at most; a request without a token is answered 429.
  struct Bucket {
    double tokens = 0;
    Clock::time_point last;
  };
  std::mutex rateMu;
  std::map<std::string, Bucket> buckets;
  bool admitRequest(const std::string& addr) {
    if (!opt.requests_per_second) return true;
    std::lock_guard<std::mutex> hold(rateMu);
    auto now = Clock::now();
    double rate = double(opt.requests_per_second);
    auto [it, fresh] = buckets.try_emplace(addr, Bucket{rate, now});
    Bucket& b = it->second;
    if (!fresh) {
      double refill = std::chrono::duration<double>(now - b.last).count() * rate;
      b.tokens = std::min(rate, b.tokens + refill);
      b.last = now;
    }
    if (buckets.size() > 100000) buckets.clear();  // bounded memory under an address sweep
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  // A request was read whole: its handler runs without a deadline.
  void requestRead() {
    if (!t_current) return;
    std::lock_guard<std::mutex> hold(mu);
    t_current->armed = false;
  }
  // A response was written: the next request on the connection gets a deadline.
  void responseWritten() {
    if (!t_current) return;
    std::lock_guard<std::mutex> hold(mu);
    t_current->armed = true;
    t_current->deadline = Clock::now() + opt.request_deadline;
  }
};

ConnectionGuard::ConnectionGuard(httplib::Server& server, const GuardOptions& options)
    : impl_(std::make_shared<Impl>(options)) {
  std::weak_ptr<Impl> weak = impl_;
  // The server deletes the queue it is given when listening ends; it gets a
  // forwarding one, and this guard owns the real one.
  struct Forward : httplib::TaskQueue {
    std::shared_ptr<Impl> impl;
    explicit Forward(std::shared_ptr<Impl> i) : impl(std::move(i)) {}
    void enqueue(std::function<void()> fn) override { impl->enqueue(std::move(fn)); }
    void shutdown() override { impl->stopPool(); }
  };
  server.new_task_queue = [keep = impl_] { return new Forward(keep); };
  server.set_pre_routing_handler([weak](const httplib::Request& req, httplib::Response& res) {
    auto i = weak.lock();
    if (!i || i->admitRequest(req.remote_addr)) return httplib::Server::HandlerResponse::Unhandled;
    res.status = 429;
    res.set_header("Retry-After", "1");
    res.set_content("{\"error\": \"too many requests from your address; try again in a second\"}", "application/json");
    return httplib::Server::HandlerResponse::Handled;
  });
  server.set_post_routing_handler([weak](const httplib::Request&, httplib::Response&) {
    if (auto i = weak.lock()) i->responseWritten();
  });
}

ConnectionGuard::~ConnectionGuard() { impl_->shutdown(); }

void requestReadWhole() {
  if (t_guard) t_guard->requestRead();
}

}  // namespace fundtrail::server
