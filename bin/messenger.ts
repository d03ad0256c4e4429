#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { MessengerStack } from '../lib/messenger-stack';
import { alarmEmailFromContext, apiGatewayLogRoleFromContext, groupsCreatedPerHourFromContext, historyLagAlarmFromContext, idleTimeoutFromContext, pushApplicationsFromContext, tokenIssuerFromContext } from '../lib/app-context';

const app = new App();

new MessengerStack(app, 'Messenger', {
  description: 'Serverless messenger: WebSocket chat, groups, presence, history and push',
  externalTokenIssuer: tokenIssuerFromContext(app.node),
  idleTimeoutSeconds: idleTimeoutFromContext(app.node),
  pushPlatformApplications: pushApplicationsFromContext(app.node),
  setApiGatewayAccountLogRole: apiGatewayLogRoleFromContext(app.node),
  alarmEmail: alarmEmailFromContext(app.node),
  historyLagAlarmSeconds: historyLagAlarmFromContext(app.node),
  groupsCreatedPerHour: groupsCreatedPerHourFromContext(app.node),
});
