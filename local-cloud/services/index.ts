import { ApiGatewayService } from './apigateway/module';
import { CloudWatchService } from './cloudwatch/module';
import { DynamoDbService } from './dynamodb/module';
import { EventsService } from './events/module';
import { FaultsService } from './faults/module';
import { FaultRegistry } from './faults/registry';
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
 * is the last. CloudWatch comes after Lambda, SNS and API Gateway: it reads the functions' invocations and
 * output and the WebSocket API's traffic, and notifies through SNS. The fault injector's registry is handed to the services whose behaviour it changes
 * (Lambda kills environments, API Gateway answers `@connections` with failures); its own module
 * comes after every stand-in and function is known, to check what it is asked to break.
 */
export function cloudServices(): CloudService[] {
  const faults = new FaultRegistry();
  return [
    new IdentityService(),
    new IamService(),
    new DynamoDbService(),
    new SqsService(),
    new KeyspacesService(),
    new LambdaModule(faults),
    new SnsService(),
    new EventsService(),
    new ApiGatewayService(faults),
    new CloudWatchService(),
    new FaultsService(faults),
    // Last: its route takes the top-level paths no service claims.
    new WebMessengerService(),
  ];
}
