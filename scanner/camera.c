/*
 * camera.c: QR codes from a V4L2 camera.
 *
 * A thread takes frames (memory-mapped streaming, or read() where the driver offers only
 * that), turns them into 8-bit grey (GREY as is, YUYV by keeping Y), decodes them with one
 * qr_reader and queues each new code for the screen, which treats it as a scan ending in
 * Enter. A code held in front of the lens is queued once (camera_new_scan).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "camera.h"
#include "qr.h"
#include "xmalloc.h"

#define CAMERA_BUFS   4
#define CAMERA_QUEUE  16

struct camera {
	int              fd;
	int              streaming;
	void            *buf[CAMERA_BUFS];
	size_t           buflen[CAMERA_BUFS];
	int              nbufs;
	uint32_t         width, height, stride, format, size;
	uint8_t         *gray;
	uint8_t         *frame;         /* read(): one frame */
	pthread_t        thread;
	int              started;
	pthread_mutex_t  mu;
	volatile int     stop;
	char            *queue[CAMERA_QUEUE];
	int              nqueue;
	char             error[160];
	char             last[256];
	int64_t          last_ms;
};

int
camera_new_scan(const char *text, int64_t now_ms, char *last, size_t len, int64_t *last_ms)
{
	int fresh = strncmp(text, last, len) != 0 || now_ms - *last_ms > CAMERA_REPEAT_MS;

	snprintf(last, len, "%s", text);
	*last_ms = now_ms;
	return fresh;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
xioctl(int fd, unsigned long req, void *arg)
{
	int rc;

	do
		rc = ioctl(fd, req, arg);
	while (rc == -1 && errno == EINTR);
	return rc;
}

static void
fail(struct camera *c, const char *what)
{
	pthread_mutex_lock(&c->mu);
	snprintf(c->error, sizeof c->error, "camera: %s: %s", what, strerror(errno));
	pthread_mutex_unlock(&c->mu);
}

/* One frame into c->gray. */
static void
to_gray(struct camera *c, const uint8_t *p, size_t len)
{
	uint32_t x, y;

	for (y = 0; y < c->height; y++) {
		for (x = 0; x < c->width; x++) {
			size_t i = (size_t)y * c->stride + (c->format == V4L2_PIX_FMT_YUYV ? 2 * x : x);

			c->gray[(size_t)y * c->width + x] = i < len ? p[i] : 255;
		}
	}
}

static void
decode(struct camera *c, struct qr_reader *r)
{
	char *text = NULL, *cause = NULL;

	if (qr_reader_decode(r, c->gray, (int)c->width, (int)c->height, &text, &cause) != 0) {
		free(cause);
		return;
	}
	if (!camera_new_scan(text, mono_ms(), c->last, sizeof c->last, &c->last_ms)) {
		free(text);
		return;
	}
	pthread_mutex_lock(&c->mu);
	if (c->nqueue < CAMERA_QUEUE)
		c->queue[c->nqueue++] = text;
	else
		free(text);
	pthread_mutex_unlock(&c->mu);
}

static void *
camera_main(void *arg)
{
	struct camera *c = arg;
	struct qr_reader *r = qr_reader_new();
	struct v4l2_buffer b;
	struct pollfd pfd;
	ssize_t n;
	int rc;

	pfd.fd = c->fd;
	pfd.events = POLLIN;
	while (!c->stop) {
		rc = poll(&pfd, 1, 200);
		if (rc < 0 && errno != EINTR) {
			fail(c, "poll");
			break;
		}
		if (rc <= 0)
			continue;
		if (!c->streaming) {
			n = read(c->fd, c->frame, c->size);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n < 0) {
				fail(c, "read");
				break;
			}
			to_gray(c, c->frame, (size_t)n);
			decode(c, r);
			continue;
		}
		memset(&b, 0, sizeof b);
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		if (xioctl(c->fd, VIDIOC_DQBUF, &b) != 0) {
			if (errno == EAGAIN)
				continue;
			fail(c, "VIDIOC_DQBUF");
			break;
		}
		if (b.index < (unsigned)c->nbufs) {
			to_gray(c, c->buf[b.index], b.bytesused > 0 ? b.bytesused :
			    c->buflen[b.index]);
			decode(c, r);
		}
		if (xioctl(c->fd, VIDIOC_QBUF, &b) != 0) {
			fail(c, "VIDIOC_QBUF");
			break;
		}
	}
	qr_reader_free(r);
	return NULL;
}

