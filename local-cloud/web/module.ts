import type { CloudService, LaunchContext } from '../services/service';
import { json, notFound } from '../http';
import { WebApp } from './web-app';

/**
 * The web messenger at `/`: not an AWS service, but it shares the services' lifecycle. It is
 * built beside the stand-ins' launch and answers the top-level paths no service claims.
 */
export class WebMessengerService implements CloudService {
  readonly name = 'web';
  private app?: WebApp;

  readonly routes = [
    {
      path: /^\/[^/]*$/,
      handle: (request: Parameters<WebApp['serve']>[0], response: Parameters<WebApp['serve']>[1]) => {
        if (this.app === undefined) return json(response, 503, { message: 'The web messenger is still being built' });
        if (!this.app.serve(request, response)) notFound(response);
      },
    },
  ];

  async launch(context: LaunchContext): Promise<void> {
    this.app = await WebApp.build({ idleTimeoutSeconds: context.config.idleTimeoutSeconds });
  }

  async stop(): Promise<void> {}
}
