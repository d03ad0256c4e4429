import { instrumented } from '../shared/observability';
import { actionRouter } from '../shared/websocket';

/**
 * API Gateway routes here every frame whose `action` matches no route, including frames that are
 * not JSON at all: each gets a `bad_request` error frame.
 */
export const handler = instrumented(actionRouter({}));
