/* bo-app.h: the box-office screen's driver: the device, the syncer, and what keys make happen. */
#ifndef TESSERA_BO_APP_H
#define TESSERA_BO_APP_H

#include "sale.h"

struct bo_app_options {
	const char          *replica;
	struct sale_outputs  outputs;
	int                  offline;       /* never ask the server (tests, a dead network) */
	long                 timeout_ms;    /* the online timeout; 0: the device's default */
	int                  colours;       /* enum config_colours */
};

/* Run the screen until the cashier quits; returns an exit status. */
int bo_app_main(const struct bo_app_options *opts);

#endif
