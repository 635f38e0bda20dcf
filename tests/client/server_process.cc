#include "tests/client/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace caucus::testing {

std::vector<int> FreePorts(int n) {
  // All sockets stay bound until every port is known, so the kernel cannot hand out the same
  // ephemeral port twice.
  std::vector<int> fds, ports;
  for (int i = 0; i < n; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    fds.push_back(fd);
    ports.push_back(ntohs(a.sin_port));
  }
  for (int fd : fds) close(fd);
  return ports;
}

int FreePort() { return FreePorts(1)[0]; }

std::string FourLetter(int port, const char* word) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && write(fd, word, 4) == 4) {
    char buf[64];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    if (n < 0) out.clear();  // timed out: treat as no answer
  }
  close(fd);
  return out;
}

bool IsZooKeeper() {
  const char* t = std::getenv("CAUCUS_COMPAT_TARGET");
  return t && std::string(t) == "zookeeper";
}

pid_t SpawnServer(bool zookeeper, const std::string& cfg, const std::string& log) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0) return pid;
  // The server must not outlive the test binary, however that ends (SIGKILL from a test
  // timeout included). The signal follows the forking *thread*; the getppid check closes the
  // race with an early death of the parent.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
  int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  dup2(fd, 1);
  dup2(fd, 2);
  if (zookeeper) {
    execlp("java", "java", "-Dznode.container.checkIntervalMs=1000",
           "-Dznode.container.maxNeverUsedIntervalMs=0", "-Dzookeeper.extendedTypesEnabled=true",
           "-cp", "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar",
           "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg.c_str(), nullptr);
  } else {
    const char* bin = std::getenv("CAUCUSD");
    if (!bin) bin = CAUCUSD_PATH;
    execl(bin, bin, cfg.c_str(), nullptr);
  }
  _exit(127);
}

void KillServer(pid_t pid, const std::string& log) {
  int status = 0;
  if (waitpid(pid, &status, WNOHANG) == pid) {
    std::ifstream in(log);
    std::stringstream tail;
    tail << in.rdbuf();
    std::string text = tail.str();
    if (text.size() > 2000) text = text.substr(text.size() - 2000);
    std::fprintf(stderr, "\n*** the test server (pid %d) exited on its own (status 0x%x); "
                 "end of %s:\n%s\n", static_cast<int>(pid), status, log.c_str(), text.c_str());
    return;
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

}  // namespace caucus::testing
