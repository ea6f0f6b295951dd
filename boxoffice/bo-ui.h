/* bo-ui.h: the box-office screen's terminal: curses lives in bo-ui.c and nowhere else. */
#ifndef TESSERA_BO_UI_H
#define TESSERA_BO_UI_H

#include "bo-state.h"

#define BO_KEY_RESIZE  0x1ff    /* the terminal changed size: ask bo_ui_size */

/*
 * Start and stop the terminal, with the colour scheme colours (enum config_colours; a terminal
 * without colours gets none). 0, or -1 with *cause (not a terminal, too small).
 */
int bo_ui_start(int colours, char **cause) WARN_UNUSED;
void bo_ui_stop(void);
void bo_ui_size(int *w, int *h);
/* Draw the whole screen from s. */
void bo_ui_draw(const struct bo_state *s);
/* The next key within ms milliseconds, as a bo_key, BO_KEY_RESIZE, or -1 when none came. */
int bo_ui_key(int ms);

#endif
