/* camera.h: QR codes from a V4L2 camera (/dev/videoN), read in a thread of their own. */
#ifndef TESSERA_CAMERA_H
#define TESSERA_CAMERA_H

#include <stddef.h>
#include <stdint.h>

#define CAMERA_REPEAT_MS 2000   /* the same code seen again within this is the same scan */

struct camera;

/*
 * Open the device, set 640x480 grey (or YUYV, whose Y plane is grey) frames and start
 * decoding them in a thread. NULL with *cause when the device is not a camera, gives neither
 * format, or cannot stream.
 */
struct camera *camera_open(const char *dev, char **cause);
/* The next code read, newly allocated; NULL when none is waiting. Never blocks. */
char *camera_poll(struct camera *c);
/* Why the camera stopped ("" while it runs); valid until camera_close. */
const char *camera_error(struct camera *c);
void camera_close(struct camera *c);            /* NULL is fine */

/*
 * A code held in front of the camera is decoded many times a second: is this a new scan?
 * 1 for a text other than the last one, or the last one after CAMERA_REPEAT_MS without it;
 * updates last (size len) and *last_ms. Pure, for the tests.
 */
int camera_new_scan(const char *text, int64_t now_ms, char *last, size_t len, int64_t *last_ms);

#endif
