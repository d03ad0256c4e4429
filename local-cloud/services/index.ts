import { ApiGatewayService } from './apigateway/module';
import { DynamoDbService } from './dynamodb/module';
import { EventsService } from './events/module';
import { IamService } from './iam/module';
import { IdentityService } from './identity/module';
import { KeyspacesService } from './keyspaces/module';
import { LambdaModule } from './lambda/module';
import type { CloudService } from './service';
import { SnsService } from './sns/module';
import { SqsService } from './sqs/module';
import { WebMessengerService } from '../web/module';

/**
 * The services of the local cloud in the order they start (and, reversed, stop): the data
 * services first, then Lambda, which runs against them, then what invokes functions (SNS
 * subscriptions, schedules, the WebSocket API), so that invocations stop before Lambda does.
 * A service the stack comes to use is one more entry here; the web messenger, served beside them,
 * is the last.
 */
export function cloudServices(): CloudService[] {
  return [
    new IdentityService(),
    new IamService(),
    new DynamoDbService(),
    new SqsService(),
    new KeyspacesService(),
    new LambdaModule(),
    new SnsService(),
    new EventsService(),
    new ApiGatewayService(),
    // Last: its route takes the top-level paths no service claims.
    new WebMessengerService(),
  ];
}
