// SPDX-License-Identifier: GPL-2.0
/* notify_sink: stand in for systemd around one command, for the soak's
 * tests: a unix datagram socket as NOTIFY_SOCKET (with WATCHDOG_USEC and
 * WATCHDOG_PID, the command's own pid, as a Type=notify service with
 * WatchdogSec gets them), and optionally a second one where the journal's
 * socket would be, with the command's stderr on a file named in
 * JOURNAL_STREAM, as journald connects a service's stderr. Every
 * assignment received is printed, "notify: READY=1" or "journal:
 * LOCKMAP_RUN=...", one a line; the exit status is the command's.
 *
 * usage: notify_sink -s SOCKET [-w WATCHDOG_USEC] [-j JOURNAL_SOCKET -e STDERR_FILE] CMD...
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int sink_bind(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "notify_sink: socket %s: %s\n", path, strerror(errno));
		exit(2);
	}
	strcpy(sa.sun_path, path);
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "notify_sink: bind %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return fd;
}

/* Print each newline-separated assignment of the datagrams waiting on fd. */
static void sink_drain(int fd, const char *what)
{
	char buf[65536];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		char *save = NULL;

		buf[n] = '\0';
		for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			printf("%s: %s\n", what, l);
	}
	fflush(stdout);
}

/* The child: the environment systemd would give it, then the command. */
static void sink_exec(char **argv, const char *sock, const char *wd, const char *err_file)
{
	char pid[32];

	setenv("NOTIFY_SOCKET", sock, 1);
	if (wd) {
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		setenv("WATCHDOG_USEC", wd, 1);
		setenv("WATCHDOG_PID", pid, 1);
	}
	if (err_file) {
		struct stat st;
		char stream[64];
		int fd = open(err_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0 || fstat(STDERR_FILENO, &st) < 0)
			_exit(2);
		snprintf(stream, sizeof(stream), "%llu:%llu", (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino);
		setenv("JOURNAL_STREAM", stream, 1);
	}
	execvp(argv[0], argv);
	_exit(127);
}

int main(int argc, char **argv)
{
	const char *sock = NULL, *wd = NULL, *jsock = NULL, *err_file = NULL;
	struct pollfd pfd[2];
	int c, nfd = 1, status;
	pid_t pid;

	while ((c = getopt(argc, argv, "+s:w:j:e:")) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'w': wd = optarg; break;
		case 'j': jsock = optarg; break;
		case 'e': err_file = optarg; break;
		default: return 2;
		}
	}
	if (!sock || optind >= argc || (!jsock != !err_file)) {
		fprintf(stderr, "usage: notify_sink -s SOCKET [-w WATCHDOG_USEC] [-j JOURNAL_SOCKET -e STDERR_FILE] CMD...\n");
		return 2;
	}
	pfd[0] = (struct pollfd){ .fd = sink_bind(sock), .events = POLLIN };
	if (jsock)
		pfd[nfd++] = (struct pollfd){ .fd = sink_bind(jsock), .events = POLLIN };
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0)
		sink_exec(argv + optind, sock, wd, err_file);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		(void)poll(pfd, (nfds_t)nfd, 100);
		sink_drain(pfd[0].fd, "notify");
		if (jsock)
			sink_drain(pfd[1].fd, "journal");
		if (w == pid)
			break;
	}
	(void)unlink(sock);
	if (jsock)
		(void)unlink(jsock);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