static int
set_format(struct camera *c, uint32_t fourcc)
{
	struct v4l2_format f;

	memset(&f, 0, sizeof f);
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	f.fmt.pix.width = 640;
	f.fmt.pix.height = 480;
	f.fmt.pix.pixelformat = fourcc;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	if (xioctl(c->fd, VIDIOC_S_FMT, &f) != 0 || f.fmt.pix.pixelformat != fourcc)
		return -1;
	c->format = fourcc;
	c->width = f.fmt.pix.width;
	c->height = f.fmt.pix.height;
	c->stride = f.fmt.pix.bytesperline != 0 ? f.fmt.pix.bytesperline :
	    c->width * (fourcc == V4L2_PIX_FMT_YUYV ? 2 : 1);
	c->size = f.fmt.pix.sizeimage != 0 ? f.fmt.pix.sizeimage : c->stride * c->height;
	return 0;
}

static int
start_streaming(struct camera *c, char **cause)
{
	struct v4l2_requestbuffers req;
	struct v4l2_buffer b;
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	int i;

	memset(&req, 0, sizeof req);
	req.count = CAMERA_BUFS;
	req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	req.memory = V4L2_MEMORY_MMAP;
	if (xioctl(c->fd, VIDIOC_REQBUFS, &req) != 0 || req.count < 1)
		return set_cause(cause, "camera: cannot get frame buffers: %s", strerror(errno));
	for (i = 0; i < (int)req.count && i < CAMERA_BUFS; i++) {
		memset(&b, 0, sizeof b);
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = (unsigned)i;
		if (xioctl(c->fd, VIDIOC_QUERYBUF, &b) != 0)
			return set_cause(cause, "camera: VIDIOC_QUERYBUF: %s", strerror(errno));
		c->buf[i] = mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd,
		    b.m.offset);
		if (c->buf[i] == MAP_FAILED) {
			c->buf[i] = NULL;
			return set_cause(cause, "camera: mmap: %s", strerror(errno));
		}
		c->buflen[i] = b.length;
		c->nbufs = i + 1;
		if (xioctl(c->fd, VIDIOC_QBUF, &b) != 0)
			return set_cause(cause, "camera: VIDIOC_QBUF: %s", strerror(errno));
	}
	if (xioctl(c->fd, VIDIOC_STREAMON, &type) != 0)
		return set_cause(cause, "camera: VIDIOC_STREAMON: %s", strerror(errno));
	c->streaming = 1;
	return 0;
}

struct camera *
camera_open(const char *dev, char **cause)
{
	struct camera *c = xcalloc(1, sizeof *c);
	struct v4l2_capability cap;

	pthread_mutex_init(&c->mu, NULL);
	c->fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (c->fd < 0) {
		set_cause(cause, "camera %s: %s", dev, strerror(errno));
		goto fail;
	}
	memset(&cap, 0, sizeof cap);
	if (xioctl(c->fd, VIDIOC_QUERYCAP, &cap) != 0 ||
	    !(cap.capabilities & V4L2_CAP_VIDEO_CAPTURE)) {
		set_cause(cause, "camera %s: not a video capture device", dev);
		goto fail;
	}
	if (set_format(c, V4L2_PIX_FMT_GREY) != 0 && set_format(c, V4L2_PIX_FMT_YUYV) != 0) {
		set_cause(cause, "camera %s: gives neither GREY nor YUYV frames at 640x480", dev);
		goto fail;
	}
	c->gray = xmalloc((size_t)c->width * c->height);
	if (cap.capabilities & V4L2_CAP_STREAMING) {
		if (start_streaming(c, cause) != 0)
			goto fail;
	} else if (cap.capabilities & V4L2_CAP_READWRITE)
		c->frame = xmalloc(c->size);
	else {
		set_cause(cause, "camera %s: can neither stream nor read frames", dev);
		goto fail;
	}
	if (pthread_create(&c->thread, NULL, camera_main, c) != 0) {
		set_cause(cause, "camera %s: cannot start its thread", dev);
		goto fail;
	}
	c->started = 1;
	return c;
fail:
	camera_close(c);
	return NULL;
}

char *
camera_poll(struct camera *c)
{
	char *t = NULL;

	pthread_mutex_lock(&c->mu);
	if (c->nqueue > 0) {
		t = c->queue[0];
		memmove(&c->queue[0], &c->queue[1], (size_t)(c->nqueue - 1) * sizeof c->queue[0]);
		c->nqueue--;
	}
	pthread_mutex_unlock(&c->mu);
	return t;
}

const char *
camera_error(struct camera *c)
{
	return c->error;
}

void
camera_close(struct camera *c)
{
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	int i;

	if (c == NULL)
		return;
	c->stop = 1;
	if (c->started)
		pthread_join(c->thread, NULL);
	if (c->streaming)
		(void)xioctl(c->fd, VIDIOC_STREAMOFF, &type);
	for (i = 0; i < c->nbufs; i++) {
		if (c->buf[i] != NULL)
			munmap(c->buf[i], c->buflen[i]);
	}
	if (c->fd >= 0)
		close(c->fd);
	for (i = 0; i < c->nqueue; i++)
		free(c->queue[i]);
	pthread_mutex_destroy(&c->mu);
	free(c->gray);
	free(c->frame);
	free(c);
}
