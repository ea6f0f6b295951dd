/* scan-ui.h: the gate screen in curses: draws a const scan_state, reads keys. */
#ifndef TESSERA_SCAN_UI_H
#define TESSERA_SCAN_UI_H

#include "scan-state.h"

#define SCAN_UI_RESIZE  (-2)        /* a "key" that scan_ui_read returns for a new size */

struct scan_ui;

/*
 * Take over the terminal (curses) with the colour scheme colours (enum config_colours; a
 * terminal without colours gets CONFIG_COLOURS_OFF); never NULL. scan_ui_end gives it back.
 */
struct scan_ui *scan_ui_start(int colours);
void scan_ui_end(struct scan_ui *ui);          /* NULL is fine */
/* The terminal's size. */
void scan_ui_size(struct scan_ui *ui, int *width, int *height);

/*
 * Wait up to timeout_ms for input, then read everything pending without waiting: up to max
 * keys into keys[] (bytes, SCAN_KEY_* or SCAN_UI_RESIZE), in order. Returns how many.
 */
int scan_ui_read(struct scan_ui *ui, int *keys, int max, int timeout_ms);

/* Draw the whole screen from s. */
void scan_ui_draw(struct scan_ui *ui, const struct scan_state *s);
/* Ring the terminal's bell. */
void scan_ui_bell(struct scan_ui *ui);

#endif
