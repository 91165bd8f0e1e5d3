// The pod sandbox process of the test node (see ../pause-image.ts): a static binary that
// waits for SIGTERM or SIGINT and reaps the children it inherits as PID 1.
//
//   /pause              wait for a signal
//   /pause -l PORT      also accept TCP connections on PORT; each one gets the line
//                       "flotilla-pause <hostname>\n" and is closed (for end-to-end
//                       checks of pod IPs, hostPorts and NodePorts)
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void on_stop(int sig) { (void)sig; stopping = 1; }

static void on_child(int sig) {
  (void)sig;
  int saved = errno;
  while (waitpid(-1, NULL, WNOHANG) > 0) {}
  errno = saved;
}

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) { perror("socket"); exit(1); }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("bind"); exit(1); }
  if (listen(fd, 64) < 0) { perror("listen"); exit(1); }
  return fd;
}

int main(int argc, char **argv) {
  int port = 0;
  if (argc == 3 && strcmp(argv[1], "-l") == 0) port = atoi(argv[2]);
  else if (argc != 1) { fprintf(stderr, "usage: %s [-l PORT]\n", argv[0]); return 2; }

  // Signals stay blocked except inside ppoll(), so none is lost between checks.
  sigset_t blocked, waiting;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGINT);
  sigaddset(&blocked, SIGCHLD);
  sigprocmask(SIG_BLOCK, &blocked, &waiting);
  sigdelset(&waiting, SIGTERM);
  sigdelset(&waiting, SIGINT);
  sigdelset(&waiting, SIGCHLD);
  struct sigaction stop = { .sa_handler = on_stop }, child = { .sa_handler = on_child, .sa_flags = SA_NOCLDSTOP };
  sigaction(SIGTERM, &stop, NULL);
  sigaction(SIGINT, &stop, NULL);
  sigaction(SIGCHLD, &child, NULL);

  char host[256] = "unknown";
  gethostname(host, sizeof host - 1);
  struct pollfd pfd = { .fd = port > 0 ? listen_on(port) : -1, .events = POLLIN };
  while (!stopping) {
    int n = ppoll(&pfd, 1, NULL, &waiting);
    if (n > 0 && (pfd.revents & POLLIN)) {
      int conn = accept4(pfd.fd, NULL, NULL, SOCK_CLOEXEC);
      if (conn >= 0) {
        dprintf(conn, "flotilla-pause %s\n", host);
        close(conn);
      }
    }
  }
  return 0;
}
