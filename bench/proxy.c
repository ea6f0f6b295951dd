/*
 * proxy.c: a TCP forwarder on 127.0.0.1 that counts every byte through it, so that a figure can
 * say how many bytes a call put on the wire (HTTP headers and body, both ways). One thread
 * accepts; each connection gets a thread that copies both ways until either side closes.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "xmalloc.h"

struct proxy {
	int              lfd;
	uint16_t         port;
	uint16_t         target;
	atomic_uint_fast64_t bytes;
	atomic_int       stop;
	pthread_t        thread;
};

struct pipe_pair {
	struct proxy *p;
	int           a;        /* the client */
	int           b;        /* the server */
};

static void *
pair_main(void *arg)
{
	struct pipe_pair *pp = arg;
	struct pollfd fds[2];
	char buf[65536];
	ssize_t n, off, w;
	int i;

	fds[0].fd = pp->a;
	fds[1].fd = pp->b;
	while (!atomic_load(&pp->p->stop)) {
		fds[0].events = fds[1].events = POLLIN;
		if (poll(fds, 2, 200) < 0 && errno != EINTR)
			break;
		for (i = 0; i < 2; i++) {
			if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
				continue;
			n = read(fds[i].fd, buf, sizeof buf);
			if (n <= 0)
				goto done;
			atomic_fetch_add(&pp->p->bytes, (uint_fast64_t)n);
			for (off = 0; off < n; off += w) {
				w = write(fds[1 - i].fd, buf + off, (size_t)(n - off));
				if (w <= 0)
					goto done;
			}
		}
	}
done:
	close(pp->a);
	close(pp->b);
	free(pp);
	return NULL;
}

static void *
accept_main(void *arg)
{
	struct proxy *p = arg;
	struct sockaddr_in sin;
	struct pipe_pair *pp;
	pthread_t t;
	int fd, s, one = 1;

	while (!atomic_load(&p->stop)) {
		if ((fd = accept(p->lfd, NULL, NULL)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
			close(fd);
			continue;
		}
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_port = htons(p->target);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(s, (struct sockaddr *)&sin, sizeof sin) != 0) {
			close(fd);
			close(s);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		pp = xmalloc(sizeof *pp);
		pp->p = p;
		pp->a = fd;
		pp->b = s;
		if (pthread_create(&t, NULL, pair_main, pp) != 0) {
			close(fd);
			close(s);
			free(pp);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

struct proxy *
proxy_start(uint16_t target)
{
	struct proxy *p = xcalloc(1, sizeof *p);
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int one = 1;

	p->target = target;
	atomic_init(&p->bytes, 0);
	atomic_init(&p->stop, 0);
	if ((p->lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		goto fail;
	setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(p->lfd, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(p->lfd, 64) != 0 ||
	    getsockname(p->lfd, (struct sockaddr *)&sin, &len) != 0)
		goto fail;
	p->port = ntohs(sin.sin_port);
	if (pthread_create(&p->thread, NULL, accept_main, p) != 0)
		goto fail;
	return p;
fail:
	fprintf(stderr, "bench: proxy: %s\n", strerror(errno));
	if (p->lfd >= 0)
		close(p->lfd);
	free(p);
	return NULL;
}

uint16_t
proxy_port(struct proxy *p)
{
	return p->port;
}

uint64_t
proxy_bytes(struct proxy *p)
{
	return (uint64_t)atomic_load(&p->bytes);
}

/* Stops accepting; connection threads end within 200 ms and free themselves. */
void
proxy_stop(struct proxy *p)
{
	if (p == NULL)
		return;
	atomic_store(&p->stop, 1);
	shutdown(p->lfd, SHUT_RDWR);
	pthread_join(p->thread, NULL);
	close(p->lfd);
	bench_sleep_ms(300);
	free(p);
}
